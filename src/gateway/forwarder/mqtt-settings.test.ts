import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MqttSettings } from '../../config/index.js';
import { forwarderMqttOptions } from './mqtt-settings.js';

const SETTINGS: MqttSettings = {
  url: 'mqtts://aggregator.example:8883',
  username: 'TBA-CauGiay-01',
  password: 'pw',
  caFile: '/etc/chiso/ca.pem',
  clientId: 'TBA-CauGiay-01',
  topicRoot: 'chiso/v1',
  keepaliveSeconds: 45,
  replay: { maxBatchesPerSecond: 5, maxBatchItems: 500, maxBatchBytes: 262_144 },
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('forwarderMqttOptions', () => {
  it('carries every connection field of the config, the CA file read as PEM text', () => {
    const read: string[] = [];
    const options = forwarderMqttOptions(SETTINGS, (f) => (read.push(f), PEM));
    expect(options).toEqual({ url: SETTINGS.url, username: 'TBA-CauGiay-01', password: 'pw', ca: PEM, clientId: 'TBA-CauGiay-01', topicRoot: 'chiso/v1', keepaliveSeconds: 45 });
    expect(read).toEqual(['/etc/chiso/ca.pem']);
  });

  it('leaves ca and password out when the config has none, and reads no file', () => {
    const { caFile: _c, password: _p, ...plain } = SETTINGS;
    const options = forwarderMqttOptions(plain, () => {
      throw new Error('no file should be read');
    });
    expect('ca' in options).toBe(false);
    expect('password' in options).toBe(false);
  });

  it('refuses an unreadable CA file, naming the setting and the file', () => {
    const missing = () => {
      throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
    };
    expect(() => forwarderMqttOptions(SETTINGS, missing)).toThrow(
      expect.objectContaining({ code: 'FORWARDER_BAD_OPTIONS', message: expect.stringMatching(/^mqtt\.caFile \/etc\/chiso\/ca\.pem: cannot be read \(ENOENT/) }),
    );
  });

  it('refuses a CA file without a PEM certificate (a key, DER bytes, an empty file)', () => {
    for (const text of ['-----BEGIN PRIVATE KEY-----\n', '0\x82\x01', '']) {
      expect(() => forwarderMqttOptions(SETTINGS, () => text)).toThrow(expect.objectContaining({ code: 'FORWARDER_BAD_OPTIONS', message: expect.stringContaining('mqtt.caFile /etc/chiso/ca.pem: expected a PEM CA certificate') }));
    }
  });

  describe('client certificate (mqtt.certFile / mqtt.keyFile)', () => {
    // The real test certificates (test/fixtures/tls, not secret): the checks parse them.
    const fixture = (name: string) => new URL(`../../../test/fixtures/tls/${name}`, import.meta.url).pathname;
    const WITH_CERT: MqttSettings = { ...SETTINGS, certFile: fixture('client.crt'), keyFile: fixture('client.key') };
    const realFiles = (f: string) => (f === SETTINGS.caFile ? PEM : readFileSync(f, 'utf8'));

    it('carries the certificate and its key as PEM text, read from their files', () => {
      const read: string[] = [];
      const options = forwarderMqttOptions(WITH_CERT, (f) => (read.push(f), realFiles(f)));
      expect(options).toMatchObject({ url: SETTINGS.url, ca: PEM, cert: readFileSync(fixture('client.crt'), 'utf8'), key: readFileSync(fixture('client.key'), 'utf8') });
      expect(read).toEqual(['/etc/chiso/ca.pem', fixture('client.crt'), fixture('client.key')]);
    });

    it('leaves cert and key out when the config has neither', () => {
      const options = forwarderMqttOptions(SETTINGS, () => PEM);
      expect('cert' in options).toBe(false);
      expect('key' in options).toBe(false);
    });

    it('refuses one without the other, naming the missing setting', () => {
      const { keyFile: _k, ...certOnly } = WITH_CERT;
      expect(() => forwarderMqttOptions(certOnly, realFiles)).toThrow(
        expect.objectContaining({ code: 'FORWARDER_BAD_OPTIONS', message: 'mqtt.certFile is set but mqtt.keyFile is not: a client certificate needs both its certificate and its key' }),
      );
      const { certFile: _c, ...keyOnly } = WITH_CERT;
      expect(() => forwarderMqttOptions(keyOnly, realFiles)).toThrow(
        expect.objectContaining({ code: 'FORWARDER_BAD_OPTIONS', message: 'mqtt.keyFile is set but mqtt.certFile is not: a client certificate needs both its certificate and its key' }),
      );
    });

    it('refuses them with a plain url, where no certificate can be presented', () => {
      expect(() => forwarderMqttOptions({ ...WITH_CERT, url: 'mqtt://aggregator.example:1883' }, realFiles)).toThrow(
        expect.objectContaining({ code: 'FORWARDER_BAD_OPTIONS', message: expect.stringContaining('is only presented over TLS, but mqtt.url mqtt://aggregator.example:1883 is not mqtts://') }),
      );
    });

    it('refuses an unreadable certificate file, a file without a certificate, and a key that is no key', () => {
      const missing = (f: string) => {
        if (f === WITH_CERT.certFile) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        return realFiles(f);
      };
      expect(() => forwarderMqttOptions(WITH_CERT, missing)).toThrow(expect.objectContaining({ message: expect.stringMatching(/^mqtt\.certFile \S+client\.crt: cannot be read \(EACCES/) }));
      // The key where the certificate should be, and the certificate where the key should be.
      const swapped = { ...WITH_CERT, certFile: fixture('client.key'), keyFile: fixture('client.crt') };
      expect(() => forwarderMqttOptions(swapped, realFiles)).toThrow(expect.objectContaining({ message: expect.stringMatching(/^mqtt\.certFile \S+client\.key: expected a PEM client certificate/) }));
      const keyIsCert = { ...WITH_CERT, keyFile: fixture('client.crt') };
      expect(() => forwarderMqttOptions(keyIsCert, realFiles)).toThrow(expect.objectContaining({ message: expect.stringMatching(/^mqtt\.keyFile \S+client\.crt: expected a PEM private key/) }));
    });

    it("refuses a key that is not the certificate's, naming both files", () => {
      const mismatched = { ...WITH_CERT, keyFile: fixture('other-client.key') };
      expect(() => forwarderMqttOptions(mismatched, realFiles)).toThrow(
        expect.objectContaining({
          code: 'FORWARDER_BAD_OPTIONS',
          message: `mqtt.keyFile ${fixture('other-client.key')}: not the key of the certificate in mqtt.certFile ${fixture('client.crt')} (subject CN=TBA-Tls-Cert-01)`,
        }),
      );
    });
  });
});
