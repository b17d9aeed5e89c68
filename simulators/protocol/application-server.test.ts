import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conformanceToNumber,
  decodeApdu,
  DATA_ACCESS_RESULTS,
  encodeApdu,
  invoke,
  type Apdu,
  type AttributeDescriptor,
} from '../../src/dlms/apdu/index.js';
import { cosemDateTimeFromDate } from '../../src/dlms/axdr/datetime.js';
import { decodeDataExact } from '../../src/dlms/axdr/decode.js';
import { encodeData } from '../../src/dlms/axdr/encode.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import { CLASS_ID } from '../../src/dlms/cosem/classes.js';
import { OBIS, parseObis } from '../../src/dlms/cosem/obis.js';
import { rangeDescriptor } from '../../src/dlms/cosem/profile.js';
import { toHex } from '../../src/shared/bytes.js';
import { MeterObjects } from '../meter/cosem-objects.js';
import { vectorBytes } from '../../test/fixtures/vectors.js';
import { llsAarq, NOW, publicAarq, testMeter } from '../../test/simulator/meters.js';
import { ApplicationServer, type ApplicationServerOptions } from './application-server.js';

function setup(options: Partial<ApplicationServerOptions> = {}, meterPassword = '12345678') {
  const meter = testMeter({ password: meterPassword });
  const objects = new MeterObjects(meter);
  const server = new ApplicationServer({ objects, readingPassword: meter.password, managementPassword: 'manage-me', ...options });
  const ask = (apdu: Apdu | Uint8Array, sap = 17): Apdu => {
    const out = server.handle(apdu instanceof Uint8Array ? apdu : encodeApdu(apdu), sap);
    expect(out).toHaveLength(1);
    return decodeApdu(out[0]!);
  };
  return { meter, objects, server, ask };
}

const attr = (classId: number, obis: string, attributeId: number): AttributeDescriptor => ({ classId, instanceId: parseObis(obis), attributeId });

function expectType<T extends Apdu['type']>(a: Apdu, type: T): Extract<Apdu, { type: T }> {
  expect(a.type).toBe(type);
  return a as Extract<Apdu, { type: T }>;
}

describe('association', () => {
  it('accepts the public client without authentication and grants the intersection of conformance', () => {
    const { ask, server } = setup();
    const aare = expectType(ask(publicAarq(0xffff, ['get', 'set', 'general-block-transfer', 'block-transfer-with-set-or-write']), 16), 'aare');
    expect(aare.result).toBe('accepted');
    expect(aare.diagnostic).toEqual({ source: 'acse-service-user', value: 0 });
    const ui = aare.userInformation;
    expect(ui?.type).toBe('initiate-response');
    if (ui?.type !== 'initiate-response') return;
    expect([...ui.conformance].sort()).toEqual(['get', 'set']);
    expect(ui.serverMaxReceivePduSize).toBe(1024);
    expect(ui.vaaName).toBe(7);
    expect(server.associationOf(16)?.level).toBe('public');
    expect(server.associationOf(16)?.maxSendPdu).toBe(1024);
  });

  it('accepts the Gurux LLS AARQ vector when the password matches, PDU = min(client, meter)', () => {
    const { ask, server } = setup({ maxPduSize: 512 }, 'Gurux');
    const aarq = vectorBytes('WRAPPER AARQ LLS').subarray(8);
    const aare = expectType(ask(aarq, 17), 'aare');
    expect(aare.result).toBe('accepted');
    if (aare.userInformation?.type !== 'initiate-response') throw new Error('no initiate-response');
    // 0x401E1D proposed ∩ {bt-get, multiple-refs, get, set, selective, action}
    expect(conformanceToNumber(aare.userInformation.conformance)).toBe(0x00121d);
    expect(aare.userInformation.serverMaxReceivePduSize).toBe(512);
    expect(server.associationOf(17)).toMatchObject({ level: 'reading', maxSendPdu: 512 });
  });

  it('refuses a wrong password with authentication-failure (13)', () => {
    const { ask, server } = setup();
    const aare = expectType(ask(llsAarq('wrong'), 17), 'aare');
    expect(aare.result).toBe('rejected-permanent');
    expect(aare.diagnostic).toEqual({ source: 'acse-service-user', value: 13 });
    expect(server.associationOf(17)).toBeUndefined();
  });

  it('uses the management password for SAP 1 and not the reading one', () => {
    const { ask, server } = setup();
    expect(expectType(ask(llsAarq('12345678'), 1), 'aare').diagnostic.value).toBe(13);
    expect(expectType(ask(llsAarq('manage-me'), 1), 'aare').result).toBe('accepted');
    expect(server.associationOf(1)?.level).toBe('management');
  });

  it('refuses a reading client without LLS (mechanism required) and an unknown SAP', () => {
    const { ask } = setup();
    expect(expectType(ask(publicAarq(), 17), 'aare').diagnostic).toEqual({ source: 'acse-service-user', value: 12 });
    expect(expectType(ask(publicAarq(), 99), 'aare').result).toBe('rejected-permanent');
  });

  it('refuses a short-name context with application-context-name-not-supported (2)', () => {
    const { ask } = setup();
    const aare = expectType(ask({ ...publicAarq(), applicationContextName: 'short-name' }, 16), 'aare');
    expect(aare.result).toBe('rejected-permanent');
    expect(aare.diagnostic).toEqual({ source: 'acse-service-user', value: 2 });
  });

  it('refuses DLMS version 5 with the initiate ConfirmedServiceError dlms-version-too-low', () => {
    const { ask } = setup();
    const aarq = publicAarq();
    const ui = aarq.userInformation;
    if (ui?.type !== 'initiate-request') throw new Error('test setup');
    const aare = expectType(ask({ ...aarq, userInformation: { ...ui, dlmsVersion: 5 } }, 16), 'aare');
    expect(aare.result).toBe('rejected-permanent');
    expect(aare.userInformation).toEqual({ type: 'confirmed-service-error', service: 1, errorKind: 6, error: 1 });
  });

  it('releases on RLRQ and refuses services afterwards', () => {
    const { ask } = setup();
    ask(llsAarq('12345678'));
    expect(ask({ type: 'rlrq', reason: 0 })).toEqual({ type: 'rlre', reason: 0 });
    const after = ask({ type: 'get-request-normal', invoke: invoke(1), attribute: attr(8, '0.0.1.0.0.255', 2) });
    expect(after).toEqual({ type: 'exception-response', stateError: 1, serviceError: 1 });
  });

  it('refuses a GET before any AARQ with an ExceptionResponse (service-not-allowed)', () => {
    const { server } = setup();
    const out = server.handle(encodeApdu({ type: 'get-request-normal', invoke: invoke(1), attribute: attr(3, '1.0.1.8.0.255', 2) }), 17);
    expect(out.map((b) => toHex(b))).toEqual(['D80101']);
  });
});

describe('one association, one instant', () => {
  it('answers the energy registers of one association from the instant it opened, while the clock runs on', () => {
    let t = NOW;
    const meter = testMeter({}, () => t);
    const server = new ApplicationServer({ objects: new MeterObjects(meter), readingPassword: meter.password });
    const get = (obis: string, classId: number) => {
      const [out] = server.handle(encodeApdu({ type: 'get-request-normal', invoke: invoke(1), attribute: attr(classId, obis, 2) }), 17);
      return expectType(decodeApdu(out!), 'get-response-normal').result;
    };
    server.handle(encodeApdu(llsAarq('12345678')), 17);
    const total = get('1.0.1.8.0.255', 3);
    const clockBefore = get('0.0.1.0.0.255', 8);
    t += 6 * 3_600_000; // accelerated time: a few real milliseconds can be hours
    expect(get('1.0.1.8.0.255', 3)).toEqual(total);
    expect(get('0.0.1.0.0.255', 8)).not.toEqual(clockBefore);
    server.handle(encodeApdu({ type: 'rlrq', reason: 0 }), 17);
    server.handle(encodeApdu(llsAarq('12345678')), 17);
    expect(get('1.0.1.8.0.255', 3)).toEqual({ type: 'data', data: { type: 'double-long-unsigned', value: meter.registersAt(t).importTotal } });
    expect(get('1.0.1.8.0.255', 3)).not.toEqual(total);
  });
});

describe('GET', () => {
  it('reads a register value and its scaler_unit as the meter model shows them', () => {
    const { ask, meter } = setup();
    ask(llsAarq('12345678'));
    const value = expectType(ask({ type: 'get-request-normal', invoke: invoke(3), attribute: attr(3, '1.0.1.8.0.255', 2) }), 'get-response-normal');
    expect(value.invoke).toEqual(invoke(3));
    expect(value.result).toEqual({ type: 'data', data: { type: 'double-long-unsigned', value: meter.registersAt(NOW).importTotal } });
    const su = expectType(ask({ type: 'get-request-normal', invoke: invoke(4), attribute: attr(3, '1.0.1.8.0.255', 3) }), 'get-response-normal');
    expect(su.result).toEqual({
      type: 'data',
      data: { type: 'structure', value: [{ type: 'integer', value: 0 }, { type: 'enum', value: 30 }] },
    });
  });

  it('answers an unknown object with object-undefined and a reading object on the public SAP with read-write-denied', () => {
    const { ask } = setup();
    ask(publicAarq(), 16);
    const unknown = expectType(ask({ type: 'get-request-normal', invoke: invoke(1), attribute: attr(3, '1.0.99.8.0.255', 2) }, 16), 'get-response-normal');
    expect(unknown.result).toEqual({ type: 'data-access-result', result: DATA_ACCESS_RESULTS['object-undefined'] });
    const denied = expectType(ask({ type: 'get-request-normal', invoke: invoke(2), attribute: attr(3, '1.0.1.8.0.255', 2) }, 16), 'get-response-normal');
    expect(denied.result).toEqual({ type: 'data-access-result', result: DATA_ACCESS_RESULTS['read-write-denied'] });
  });

  it('answers GET-with-list item by item', () => {
    const { ask, meter } = setup();
    ask(llsAarq('12345678'));
    const r = expectType(
      ask({
        type: 'get-request-with-list',
        invoke: invoke(5),
        items: [
          { attribute: attr(3, '1.0.1.8.0.255', 2) },
          { attribute: attr(3, '1.0.1.8.1.255', 2) },
          { attribute: attr(1, '0.0.96.1.0.255', 2) },
          { attribute: attr(3, '9.9.9.9.9.9', 2) },
        ],
      }),
      'get-response-with-list',
    );
    const regs = meter.registersAt(NOW);
    expect(r.results).toEqual([
      { type: 'data', data: { type: 'double-long-unsigned', value: regs.importTotal } },
      { type: 'data', data: { type: 'double-long-unsigned', value: regs.T1 } },
      { type: 'data', data: { type: 'octet-string', value: new TextEncoder().encode('SIM0001') } },
      { type: 'data-access-result', result: DATA_ACCESS_RESULTS['object-undefined'] },
    ]);
  });

  it('refuses GET-with-list on a meter without multiple-references exactly as the vector shows (D8 01 02)', () => {
    const { ask, server } = setup({ multipleReferences: false });
    const aare = expectType(ask(publicAarq(), 16), 'aare');
    if (aare.userInformation?.type !== 'initiate-response') throw new Error('no initiate-response');
    expect(aare.userInformation.conformance.has('multiple-references')).toBe(false);
    const out = server.handle(
      encodeApdu({ type: 'get-request-with-list', invoke: invoke(1), items: [{ attribute: attr(8, '0.0.1.0.0.255', 2) }] }),
      16,
    );
    expect(out).toEqual([vectorBytes('ExceptionResponse service-not-allowed')]);
    // The single GET, the client's fallback, still works.
    expect(ask({ type: 'get-request-normal', invoke: invoke(2), attribute: attr(8, '0.0.1.0.0.255', 2) }, 16).type).toBe('get-response-normal');
  });

  it('sends a 40-day load profile in blocks that fit a 256-byte PDU and reassemble exactly', () => {
    const { ask, objects } = setup();
    ask(llsAarq('12345678', 256));
    const expected = encodeData(objects.get({ classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'reading') as DlmsData);
    expect(expected.length).toBeGreaterThan(40 * 48 * 25); // 1 920 rows of ~28 bytes: ~210 blocks
    const parts: Uint8Array[] = [];
    let a = ask({ type: 'get-request-normal', invoke: invoke(6), attribute: attr(7, '1.0.99.1.0.255', 2) });
    let expectedNumber = 1;
    for (;;) {
      const block = expectType(a, 'get-response-with-datablock');
      expect(block.blockNumber).toBe(expectedNumber);
      expect(encodeApdu(block).length).toBeLessThanOrEqual(256);
      if (block.result.type !== 'raw-data') throw new Error(`block ${block.blockNumber} refused`);
      parts.push(block.result.data);
      if (block.lastBlock) break;
      a = ask({ type: 'get-request-next', invoke: invoke(6), blockNumber: block.blockNumber });
      expectedNumber++;
    }
    const whole = Uint8Array.from(parts.flatMap((p) => [...p]));
    expect(whole).toEqual(expected);
    expect((decodeDataExact(whole) as { value: unknown[] }).value.length).toBe(40 * 48);
    // Nothing is in progress any more.
    const late = expectType(ask({ type: 'get-request-next', invoke: invoke(6), blockNumber: expectedNumber }), 'get-response-with-datablock');
    expect(late.result).toEqual({ type: 'data-access-result', result: DATA_ACCESS_RESULTS['no-long-get-in-progress'] });
  });

  it('refuses a GET-Request-Next with the wrong block number (data-block-number-invalid)', () => {
    const { ask } = setup();
    ask(llsAarq('12345678', 256));
    const first = expectType(ask({ type: 'get-request-normal', invoke: invoke(6), attribute: attr(7, '1.0.99.1.0.255', 2) }), 'get-response-with-datablock');
    expect(first.blockNumber).toBe(1);
    const wrong = expectType(ask({ type: 'get-request-next', invoke: invoke(6), blockNumber: 5 }), 'get-response-with-datablock');
    expect(wrong.lastBlock).toBe(true);
    expect(wrong.result).toEqual({ type: 'data-access-result', result: DATA_ACCESS_RESULTS['data-block-number-invalid'] });
  });

  it('answers pdu-too-long when the answer does not fit and block transfer was not negotiated', () => {
    const { ask } = setup();
    ask(llsAarq('12345678', 256, ['get', 'selective-access']));
    expect(ask({ type: 'get-request-normal', invoke: invoke(1), attribute: attr(7, '1.0.99.1.0.255', 2) })).toEqual({
      type: 'exception-response',
      stateError: 1,
      serviceError: 4,
    });
  });

  it('passes a range selective access through to the profile: only the rows of the range', () => {
    const { ask, meter } = setup();
    ask(llsAarq('12345678'));
    const from = NOW - 3 * 3600_000;
    const dt = (t: number): DlmsData => ({ type: 'octet-string', value: encodeData({ type: 'date-time', value: cosemDateTimeFromDate(new Date(t), meter.deviation) }).subarray(1) });
    const parameters = rangeDescriptor({
      restrictingObject: { classId: CLASS_ID.clock, obis: OBIS.clock, attribute: 2, dataIndex: 0 },
      from: dt(from),
      to: dt(NOW),
    });
    const r = expectType(
      ask({ type: 'get-request-normal', invoke: invoke(7), attribute: attr(7, '1.0.99.1.0.255', 2), access: { selector: 1, parameters } }),
      'get-response-normal',
    );
    if (r.result.type !== 'data' || r.result.data.type !== 'array') throw new Error('expected an array');
    const stamps = meter.loadProfileRows(NOW).map((row) => row.stamp).filter((s) => s >= from && s <= NOW);
    expect(stamps.length).toBe(7); // both ends inclusive: NOW - 3 h, …, NOW
    expect(r.result.data.value).toHaveLength(7);
    const imports = r.result.data.value.map((row) => (row as { value: DlmsData[] }).value[2]);
    expect(imports).toEqual(meter.loadProfileRows(NOW).filter((row) => row.stamp >= from).map((row) => ({ type: 'double-long-unsigned', value: row.importTotal })));
  });
});

describe('SET and ACTION', () => {
  it('lets the management client set the clock and refuses the reading client', () => {
    const { ask, meter } = setup();
    const target = NOW + 3600_000;
    const value: DlmsData = { type: 'octet-string', value: encodeData({ type: 'date-time', value: cosemDateTimeFromDate(new Date(target), meter.deviation) }).subarray(1) };
    ask(llsAarq('12345678'), 17);
    const denied = expectType(ask({ type: 'set-request-normal', invoke: invoke(1), attribute: attr(8, '0.0.1.0.0.255', 2), value }, 17), 'set-response-normal');
    expect(denied.result).toBe(DATA_ACCESS_RESULTS['read-write-denied']);
    ask(llsAarq('manage-me'), 1);
    const ok = expectType(ask({ type: 'set-request-normal', invoke: invoke(2), attribute: attr(8, '0.0.1.0.0.255', 2), value }, 1), 'set-response-normal');
    expect(ok.result).toBe(0);
    expect(meter.clockAt(NOW)).toBe(target);
  });

  it('runs a clock method and refuses an unknown one', () => {
    const { ask } = setup();
    ask(llsAarq('manage-me'), 1);
    const shift = expectType(
      ask({ type: 'action-request-normal', invoke: invoke(1), method: { classId: 8, instanceId: OBIS.clock, methodId: 6 }, parameters: { type: 'long', value: 30 } }, 1),
      'action-response-normal',
    );
    expect(shift.result).toBe(0);
    const unknown = expectType(ask({ type: 'action-request-normal', invoke: invoke(2), method: { classId: 8, instanceId: OBIS.clock, methodId: 9 } }, 1), 'action-response-normal');
    expect(unknown.result).toBe(4);
  });
});

describe('robustness', () => {
  it('turns a throwing object model into hardware-fault, not a crash', () => {
    const throwing = { get: () => { throw new Error('boom'); }, set: () => { throw new Error('boom'); }, action: () => { throw new Error('boom'); } };
    const server = new ApplicationServer({ objects: throwing, readingPassword: 'x' });
    server.handle(encodeApdu(publicAarq()), 16);
    const [out] = server.handle(encodeApdu({ type: 'get-request-normal', invoke: invoke(1), attribute: attr(3, '1.0.1.8.0.255', 2) }), 16);
    expect(decodeApdu(out!)).toEqual({ type: 'get-response-normal', invoke: invoke(1), result: { type: 'data-access-result', result: 1 } });
  });

  it('answers random bytes with APDUs, never an exception', () => {
    const { server } = setup();
    server.handle(encodeApdu(publicAarq()), 16);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(1, 16, 17, 40), (bytes, sap) => {
        const out = server.handle(bytes, sap);
        expect(out.length).toBe(1);
        expect(() => decodeApdu(out[0]!)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
