import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chisoBin, chisoSimBin, ensureBuilt, killAll, runToEnd, startProcess, type Running } from '../support/processes.js';

beforeAll(ensureBuilt, 120_000);

describe('chiso read against chiso-sim over TCP', () => {
  let sim: Running;
  let port: string;

  beforeAll(async () => {
    sim = startProcess(chisoSimBin, ['meter', '--tcp', '0', '--wrapper', '--meters', '2', '--password', 'secret', '--fault', 'silent@2']);
    port = (await sim.line(/127\.0\.0\.1:(\d+)/))[1]!;
    await sim.line(/ready/);
  });
  afterAll(async () => {
    await sim.stop();
    killAll();
  });

  it('prints each value with its unit and exits 0', async () => {
    const r = await runToEnd(chisoBin, ['read', '--tcp', `127.0.0.1:${port}`, '--wrapper', '--password', 'secret', '1.0.1.8.0.255', '1-0:1.8.1*255', '0.0.96.1.0.255']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^3\/1\.0\.1\.8\.0\.255\/2 {2}\d+ Wh$/);
    expect(r.out[1]).toMatch(/^3\/1\.0\.1\.8\.1\.255\/2 {2}\d+ Wh$/);
    expect(r.out[2]).toMatch(/^1\/0\.0\.96\.1\.0\.255\/2 {2}"SIM\d+"$/);
  });

  it('--json prints one object per attribute, failures included, and exits 1 when one failed', async () => {
    const r = await runToEnd(chisoBin, ['read', '--tcp', `127.0.0.1:${port}`, '--wrapper', '--password', 'secret', '--json', '1.0.1.8.0.255', '1.0.99.99.0.255']);
    expect(r.code).toBe(1);
    const lines = r.out.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ ok: true, obis: '1.0.1.8.0.255', unit: 'Wh' });
    expect(lines[1]).toMatchObject({ ok: false, error: { code: 'METER_OBJECT_UNDEFINED' } });
  });

  it('says why when the password is wrong or the meter is silent', async () => {
    const wrong = await runToEnd(chisoBin, ['read', '--tcp', `127.0.0.1:${port}`, '--wrapper', '--password', 'nope', '1.0.1.8.0.255']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/METER_AUTH_FAILED: .*wrong password/);
    const silent = await runToEnd(chisoBin, ['read', '--tcp', `127.0.0.1:${port}`, '--wrapper', '--server', '2', '--password', 'secret', '--timeout', '300', '--retries', '0', '1.0.1.8.0.255']);
    expect(silent.code).toBe(1);
    expect(silent.err).toMatch(/METER_NO_ANSWER/);
  });

  it('refuses a bad command line with exit 2 and the usage', async () => {
    const r = await runToEnd(chisoBin, ['read', '--tcp', `127.0.0.1:${port}`, 'not-an-obis']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"not-an-obis" is not an attribute/);
    expect(r.err).toMatch(/Usage: chiso read/);
  });
});

describe('chiso scan on a simulated RS485 bus', () => {
  it('lists the addresses that answer with their serial numbers', async () => {
    const sim = startProcess(chisoSimBin, ['meter', '--pty', '--meters', '3', '--baud', '9600', '--fault', 'silent@2']);
    try {
      const device = (await sim.line(/(\/\S+)/))[1]!;
      await sim.line(/ready/);
      const serials = sim.out.map((l) => /serial (\S+)/.exec(l)?.[1]).filter(Boolean);
      const r = await runToEnd(chisoBin, ['scan', '--serial', device, '--from', '15', '--to', '20', '--timeout', '150'], 30_000);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`   17  ${serials[0]}`);
      expect(r.out).toContain(`   19  ${serials[2]}`);
      expect(r.out.some((l) => l.startsWith('   18'))).toBe(false);
      expect(r.out).toContain('2 meter(s) answered between 15 and 20');
    } finally {
      await sim.stop();
      killAll();
    }
  });
});

describe('IEC 62056-21 sign-on on a simulated optical/RS485 line', () => {
  it('chiso readout prints the mode C data lines with their OBIS codes', async () => {
    const sim = startProcess(chisoSimBin, ['meter', '--pty', '--meters', '1', '--iec21', 'mode-c']);
    try {
      const device = (await sim.line(/open (\/\S+)/))[1]!;
      await sim.line(/ready/);
      const r = await runToEnd(chisoBin, ['readout', '--serial', device, '--json'], 30_000);
      expect(r.code).toBe(0);
      const lines = r.out.filter(Boolean).map((l) => JSON.parse(l) as { id: string; obis: string | null; values: { value: string; unit?: string }[] });
      const total = lines.find((l) => l.id === '1.8.0')!;
      expect(total.obis).toBe('1.0.1.8.0.255');
      expect(total.values[0]!.unit).toBe('kWh');
      const tariffs = ['1.8.1', '1.8.2', '1.8.3'].map((id) => Number(lines.find((l) => l.id === id)!.values[0]!.value));
      // The tariff registers add up to the total, to the meter's last digit.
      expect(Math.round(tariffs.reduce((a, b) => a + b, 0) * 1000)).toBe(Math.round(Number(total.values[0]!.value) * 1000));
    } finally {
      await sim.stop();
      killAll();
    }
  });

  it('chiso read --iec21 hands over to HDLC (mode E) and reads the addressed meter', async () => {
    const sim = startProcess(chisoSimBin, ['meter', '--pty', '--meters', '2', '--iec21', 'mode-e', '--password', 'pw']);
    try {
      const device = (await sim.line(/open (\/\S+)/))[1]!;
      const serial = (await sim.line(/meter 2 .*serial (\S+)/))[1]!;
      await sim.line(/ready/);
      const r = await runToEnd(chisoBin, ['read', '--serial', device, '--iec21', '--iec21-address', serial, '--server', '18', '--password', 'pw', '0.0.96.1.0.255'], 30_000);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out[0]).toBe(`1/0.0.96.1.0.255/2  "${serial}"`);
    } finally {
      await sim.stop();
      killAll();
    }
  });
});
