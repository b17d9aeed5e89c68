import { afterEach, describe, expect, it } from 'vitest';
import { decodeApdu, encodeApdu, invoke } from '../../src/dlms/apdu/index.js';
import { decodeFrame } from '../../src/dlms/hdlc/frame.js';
import { WrapperDeframer } from '../../src/dlms/wrapper/deframer.js';
import { encodeWrapper } from '../../src/dlms/wrapper/wrapper.js';
import { toHex } from '../../src/shared/bytes.js';
import { isDlmsError } from '../../src/dlms/errors.js';
import { parseObis } from '../../src/dlms/cosem/obis.js';
import { startTcpMeterServer, type TcpMeterServer } from '../../simulators/protocol/servers.js';
import { vectorBytes } from '../fixtures/vectors.js';
import { apduOf, clientFrame, framesIn, serverAt } from './frames.js';
import { publicAarq, testMeter } from './meters.js';
import { rawTcpClient, sleep, type RawTcpClient } from './raw-client.js';

const open: { servers: TcpMeterServer[]; clients: RawTcpClient[] } = { servers: [], clients: [] };

afterEach(async () => {
  for (const c of open.clients.splice(0)) await c.close();
  for (const s of open.servers.splice(0)) await s.close();
});

async function serve(options: Parameters<typeof startTcpMeterServer>[0]) {
  const server = await startTcpMeterServer(options);
  open.servers.push(server);
  const client = await rawTcpClient(server.port);
  open.clients.push(client);
  return { server, client };
}

const serialGet = encodeApdu({ type: 'get-request-normal', invoke: invoke(1), attribute: { classId: 1, instanceId: parseObis('0.0.96.1.0.255'), attributeId: 2 } });

describe('HDLC over TCP', () => {
  it('answers the SNRM vector with a UA from meter 1/17 only, and other addresses from their own meter', async () => {
    const meters = [testMeter({ serial: 'A1' }), testMeter({ serial: 'A2' }), testMeter({ serial: 'A3' })];
    const { server, client } = await serve({ port: 0, wrapper: false, meters });
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.meters.map((m) => m.address)).toEqual(['hdlc 1/17', 'hdlc 1/18', 'hdlc 1/19']);

    client.send(vectorBytes('HDLC SNRM to 4-byte server address'));
    const ua = decodeFrame(await client.received.waitFor((b) => framesIn(b).length >= 1, 'UA'));
    expect(ua.control).toEqual({ type: 'UA', pf: true });
    expect(ua.source).toEqual({ upper: 1, lower: 17, size: 4 });
    expect(ua.destination).toEqual({ upper: 16, size: 1 });

    client.received.clear();
    client.send(clientFrame(serverAt(40), 16, { type: 'SNRM', pf: true }));
    await sleep(250);
    expect(client.received.bytes.length).toBe(0); // nobody at 1/40

    client.send(clientFrame(serverAt(19), 16, { type: 'SNRM', pf: true }));
    client.send(clientFrame(serverAt(19), 16, { type: 'I', ns: 0, nr: 0, pf: true }, publicAarq()));
    await client.received.waitFor((b) => framesIn(b).length >= 2, 'UA and AARE');
    const [ua3, aare] = framesIn(client.received.bytes);
    expect(ua3!.source).toEqual({ upper: 1, lower: 19, size: 4 });
    expect(apduOf(aare!)).toMatchObject({ type: 'aare', result: 'accepted' });

    client.received.clear();
    client.send(clientFrame(serverAt(19), 16, { type: 'I', ns: 1, nr: 1, pf: true }, decodeApdu(serialGet)));
    const [answer] = framesIn(await client.received.waitFor((b) => framesIn(b).length >= 1, 'GET response'));
    expect(apduOf(answer!)).toMatchObject({ type: 'get-response-normal', result: { type: 'data', data: { type: 'octet-string', value: new TextEncoder().encode('A3') } } });
  });

  it('corrupts frames on demand so that the FCS fails', async () => {
    const meter = testMeter();
    meter.faults.add({ kind: 'corrupt', everyNth: 1 });
    const { client } = await serve({ port: 0, wrapper: false, meters: [meter], addressSize: 2 });
    client.send(vectorBytes('HDLC SNRM to server logical 1 / physical 17'));
    const bytes = await client.received.waitFor((b) => b.length >= 9 && b[b.length - 1] === 0x7e, 'a frame');
    let caught: unknown;
    try {
      decodeFrame(bytes);
    } catch (e) {
      caught = e;
    }
    expect(isDlmsError(caught, 'DLMS_BAD_CHECKSUM')).toBe(true);
  });
});

describe('wrapper over TCP', () => {
  it("accepts the wrapper AARQ LLS 'Gurux' vector for a meter whose password is 'Gurux'", async () => {
    const { client } = await serve({ port: 0, wrapper: true, meters: [testMeter({ password: 'Gurux' })] });
    client.send(vectorBytes("WRAPPER AARQ LLS 'Gurux'"));
    const bytes = await client.received.waitFor((b) => b.length >= 8 && b.length >= 8 + ((b[6]! << 8) | b[7]!), 'AARE');
    expect(toHex(bytes.subarray(0, 6))).toBe('000100010011'); // version 1, wPort 1 → 17
    const aare = decodeApdu(bytes.subarray(8));
    expect(aare).toMatchObject({ type: 'aare', result: 'accepted', diagnostic: { source: 'acse-service-user', value: 0 } });
  });

  it('selects the meter by destination wPort', async () => {
    const { server, client } = await serve({ port: 0, wrapper: true, meters: [testMeter({ serial: 'W1' }), testMeter({ serial: 'W2' })] });
    expect(server.meters.map((m) => m.address)).toEqual(['wport 1', 'wport 2']);
    client.send(encodeWrapper({ source: 16, destination: 2, payload: encodeApdu(publicAarq()) }));
    client.send(encodeWrapper({ source: 16, destination: 2, payload: serialGet }));
    const deframer = new WrapperDeframer();
    const frames = [] as ReturnType<WrapperDeframer['push']>;
    await client.received.waitFor((b) => {
      frames.push(...deframer.push(b.slice(frames.reduce((n, f) => n + 8 + f.payload.length, 0))));
      return frames.length >= 2;
    }, 'AARE and GET response');
    expect(frames.map((f) => [f.source, f.destination])).toEqual([
      [2, 16],
      [2, 16],
    ]);
    expect(decodeApdu(frames[1]!.payload)).toMatchObject({ type: 'get-response-normal', result: { data: { value: new TextEncoder().encode('W2') } } });
  });

  it('a silent meter does not answer, a slow one answers late', async () => {
    const silent = testMeter({ serial: 'S1' });
    silent.faults.add({ kind: 'silent' });
    const slow = testMeter({ serial: 'S2' });
    slow.faults.add({ kind: 'slow', delayMs: 400 });
    const { client } = await serve({ port: 0, wrapper: true, meters: [silent, slow] });
    client.send(encodeWrapper({ source: 16, destination: 1, payload: encodeApdu(publicAarq()) }));
    await sleep(300);
    expect(client.received.bytes.length).toBe(0);
    const sent = Date.now();
    client.send(encodeWrapper({ source: 16, destination: 2, payload: encodeApdu(publicAarq()) }));
    await client.received.waitFor((b) => b.length > 8, 'the slow AARE', 3000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(380);
  });

  it('closes the connection after a wrapper header it cannot resynchronise on', async () => {
    const { client } = await serve({ port: 0, wrapper: true, meters: [testMeter()] });
    client.send(Uint8Array.of(0x00, 0x07, 0, 16, 0, 1, 0, 1, 0));
    await Promise.race([client.closed, sleep(2000).then(() => Promise.reject(new Error('connection stayed open')))]);
  });

  it('close() ends open connections', async () => {
    const server = await startTcpMeterServer({ port: 0, wrapper: true, meters: [testMeter()] });
    const client = await rawTcpClient(server.port);
    open.clients.push(client);
    await server.close();
    await Promise.race([client.closed, sleep(2000).then(() => Promise.reject(new Error('connection stayed open')))]);
  });
});
