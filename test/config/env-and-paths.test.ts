import { afterAll, describe, expect, it } from 'vitest';
import { substituteEnv } from '../../src/config/env-substitution.js';
import { BASE, edit, lineOf, site } from './fixture.js';

const s = site();
afterAll(() => s.cleanup());

describe('substituteEnv', () => {
  it('replaces ${NAME} inside strings at any depth, leaving other values alone', () => {
    const r = substituteEnv({ a: 'x-${A}-y', list: [{ b: '${B}' }, 3, true, null], n: 1 }, { A: 'one', B: 'two' });
    expect(r.problems).toEqual([]);
    expect(r.value).toEqual({ a: 'x-one-y', list: [{ b: 'two' }, 3, true, null], n: 1 });
  });

  it('uses the fallback of ${NAME:-fallback} when NAME is unset or empty', () => {
    expect(substituteEnv(['${A:-dflt}', '${B:-dflt}', '${C:-}'], { B: '' }).value).toEqual(['dflt', 'dflt', '']);
    expect(substituteEnv('${A:-dflt}', { A: 'set' }).value).toBe('set');
  });

  it('writes $${ as a literal ${', () => {
    expect(substituteEnv('pa$${ss}', {}).value).toBe('pa${ss}');
  });

  it('does not substitute in keys', () => {
    expect(substituteEnv({ '${A}': 'v' }, { A: 'x' }).value).toEqual({ '${A}': 'v' });
  });

  it('reports an unset variable and a malformed placeholder, each with its path', () => {
    const r = substituteEnv({ mqtt: { url: '${URL}' }, d: ['${bad name}', 'x${OPEN'] }, {});
    expect(r.problems.map((p) => [p.path, p.found, p.expected])).toEqual([
      ['mqtt.url', '"${URL}"', 'the environment variable URL to be set'],
      ['d[0]', '"${bad name}"', '${NAME} with a name of letters, digits and _ (found ${bad name})'],
      ['d[1]', '"x${OPEN"', '${NAME} closed with }'],
    ]);
  });

  it('an empty but set variable is used as it is (the schema then judges the empty value)', () => {
    expect(substituteEnv('${A}', { A: '' })).toEqual({ value: '', problems: [] });
  });
});

describe('environment in a gateway file', () => {
  it('fills secrets and numbers from the environment', () => {
    let text = edit(BASE, 'auth: { password: "11111111" }', 'auth: { password: "${METER_PW}" }');
    text = edit(text, 'port: 4059', 'port: "${TCP_PORT}"');
    const c = s.load(text, { env: { METER_PW: 's3cret', TCP_PORT: '5000' } });
    expect(c.meters[0]?.authentication.password).toBe('s3cret');
    expect(c.meters[2]?.connection).toMatchObject({ kind: 'tcp', port: 5000 });
  });

  it('a number-valued variable that is not a number is refused where a number is expected', () => {
    const text = edit(BASE, 'port: 4059', 'port: "${TCP_PORT}"');
    const e = s.refuse(text, { env: { TCP_PORT: 'http' } });
    expect(e.message).toBe(`${s.path('gateway.yaml')}: meters[2].tcp.port: found "http", expected a TCP port 1..65535 (line ${lineOf(text, 'TCP_PORT')})`);
  });

  it('an unset variable is reported once, as the missing variable', () => {
    const text = edit(BASE, 'url: mqtt://127.0.0.1:1883', 'url: ${BROKER}');
    expect(s.refuse(text).message).toBe(
      `${s.path('gateway.yaml')}: mqtt.url: found "\${BROKER}", expected the environment variable BROKER to be set (line ${lineOf(text, 'BROKER')})`,
    );
  });
});

describe('relative paths', () => {
  it('are resolved against the config file folder, not the working directory', () => {
    s.write('etc/secrets/m2.pwd', 'from-sub-folder\r\n');
    s.write('etc/keys/gateway.key', 'pem');
    s.write('etc/keys/aggregator.pub', 'pem');
    s.write('etc/ca.pem', 'pem');
    let text = edit(BASE, 'passwordFile: meter.pwd', 'passwordFile: secrets/m2.pwd');
    text = edit(text, 'privateKeyFile: keys/gateway.key', 'privateKeyFile: keys/gateway.key\n  aggregatorPublicKeyFile: ./keys/../keys/aggregator.pub');
    text = edit(text, 'url: mqtt://127.0.0.1:1883', 'url: mqtts://127.0.0.1:8883\n  caFile: ca.pem');
    const c = s.load(text, {}, 'etc/gateway.yaml');
    expect(c.meters[1]?.authentication.password).toBe('from-sub-folder');
    expect(c.keys).toEqual({ privateKeyFile: s.path('etc/keys/gateway.key'), aggregatorPublicKeyFile: s.path('etc/keys/aggregator.pub') });
    expect(c.mqtt.caFile).toBe(s.path('etc/ca.pem'));
    expect(c.dataDir).toBe(s.path('etc/data'));
  });

  it('absolute paths are kept', () => {
    const text = edit(BASE, 'dataDir: data', `dataDir: ${s.path('elsewhere')}`);
    expect(s.load(text).dataDir).toBe(s.path('elsewhere'));
  });

  it("the clock-setting client's password comes from its own file, and a missing one is named", () => {
    s.write('secrets/management.pwd', 'mgmt-secret\n');
    const text = BASE + 'clockSync: { clientSap: 1, passwordFile: secrets/management.pwd }\n';
    expect(s.load(text).clockSync).toEqual({ maxAdjustSeconds: 300, clientSap: 1, password: 'mgmt-secret' });
    const missing = BASE + 'clockSync: { clientSap: 1, passwordFile: management.pwd }\n';
    expect(s.refuse(missing).message).toMatch(
      new RegExp(`clockSync\\.passwordFile: found ${JSON.stringify(s.path('management.pwd')).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(.*\\), expected a readable file holding the password`),
    );
    expect(s.refuse(BASE + 'clockSync: { password: x }\n').message).toContain('clockSync.clientSap: found nothing, expected the client the password is for');
  });

  it('an empty password file is refused', () => {
    s.write('empty.pwd', '\n');
    const text = edit(BASE, 'passwordFile: meter.pwd', 'passwordFile: empty.pwd');
    expect(s.refuse(text).message).toBe(
      `${s.path('gateway.yaml')}: meters[1].auth.passwordFile: found ${JSON.stringify(s.path('empty.pwd'))} (empty), expected a file holding the password (line ${lineOf(text, 'empty.pwd')})`,
    );
  });
});

describe('defaults', () => {
  it('fill everything the file leaves out', () => {
    const c = s.load(BASE);
    expect(c.buses[0]).toEqual({
      id: 'bus1',
      device: '/dev/ttyUSB0',
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      responseTimeoutMs: 1500,
      maxRetries: 3,
      interFrameGapMs: 20,
      iec21: false,
    });
    expect(c.meters[0]).toMatchObject({ multiplier: '1', importOnly: true, authentication: { clientSap: 17 }, withList: 'auto', maxListItems: 10 });
    expect(c.schedules).toEqual({
      registers: '0 */4 * * *',
      billingSnapshot: '30 0-4 1 * *',
      loadProfile: '15 1 * * *',
      clockCheck: '45 2 * * *',
      dailyDigest: '0 6 * * *',
      retention: '30 3 * * *',
      timeZone: 'Asia/Ho_Chi_Minh',
    });
    expect(c.thresholds).toMatchObject({ offlineAfterFailures: 3, offlineAfterHours: 24, busSilentShare: 0.8, spikeRatio: 1.3, clockDriftSeconds: 60, tariffSumToleranceUnits: 1, stuckAfterHours: 48, preCutoffDays: 3 });
    expect(c.tcp).toEqual({ maxParallel: 16 });
    expect(c.mqtt).toEqual({
      url: 'mqtt://127.0.0.1:1883',
      username: 'TBA-Test-01',
      clientId: 'TBA-Test-01',
      topicRoot: 'chiso/v1',
      keepaliveSeconds: 60,
      replay: { maxBatchesPerSecond: 5, maxBatchItems: 500, maxBatchBytes: 262144 },
    });
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(c.logLevel).toBe('info');
    expect(c.retention).toEqual({ maxBytes: 512 * 1024 * 1024, maxAgeDays: 90, forgetAckedAfterDays: 45 });
    // No client of its own: the clock is set through the meter's own association unless the file names one.
    expect(c.clockSync).toEqual({ maxAdjustSeconds: 300 });
    expect('clientSap' in c.clockSync).toBe(false);
  });

  it('metrics: false turns the metrics endpoint off, and a bad port inside it is reported there', () => {
    expect(s.load(BASE + 'metrics: false\n').metrics).toBe(false);
    const text = BASE + 'metrics: { port: 70000 }\n';
    expect(s.refuse(text).message).toBe(`${s.path('gateway.yaml')}: metrics.port: found 70000, expected a TCP port 1..65535 (line ${lineOf(text, '70000')})`);
    const typo = BASE + 'metrics: { prot: 9000 }\n';
    expect(s.refuse(typo).message).toBe(`${s.path('gateway.yaml')}: metrics.prot: found an unknown key, expected port (check the spelling) (line ${lineOf(typo, 'prot')})`);
    const wrong = BASE + 'metrics: yes\n';
    expect(s.refuse(wrong).message).toBe(`${s.path('gateway.yaml')}: metrics: found "yes", expected false, or a mapping with host and port (line ${lineOf(wrong, 'metrics')})`);
  });

  it('a time zone is kept as written, and an unknown one refused', () => {
    expect(s.load(BASE + 'schedules: { timeZone: Asia/Ho_Chi_Minh }\n').schedules.timeZone).toBe('Asia/Ho_Chi_Minh');
    const text = BASE + 'schedules: { timeZone: Asia/Hanoi_City }\n';
    expect(s.refuse(text).message).toBe(`${s.path('gateway.yaml')}: schedules.timeZone: found "Asia/Hanoi_City", expected an IANA time zone name, e.g. Asia/Ho_Chi_Minh (line ${lineOf(text, 'Hanoi')})`);
  });
});
