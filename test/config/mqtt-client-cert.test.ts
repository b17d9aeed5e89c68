import { afterAll, describe, expect, it } from 'vitest';
import { BASE, edit, lineOf, site } from './fixture.js';

/**
 * `mqtt.certFile` / `mqtt.keyFile`: the gateway's client certificate for an aggregator whose broker
 * requires one (`broker.tls.caFile`). Both or neither, only with a TLS url, and both files must exist
 * when the gateway starts, named like every other missing file.
 */
const s = site();
afterAll(() => s.cleanup());
const file = s.path('gateway.yaml');

const TLS_URL = 'url: mqtts://127.0.0.1:8883';
/** BASE with an mqtts url and the given lines added to its mqtt section. */
function withMqtt(lines: string, url = TLS_URL): string {
  return edit(BASE, 'url: mqtt://127.0.0.1:1883', `${url}${lines === '' ? '' : `\n${lines}`}`);
}

describe('mqtt.certFile and mqtt.keyFile', () => {
  it('are resolved against the config folder and kept, beside caFile', () => {
    s.write('etc/tls/ca.crt', '-----BEGIN CERTIFICATE-----\n');
    s.write('etc/tls/gateway.crt', '-----BEGIN CERTIFICATE-----\n');
    s.write('etc/tls/gateway.key', '-----BEGIN PRIVATE KEY-----\n');
    s.write('etc/meter.pwd', '22222222\n');
    s.write('etc/keys/gateway.key', 'pem');
    const text = withMqtt('  caFile: tls/ca.crt\n  certFile: tls/gateway.crt\n  keyFile: ./tls/../tls/gateway.key');
    const c = s.load(text, {}, 'etc/gateway.yaml');
    expect(c.mqtt).toMatchObject({
      url: 'mqtts://127.0.0.1:8883',
      caFile: s.path('etc/tls/ca.crt'),
      certFile: s.path('etc/tls/gateway.crt'),
      keyFile: s.path('etc/tls/gateway.key'),
    });
  });

  it('are absent from the settings when the file has neither', () => {
    const c = s.load(withMqtt(''));
    expect('certFile' in c.mqtt).toBe(false);
    expect('keyFile' in c.mqtt).toBe(false);
  });

  it('one without the other is refused, naming the missing one', () => {
    s.write('gw.crt', '-----BEGIN CERTIFICATE-----\n');
    s.write('gw.key', '-----BEGIN PRIVATE KEY-----\n');
    const certOnly = withMqtt('  certFile: gw.crt');
    expect(s.refuse(certOnly).message).toBe(
      `${file}: mqtt.keyFile: found nothing, expected a keyFile beside certFile (the client certificate's key), or neither (line ${lineOf(certOnly, 'url:')})`,
    );
    const keyOnly = withMqtt('  keyFile: gw.key');
    expect(s.refuse(keyOnly).message).toBe(
      `${file}: mqtt.certFile: found nothing, expected a certFile beside keyFile (the client certificate), or neither (line ${lineOf(keyOnly, 'url:')})`,
    );
  });

  it('a missing certificate or key file is named with its path, what was found and what was expected', () => {
    const text = withMqtt('  certFile: tls/none.crt\n  keyFile: /nowhere/gateway.key');
    expect(s.refuse(text).message.split('\n')).toEqual([
      `${file}: mqtt.certFile: found ${JSON.stringify(s.path('tls/none.crt'))} (no such file), expected a PEM file with this gateway's client certificate (line ${lineOf(text, 'certFile')})`,
      `${file}: mqtt.keyFile: found "/nowhere/gateway.key" (no such file), expected a PEM file with the client certificate's private key (line ${lineOf(text, 'keyFile')})`,
    ]);
  });

  it('with a plain mqtt:// url they are refused: a client certificate is only presented over TLS', () => {
    s.write('gw.crt', '-----BEGIN CERTIFICATE-----\n');
    s.write('gw.key', '-----BEGIN PRIVATE KEY-----\n');
    const text = withMqtt('  certFile: gw.crt\n  keyFile: gw.key', 'url: mqtt://127.0.0.1:1883');
    expect(s.refuse(text).message).toBe(
      `${file}: mqtt.certFile: found "gw.crt", expected an mqtts:// (or wss://) url: a client certificate is only presented over TLS (line ${lineOf(text, 'certFile')})`,
    );
    // wss is TLS too.
    expect(s.load(withMqtt('  certFile: gw.crt\n  keyFile: gw.key', 'url: wss://127.0.0.1:8884/mqtt')).mqtt.certFile).toBe(s.path('gw.crt'));
  });

  it('a misspelt key is refused with the key it probably meant', () => {
    const text = withMqtt('  certfile: gw.crt');
    expect(s.refuse(text).message).toContain(`mqtt.certfile: found an unknown key, expected certFile (check the spelling)`);
  });
});
