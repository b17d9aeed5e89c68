import { startTcpMeterServer } from '../../simulators/protocol/servers.js';
import { SimulatedMeter } from '../../simulators/meter/meter-model.js';
import { createHdlcLink } from '../../src/client/hdlc-link.js';
import { ScalerCache } from '../../src/client/register-reader.js';
import { countingTransport } from '../../src/transport/counting.js';
import { createTcpTransport } from '../../src/transport/tcp.js';
import { fmt, PASSWORD, readSession } from './meter-session.js';

/**
 * Bytes on the wire for one full read of one meter over HDLC (the RS485 framing), with GET-with-list and
 * with single GETs, first session (scaler_unit read too) and steady state (scaler_unit cached).
 */
export async function benchWire(): Promise<void> {
  const meter = new SimulatedMeter({ serial: 'BENCH1', seed: 1, profile: { kind: 'household' }, installedAt: Date.UTC(2024, 0, 1), password: PASSWORD, timeSource: () => Date.now() });
  const server = await startTcpMeterServer({ port: 0, wrapper: false, meters: [meter] });
  console.log('\nDLMS full read of one meter (6 energy registers + clock, LLS), HDLC framing, 9600 baud 8N1');
  console.log('  mode                          session   bytes out   bytes in   exchanges   wire time at 9600');
  try {
    for (const withList of ['auto', 'never'] as const) {
      const cache = new ScalerCache();
      for (const session of ['first', 'steady'] as const) {
        const transport = countingTransport(createTcpTransport({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 2000 }));
        const link = createHdlcLink({ transport, clientSap: 17, server: { logical: 1, physical: 17, size: 4 }, ownsTransport: true });
        await readSession(link, 'BENCH1', cache, withList);
        const s = transport.stats();
        const seconds = ((s.bytesOut + s.bytesIn) * 10) / 9600;
        const name = withList === 'auto' ? 'GET-with-list' : 'single GETs';
        console.log(`  ${name.padEnd(28)}  ${session.padEnd(7)}  ${String(s.bytesOut).padStart(10)}  ${String(s.bytesIn).padStart(9)}  ${String(link.stats().framesSent).padStart(10)}   ${fmt(seconds, 3)} s`);
      }
    }
  } finally {
    await server.close();
  }
}
