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
});
