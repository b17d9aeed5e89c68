import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, configHash, SECRET_MARKER } from '../../src/config/index.js';
import { BASE, edit, site } from './fixture.js';

const s = site();
afterAll(() => s.cleanup());

/** The same value with every object's keys in a shuffled order (seeded). */
function shuffleKeys(v: unknown, rand: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rand));
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
    }
    return Object.fromEntries(keys.map((k) => [k, shuffleKeys((v as Record<string, unknown>)[k], rand)]));
  }
  return v;
}

describe('configHash', () => {
  const base = s.load(BASE);
  const hash = configHash(base);

  it('is sha256 hex, fits the birth message field', () => {
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is the same for the same settings written as JSON with keys in another order', () => {
    const data = parse(BASE) as unknown;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        let x = seed | 1;
        const rand = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
        const c = s.load(JSON.stringify(shuffleKeys(data, rand), null, 2), {}, 'gateway.json');
        expect(configHash(c)).toBe(hash);
      }),
      { numRuns: 20 },
    );
  });

  it('is the same when only a secret changes, or when a default is written out', () => {
    expect(configHash(s.load(edit(BASE, 'password: "11111111"', 'password: "99999999"')))).toBe(hash);
    s.write('other.pwd', 'different');
    expect(configHash(s.load(edit(BASE, 'passwordFile: meter.pwd', 'passwordFile: other.pwd')))).toBe(hash);
    expect(configHash(s.load(edit(BASE, '    device: /dev/ttyUSB0\n', '    device: /dev/ttyUSB0\n    baud: 9600\n')))).toBe(hash);
  });

  it('changes with any setting, and with whether a password is set', () => {
    expect(configHash(s.load(edit(BASE, '{ physical: 18 }', '{ physical: 19 }')))).not.toBe(hash);
    expect(configHash(s.load(BASE + 'thresholds: { spikeRatio: 1.5 }\n'))).not.toBe(hash);
    expect(configHash(s.load(edit(BASE, 'auth: { password: "11111111" }', 'auth: { clientSap: 16 }')))).not.toBe(hash);
  });

  it('never depends on nor contains a secret', () => {
    const c = s.load(edit(BASE, 'url: mqtt://127.0.0.1:1883', 'url: mqtt://127.0.0.1:1883\n  password: broker-pw'));
    expect(c.mqtt.password).toBe('broker-pw');
    const text = canonicalJson({ ...c, mqtt: { ...c.mqtt, password: SECRET_MARKER } });
    expect(text).not.toContain('broker-pw');
    const other = s.load(edit(BASE, 'url: mqtt://127.0.0.1:1883', 'url: mqtt://127.0.0.1:1883\n  password: another'));
    expect(configHash(other)).toBe(configHash(c));
  });

  it('does not depend on where the file lives', () => {
    s.write('elsewhere/meter.pwd', '22222222');
    s.write('elsewhere/keys/gateway.key', 'pem');
    const moved = s.load(edit(BASE, 'dataDir: data', `dataDir: ${s.path('data')}`).replace('privateKeyFile: keys/gateway.key', `privateKeyFile: ${s.path('keys/gateway.key')}`), {}, 'elsewhere/gw.yaml');
    expect(moved.source).not.toBe(base.source);
    expect(configHash(moved)).toBe(hash);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});
