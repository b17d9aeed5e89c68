import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/dlms/apdu/index.js';
import { parseObis } from '../../src/dlms/cosem/obis.js';
import { encodeOptionSelect, encodeRequest, parseIdentification } from '../../src/dlms/iec62056-21/messages.js';
import { addEvenParity, stripParity } from '../../src/dlms/iec62056-21/parity.js';
import { FORMAT_8N1 } from '../../src/transport/line-format.js';
import { createSerialTransport, type SerialTransport } from '../../src/transport/serial.js';
import { startPtyBus, type PtyBus } from '../../simulators/protocol/servers.js';
import { apduOf, clientFrame, framesIn, serverAt } from './frames.js';
import { publicAarq, testMeter } from './meters.js';
import { Received, sleep } from './raw-client.js';

const open: { buses: PtyBus[]; ports: SerialTransport[] } = { buses: [], ports: [] };

afterEach(async () => {
  for (const p of open.ports.splice(0)) await p.close();
  for (const b of open.buses.splice(0)) await b.close();
});

async function bus(options: Parameters<typeof startPtyBus>[0]) {
  const b = await startPtyBus(options);
  open.buses.push(b);
  const port = createSerialTransport({ path: b.path, baudRate: b.baud, ...FORMAT_8N1, lock: false });
  open.ports.push(port);
  const received = new Received();
  port.onData((bytes) => received.push(bytes));
  await port.open();
  return { bus: b, port, received };
}

describe('pseudo-terminal RS485 bus', () => {
  it('only the addressed meter answers; the others stay quiet', async () => {
    const meters = [testMeter({ serial: 'B1' }), testMeter({ serial: 'B2' }), testMeter({ serial: 'B3' })];
    const { bus: b, port, received } = await bus({ meters, baud: 9600 });
    expect(b.path).toMatch(/client$/);
    expect(b.meters.map((m) => `${m.address} ${m.serial}`)).toEqual(['hdlc 1/17 B1', 'hdlc 1/18 B2', 'hdlc 1/19 B3']);

    await port.write(clientFrame(serverAt(18), 16, { type: 'SNRM', pf: true }));
    await received.waitFor((bytes) => framesIn(bytes).length >= 1, 'UA from 1/18');
    await sleep(200); // time for a wrong meter to answer too, if one did
    const frames = framesIn(received.bytes);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.control.type).toBe('UA');
    expect(frames[0]!.source).toEqual({ upper: 1, lower: 18, size: 4 });

    received.clear();
    await port.write(clientFrame(serverAt(18), 16, { type: 'I', ns: 0, nr: 0, pf: true }, publicAarq()));
    await received.waitFor((bytes) => framesIn(bytes).length >= 1, 'AARE');
    received.clear();
    const get = { type: 'get-request-normal', invoke: invoke(2), attribute: { classId: 1, instanceId: parseObis('0.0.96.1.0.255'), attributeId: 2 } } as const;
    await port.write(clientFrame(serverAt(18), 16, { type: 'I', ns: 1, nr: 1, pf: true }, get));
    const [answer] = framesIn(await received.waitFor((bytes) => framesIn(bytes).length >= 1, 'serial number'));
    expect(apduOf(answer!)).toMatchObject({ type: 'get-response-normal', result: { data: { value: new TextEncoder().encode('B2') } } });

    const path = b.path;
    await b.close();
    expect(existsSync(path)).toBe(false);
  });

  it('paces answers at the bus speed: 10 bits per byte', async () => {
    const { port, received } = await bus({ meters: [testMeter()], baud: 1200 });
    const sent = Date.now();
    await port.write(clientFrame(serverAt(17), 16, { type: 'SNRM', pf: true }));
    const bytes = await received.waitFor((b) => framesIn(b).length >= 1, 'UA', 5000);
    const elapsed = Date.now() - sent;
    // The UA with its parameter field is ~35 bytes: ≥ 290 ms at 1200 baud (a pseudo-terminal alone takes ~1 ms).
    expect(bytes.length).toBeGreaterThan(30);
    expect(elapsed).toBeGreaterThanOrEqual(Math.floor((bytes.length * 10 * 1000) / 1200) - 5);
  });

  it('IEC 62056-21 mode E: sign-on addressed by serial, then HDLC', async () => {
    const meters = [testMeter({ serial: 'E1' }), testMeter({ serial: 'E2' })];
    const { port, received } = await bus({ meters, baud: 9600, iec21: { mode: 'mode-e' } });
    const start = Date.now();
    await port.write(addEvenParity(encodeRequest('E2')));
    const id = await received.waitFor((b) => b.length > 4 && b[b.length - 1] === 0x0a, 'identification', 4000);
    expect(parseIdentification(stripParity(id))).toMatchObject({ manufacturer: 'CHS', ident: 'SIME2', capability: '2' });
    // Only E2 answered, after its reaction time and at the sign-on speed of 300 baud.
    expect(Date.now() - start).toBeGreaterThanOrEqual(200 + Math.floor((id.length * 10 * 1000) / 300) - 5);
    received.clear();
    await port.write(addEvenParity(encodeOptionSelect({ protocol: 'hdlc', baud: 9600, mode: 'binary' })));
    await sleep(50);
    await port.write(clientFrame(serverAt(18), 16, { type: 'SNRM', pf: true }));
    const [ua] = framesIn(await received.waitFor((b) => framesIn(b).length >= 1, 'UA after mode E', 4000));
    expect(ua!.source).toEqual({ upper: 1, lower: 18, size: 4 });
  });
});
