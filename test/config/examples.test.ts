import { copyFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../src/config/index.js';
import { lineOf, site } from './fixture.js';

const example = fileURLToPath(new URL('../../config/gateway.example.yaml', import.meta.url));
const demo = fileURLToPath(new URL('../../config/gateway.demo.yaml', import.meta.url));

const s = site();
afterAll(() => s.cleanup());

describe('config/gateway.example.yaml', () => {
  // Installed as it would be: beside it the secrets/ and keys/ folders its relative paths name.
  copyFileSync(example, s.path('gateway.example.yaml'));
  s.write('secrets/meters.pwd', 'meter-secret\n');
  s.write('secrets/mqtt.pwd', 'mqtt-secret\n');
  s.write('keys/gateway.key', 'pem');
  s.write('keys/aggregator.pub', 'pem');
  const config = loadGatewayConfig(s.path('gateway.example.yaml'), { env: { CHISO_METER_PASSWORD: 'env-secret' } });

  it('describes a substation with two buses, two models and six meters', () => {
    expect(config.gateway).toEqual({ id: 'TBA-CauGiay-01', unitCode: 'PD0100', substation: 'CG01T015', name: 'TBA Cầu Giấy 15' });
    expect(config.buses.map((b) => [b.id, b.device, b.baudRate, b.iec21])).toEqual([
      ['rs485-1', '/dev/ttyUSB0', 9600, false],
      ['rs485-2', '/dev/ttyUSB1', 9600, true],
    ]);
    expect(Object.keys(config.models)).toEqual(['DT03P-3pha', 'DDS26-1pha']);
    expect(config.meters).toHaveLength(6);
  });

  it('gives each meter its model registers, BCS map and connection', () => {
    const business = config.meters[0];
    expect(business?.registers.map((r) => r.bcs)).toEqual(['KT', 'BT', 'CD', 'TD', 'VC', null]);
    expect(business?.connection).toEqual({ kind: 'bus', bus: 'rs485-1', server: { logical: 1, physical: 17, size: 4 } });
    expect(business?.multiplier).toBe('40');
    const household = config.meters[2];
    expect(household?.registers.map((r) => r.bcs)).toEqual(['KT', null]);
    expect(household?.withList).toBe('never');
    const rf = config.meters[5];
    expect(rf?.connection).toEqual({ kind: 'tcp', host: '10.20.0.15', port: 4059, profile: 'wrapper', serverWPort: 1, responseTimeoutMs: 8000, maxRetries: 2 });
  });

  it('reads passwords from files and the environment, and resolves paths against its folder', () => {
    expect(config.meters.map((m) => m.authentication.password)).toEqual(['meter-secret', 'meter-secret', 'env-secret', 'env-secret', undefined, 'env-secret']);
    expect(config.meters[4]?.authentication.clientSap).toBe(16);
    expect(config.mqtt.password).toBe('mqtt-secret');
    expect(config.mqtt.username).toBe('TBA-CauGiay-01');
    expect(config.keys).toEqual({ privateKeyFile: s.path('keys/gateway.key'), aggregatorPublicKeyFile: s.path('keys/aggregator.pub') });
    expect(config.dataDir).toBe('/var/lib/chiso');
    expect(config.source).toBe(s.path('gateway.example.yaml'));
  });

  it('is refused, with the variable named, when the meter password variable is not set', () => {
    const text = readFileSync(example, 'utf8');
    const e = s.refuse(text, { env: {} }, 'gateway.example.yaml');
    const file = s.path('gateway.example.yaml');
    const lines = text.split('\n').flatMap((l, i) => (l.includes('${CHISO_METER_PASSWORD}') ? [i + 1] : []));
    expect(lines).toHaveLength(3);
    expect(e.message.split('\n')).toEqual(
      [2, 3, 5].map(
        (meter, k) => `${file}: meters[${meter}].auth.password: found a hidden value, expected the environment variable CHISO_METER_PASSWORD to be set (line ${lines[k]})`,
      ),
    );
  });
});

describe('config/gateway.demo.yaml', () => {
  it('loads with its bus device from the environment', () => {
    const config = loadGatewayConfig(demo, { env: { CHISO_DEMO_BUS: '/dev/pts/7', CHISO_DEMO_DIR: '/tmp/demo-x' }, requireKeyFiles: false });
    expect(config.buses[0]?.device).toBe('/dev/pts/7');
    expect(config.meters.filter((m) => m.connection.kind === 'bus').map((m) => m.connection.kind === 'bus' && m.connection.server.physical)).toEqual([17, 18, 19]);
    expect(config.meters.filter((m) => m.connection.kind === 'tcp').map((m) => m.connection.kind === 'tcp' && [m.connection.host, m.connection.port])).toEqual([
      ['127.0.0.1', 4059],
      ['127.0.0.1', 4059],
    ]);
    expect(config.meters.every((m) => m.authentication.password === '00000000')).toBe(true);
    expect(config.dataDir).toBe('/tmp/demo-x/gateway-data');
    expect(config.metrics).toBe(false);
  });

  it('takes the TCP port and password from the environment when given', () => {
    const config = loadGatewayConfig(demo, {
      env: { CHISO_DEMO_BUS: '/dev/pts/7', CHISO_DEMO_TCP_PORT: '40123', CHISO_DEMO_METER_PASSWORD: '12345678' },
      requireKeyFiles: false,
    });
    const tcp = config.meters.find((m) => m.connection.kind === 'tcp');
    expect(tcp?.connection.kind === 'tcp' && tcp.connection.port).toBe(40123);
    expect(tcp?.authentication.password).toBe('12345678');
  });

  it('is refused without CHISO_DEMO_BUS', () => {
    const text = readFileSync(demo, 'utf8');
    expect(() => loadGatewayConfig(demo, { env: {}, requireKeyFiles: false })).toThrow(
      `${demo}: buses[0].device: found "\${CHISO_DEMO_BUS}", expected the environment variable CHISO_DEMO_BUS to be set (line ${lineOf(text, 'device: ${CHISO_DEMO_BUS}')})`,
    );
  });
});
