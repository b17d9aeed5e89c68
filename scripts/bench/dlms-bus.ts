import { startPtyBus } from '../../simulators/protocol/servers.js';
import { SimulatedMeter } from '../../simulators/meter/meter-model.js';
import { createHdlcLink } from '../../src/client/hdlc-link.js';
import { ScalerCache } from '../../src/client/register-reader.js';
import { pacedTransport } from '../../src/transport/paced.js';
import { createSerialTransport } from '../../src/transport/serial.js';
import { fmt, PASSWORD, readSession } from './meter-session.js';

/**
 * A 50-meter RS485 bus at 9600 baud (a pseudo-terminal whose simulated meters answer at line rate; the
 * client's writes are paced at line rate too): meters read per minute, against the wire limit
 * bytes × 10 bits ÷ 9600. The difference is turnaround: each meter's reaction time plus ours.
 */
export async function benchBus(meterCount = 50, baud = 9600): Promise<void> {
  const now = () => Date.now();
  const fleet = Array.from({ length: meterCount }, (_, i) => new SimulatedMeter({ serial: `BUS${i + 1}`, seed: i + 1, profile: { kind: 'household' }, installedAt: Date.UTC(2024, 0, 1), password: PASSWORD, timeSource: now }));
  const bus = await startPtyBus({ meters: fleet, baud });
  const port = pacedTransport(createSerialTransport({ path: bus.path, baudRate: baud, dataBits: 8, parity: 'none', stopBits: 1 }), { baudRate: baud, bitsPerByte: 10 });
  await port.open();
  const cache = new ScalerCache();
  const readAll = async () => {
    let failures = 0;
    for (let i = 1; i <= meterCount; i++) {
      const link = createHdlcLink({ transport: port, clientSap: 17, server: { logical: 1, physical: 16 + i, size: 4 }, responseTimeoutMs: 1500, maxRetries: 2 });
      try {
        await readSession(link, `BUS${i}`, cache, 'auto', 1500);
      } catch {
        failures++;
      }
    }
    return failures;
  };
  try {
    await readAll(); // first pass learns every meter's scaler_unit, as the gateway's first cycle does
    const before = port.stats();
    const started = performance.now();
    const failures = await readAll();
    const seconds = (performance.now() - started) / 1000;
    const after = port.stats();
    const bytes = after.bytesOut - before.bytesOut + (after.bytesIn - before.bytesIn);
    const wireSeconds = (bytes * 10) / baud;
    console.log(`\nRS485 bus: ${meterCount} meters at ${baud} baud (pseudo-terminal, simulated meters, steady-state full reads)`);
    console.log(`  bytes on the wire          ${fmt(bytes)} (${fmt(bytes / meterCount)} per meter)`);
    console.log(`  wire limit                 ${fmt(wireSeconds, 2)} s = ${fmt((meterCount / wireSeconds) * 60, 1)} meters/min`);
    console.log(`  measured                   ${fmt(seconds, 2)} s = ${fmt((meterCount / seconds) * 60, 1)} meters/min, ${failures} failed`);
    console.log(`  share of the wire limit    ${fmt((wireSeconds / seconds) * 100, 1)} %   (target ≥ 80 %)`);
  } finally {
    await port.close();
    await bus.close();
  }
}
