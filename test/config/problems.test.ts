import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadGatewayConfig, parseGatewayConfig } from '../../src/config/index.js';
import { BASE, edit, lineOf, site } from './fixture.js';

const s = site();
afterAll(() => s.cleanup());
const file = s.path('gateway.yaml');

/** The message of refusing `text`, and checks it is CONFIG_INVALID. */
function invalid(text: string): string {
  const e = s.refuse(text);
  expect(e.code).toBe('CONFIG_INVALID');
  return e.message;
}

describe('the base fixture', () => {
  it('loads', () => {
    const c = s.load(BASE);
    expect(c.meters.map((m) => m.id)).toEqual(['M1', 'M2', 'M3']);
  });
});

describe('each class of mistake names the place, what was found and what is expected', () => {
  it('unknown model', () => {
    const text = edit(BASE, 'model: business', 'model: bussiness');
    expect(invalid(text)).toBe(`${file}: meters[1].model: found "bussiness", expected one of the models house, business (line ${lineOf(text, 'bussiness')})`);
  });

  it("a model's event codes: loaded as numbers, and refused with a bad code, an unknown alarm or without eventLog", () => {
    const withCodes = (codes: string, eventLog = 'true') =>
      edit(BASE, '  business:\n    registers:', `  business:\n    eventLog: ${eventLog}\n    eventCodes: ${codes}\n    registers:`);
    const c = s.load(withCodes('{ 7001: magnetic-tamper, "40": cover-open }'));
    expect(c.meters.find((m) => m.id === 'M2')!.eventCodes).toEqual({ 7001: 'magnetic-tamper', 40: 'cover-open' });
    expect(c.meters.find((m) => m.id === 'M1')!.eventCodes).toBeUndefined();
    const line = lineOf(withCodes('{}'), 'eventCodes');
    expect(invalid(withCodes('{ 70000: cover-open }'))).toBe(`${file}: models.business.eventCodes["70000"]: found the name "70000", expected an event code 0..65535 (line ${line})`);
    expect(invalid(withCodes('{ 40: lid-lifted }'))).toBe(
      `${file}: models.business.eventCodes["40"]: found "lid-lifted", expected one of cover-open, magnetic-tamper, power-failure, reverse-flow (line ${line})`,
    );
    expect(invalid(withCodes('{ 40: cover-open }', 'false'))).toBe(
      `${file}: models.business.eventCodes: found a mapping, expected the model's eventLog: true (the codes are those of its event log) (line ${line})`,
    );
  });

  it('unknown bus', () => {
    const text = edit(BASE, 'bus: bus1\n    hdlcAddress: { physical: 18 }', 'bus: bus2\n    hdlcAddress: { physical: 18 }');
    expect(invalid(text)).toBe(`${file}: meters[1].bus: found "bus2", expected one of the buses bus1 (line ${lineOf(text, 'bus: bus2')})`);
  });

  it('duplicate HDLC address on one bus', () => {
    const text = edit(BASE, '{ physical: 18 }', '{ physical: 17 }');
    expect(invalid(text)).toBe(
      `${file}: meters[1].hdlcAddress.physical: found 17, already used on bus bus1 by meters[0], expected a unique address on the bus (line ${lineOf(text, 'model: business') + 2})`,
    );
  });

  it('physical address out of range', () => {
    const text = edit(BASE, '{ physical: 18 }', '{ physical: 20000 }');
    expect(invalid(text)).toBe(`${file}: meters[1].hdlcAddress.physical: found 20000, expected a whole number 16..16381 (line ${lineOf(text, '20000')})`);
  });

  it('bad cron expression', () => {
    const text = BASE + 'schedules:\n  registers: "0 */4 * *"\n';
    expect(invalid(text)).toBe(
      `${file}: schedules.registers: found "0 */4 * *", expected a cron expression "minute hour day month weekday" (seconds optional in front), e.g. "0 */4 * * *" (line ${lineOf(text, 'registers: "0')})`,
    );
  });

  it('bad OBIS code', () => {
    const text = edit(BASE, 'obis: 1.0.1.8.1.255', 'obis: 1.0.1.8.1.256');
    expect(invalid(text)).toBe(
      `${file}: models.business.registers[1].obis: found "1.0.1.8.1.256", expected an OBIS code a.b.c.d.e.f with each group 0..255, e.g. 1.0.1.8.0.255 (line ${lineOf(text, '256')})`,
    );
  });

  it('missing password file', () => {
    const text = edit(BASE, 'passwordFile: meter.pwd', 'passwordFile: secrets/none.pwd');
    expect(invalid(text)).toBe(
      `${file}: meters[1].auth.passwordFile: found ${JSON.stringify(s.path('secrets/none.pwd'))} (no such file), expected a readable file holding the password (line ${lineOf(text, 'none.pwd')})`,
    );
  });

  it('missing key file', () => {
    const text = edit(BASE, 'keys/gateway.key', 'keys/other.key');
    expect(invalid(text)).toBe(
      `${file}: keys.privateKeyFile: found ${JSON.stringify(s.path('keys/other.key'))} (no such file), expected the gateway private key file (PEM) (line ${lineOf(text, 'other.key')})`,
    );
    expect(s.load(text, { requireKeyFiles: false }).keys.privateKeyFile).toBe(s.path('keys/other.key'));
  });

  it('wrong type', () => {
    const text = edit(BASE, '    device: /dev/ttyUSB0\n', '    device: /dev/ttyUSB0\n    baud: fast\n');
    expect(invalid(text)).toBe(
      `${file}: buses[0].baud: found "fast", expected a baud rate: one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (line ${lineOf(text, 'fast')})`,
    );
  });

  it('a code written as a number', () => {
    const text = edit(BASE, 'id: M1', 'id: 12345');
    expect(invalid(text)).toBe(
      `${file}: meters[0].id: found 12345, expected a meter code (MA_CTO): letters, digits, . _ -, at most 64, starting with a letter or digit (put codes made only of digits in quotes) (line ${lineOf(text, '12345')})`,
    );
  });

  it('missing required value, reported at its parent', () => {
    const text = edit(BASE, '  substation: TEST0001\n', '');
    expect(invalid(text)).toBe(`${file}: gateway.substation: found nothing, expected a substation code (MA_TRAM): letters, digits, . _ -, at most 32 (line 2)`);
  });

  it('misspelt key, with the key it probably meant', () => {
    const text = edit(BASE, 'hdlcAddress: { physical: 18 }', 'hdlcAdress: { physical: 18 }');
    const lines = invalid(text).split('\n');
    expect(lines).toContain(`${file}: meters[1].hdlcAdress: found an unknown key, expected hdlcAddress (check the spelling) (line ${lineOf(text, 'hdlcAdress')})`);
    // and, since the real key is now missing:
    expect(lines.some((l) => l.startsWith(`${file}: meters[1]`) && l.includes('expected an hdlcAddress for a meter on a bus'))).toBe(true);
  });

  it('unknown top-level section', () => {
    const text = BASE + 'mqttt: {}\n';
    expect(invalid(text)).toBe(`${file}: mqttt: found an unknown key, expected mqtt (check the spelling) (line ${lineOf(text, 'mqttt')})`);
  });

  it('duplicate meter id', () => {
    const text = edit(BASE, 'id: M3', 'id: M1');
    expect(invalid(text)).toBe(`${file}: meters[2].id: found "M1", already used by meters[0], expected a unique meter id (line ${lineOf(text, 'PD01000000003001') - 1})`);
  });

  it('duplicate route order in a book', () => {
    const text = edit(BASE, 'routeOrder: 2', 'routeOrder: 1');
    expect(invalid(text)).toBe(
      `${file}: meters[1].routeOrder: found 1, already used in book B01 by meters[0], expected a unique route order within the book (line ${lineOf(text, 'PD01000000002001') + 2})`,
    );
  });

  it('one metering point read for the same register by two meters', () => {
    const text = edit(BASE, 'PD01000000003001', 'PD01000000001001');
    expect(invalid(text)).toBe(
      `${file}: meters[2].meteringPoint: found "PD01000000001001", whose KT register is already read by meters[0], expected each register (BCS) of a metering point read by one meter (line ${lineOf(text, 'tcp:') - 2})`,
    );
  });

  it('the same BCS twice in a model', () => {
    const text = edit(BASE, 'bcs: BT', 'bcs: KT');
    expect(invalid(text)).toBe(`${file}: models.business.registers[1].bcs: found "KT", expected each BCS once per model (registers[0] is already KT) (line ${lineOf(text, '1.0.1.8.1.255')})`);
  });

  it('a TCP wrapper meter without wPort', () => {
    const text = edit(BASE, ', wPort: 1 }', ' }');
    expect(invalid(text)).toBe(`${file}: meters[2].tcp.wPort: found nothing, expected a wPort 1..65535 for the wrapper profile (usually 1) (line ${lineOf(text, 'tcp:')})`);
  });

  it('a bus meter without an address', () => {
    const text = edit(BASE, '    hdlcAddress: { physical: 18 }\n', '');
    expect(invalid(text)).toBe(`${file}: meters[1].hdlcAddress: found nothing, expected an hdlcAddress for a meter on a bus, e.g. { physical: 17 } (line ${lineOf(text, 'id: M2')})`);
  });

  it('a reading client without a password', () => {
    const text = edit(BASE, 'auth: { clientSap: 16 }', 'auth: { clientSap: 17 }');
    expect(invalid(text)).toBe(
      `${file}: meters[2].auth.password: found nothing, expected a password or passwordFile for client 17 (only the public client 16 reads without one) (line ${lineOf(text, 'clientSap: 17')})`,
    );
  });

  it('a metering point that is not the customer code plus 3 digits', () => {
    const text = edit(BASE, '    meteringPoint: PD01000000001001\n', '    meteringPoint: PD01000000001001\n    customerCode: PD0100000009\n');
    expect(invalid(text)).toBe(`${file}: meters[0].meteringPoint: found "PD01000000001001", expected the customer code PD0100000009 followed by 3 digits (line ${lineOf(text, 'PD01000000001001')})`);
  });

  it('an invalid gateway id (the wire rules)', () => {
    const text = edit(BASE, 'id: TBA-Test-01', 'id: TBA/Test');
    expect(invalid(text)).toBe(`${file}: gateway.id: found "TBA/Test", expected a gateway id: 1 to 64 letters, digits, _ or -, starting with a letter or digit (line 2)`);
  });

  it('passwords are never echoed', () => {
    const text = edit(BASE, 'auth: { password: "11111111" }', 'auth: { password: 11111111 }');
    const message = invalid(text);
    expect(message).toBe(`${file}: meters[0].auth.password: found a hidden value, expected a password (line ${lineOf(text, 'password: 1111')})`);
    expect(message).not.toContain('11111111');
  });
});

describe('several problems at once', () => {
  it('lists every one, in file order', () => {
    let text = BASE;
    text = edit(text, 'unitCode: PD0100', 'unitCode: PD01');
    text = edit(text, 'obis: 1.0.1.8.1.255', 'obis: 1.8.1');
    text = edit(text, 'model: house\n    bus: bus1', 'model: flat\n    bus: bus1');
    text = edit(text, '{ physical: 18 }', '{ physical: 5 }');
    text = edit(text, 'passwordFile: meter.pwd', 'passwordFile: missing.pwd');
    text = edit(text, 'url: mqtt://127.0.0.1:1883', 'url: http://127.0.0.1');
    text += 'logLevel: loud\n';
    const e = s.refuse(text);
    expect(e.problems.map((p) => p.path)).toEqual([
      'gateway.unitCode',
      'models.business.registers[1].obis',
      'meters[0].model',
      'meters[1].hdlcAddress.physical',
      'meters[1].auth.passwordFile',
      'mqtt.url',
      'logLevel',
    ]);
    const lines = e.message.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe(`${file}: logLevel: found "loud", expected one of fatal, error, warn, info, debug, trace, silent (line ${lineOf(text, 'loud')})`);
    expect(e.context).toMatchObject({ file, problems: 7 });
  });

  it('a bad meter does not hide a duplicate between two others', () => {
    let text = edit(BASE, 'id: M1', 'id: "bad id"');
    text = edit(text, 'id: M3', 'id: M2');
    expect(s.refuse(text).problems.map((p) => p.path)).toEqual(['meters[0].id', 'meters[2].id']);
  });
});

describe('refusals before validation', () => {
  it('YAML syntax errors carry line and column', () => {
    const text = edit(BASE, 'dataDir: data', 'dataDir: data: more');
    const e = s.refuse(text);
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toBe(`${file}:${lineOf(text, 'dataDir')}:10: found a syntax error: Nested mappings are not allowed in compact mappings, expected valid YAML`);
  });

  it('a key given twice is a syntax error, not a silent override', () => {
    const text = BASE + 'dataDir: other\n';
    const e = s.refuse(text);
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toBe(`${file}:${lineOf(text, 'dataDir: other')}:1: found a syntax error: Map keys must be unique, expected valid YAML`);
  });

  it('JSON syntax errors carry line and column', () => {
    const jsonFile = s.path('gateway.json');
    const e = s.refuse('{\n  "gateway": {\n    "id": "X",\n  }\n}\n', {}, 'gateway.json');
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toBe(`${jsonFile}:4:3: found a syntax error: Expected double-quoted property name, expected valid JSON`);
  });

  it('a missing file is CONFIG_UNREADABLE', () => {
    const missing = s.path('nope.yaml');
    const e = (() => {
      try {
        loadGatewayConfig(missing);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a refusal');
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('CONFIG_UNREADABLE');
    expect(e.message).toBe(`${missing}: found nothing readable (no such file), expected a readable configuration file`);
  });

  it('a JSON file is checked the same way, with lines', () => {
    const json = JSON.stringify({ gateway: { id: 'G1', unitCode: 'PD0100', substation: 'S1' }, models: {}, meters: [{ id: 'M1', meteringPoint: 'P1', model: 'x', tcp: { host: 'h', port: 1, wPort: 1 }, auth: { clientSap: 16 } }], mqtt: { url: 'mqtt://h' }, keys: { privateKeyFile: 'keys/gateway.key' }, dataDir: 'd' }, null, 2);
    const e = s.refuse(json, {}, 'gateway.json');
    expect(e.message).toBe(`${s.path('gateway.json')}: meters[0].model: found "x", expected a model from the models section (it has none) (line ${lineOf(json, '"model"')})`);
  });

  it('an unknown extension is CONFIG_UNREADABLE', () => {
    expect(() => parseGatewayConfig(BASE, 'gateway.toml')).toThrow(
      expect.objectContaining({ code: 'CONFIG_UNREADABLE', message: 'gateway.toml: found the extension ".toml", expected a .yaml, .yml or .json file' }),
    );
  });

  it('an empty file says what is expected', () => {
    const e = s.refuse('');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(`${file}: found an empty value, expected a mapping with the sections gateway, buses, models, meters, mqtt, keys, dataDir …`);
  });
});
