import { createWrapperLink } from '../../src/client/wrapper-link.js';
import { ScalerCache } from '../../src/client/register-reader.js';
import { createTcpTransport } from '../../src/transport/tcp.js';
import { chisoSim } from './child.js';
import { fmt, readSession } from './meter-session.js';

/**
 * The client alone: full-read sessions against simulated meters in another process (TCP wrapper on
 * 127.0.0.1, no pacing), for a bounded time; sessions per minute of this process's CPU time, i.e. per core.
 */
export async function benchClientThroughput(seconds = 10, parallel = 8, meterCount = 50): Promise<void> {
  const sim = await chisoSim(['meter', '--tcp', '0', '--wrapper', '--meters', String(meterCount), '--password', '12345678']);
  const cache = new ScalerCache();
  let sessions = 0;
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: parallel }, async (_, worker) => {
        for (let n = worker; performance.now() < deadline; n += parallel) {
          const wPort = (n % meterCount) + 1;
          const link = createWrapperLink({ transport: createTcpTransport({ host: '127.0.0.1', port: sim.port, connectTimeoutMs: 2000 }), clientWPort: 17, serverWPort: wPort });
          try {
            await readSession(link, `W${wPort}`, cache, 'auto');
            sessions++;
          } catch {
            failures++;
          }
        }
      }),
    );
  } finally {
    await sim.stop();
  }
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`\nClient throughput: full-read sessions over TCP wrapper to ${meterCount} simulated meters (other process), ${parallel} in parallel, ${fmt(wall, 1)} s`);
  console.log(`  sessions                   ${fmt(sessions)} (${failures} failed) = ${fmt((sessions / wall) * 60)} per minute of wall time`);
  console.log(`  client CPU                 ${fmt(cpuSeconds, 2)} s = ${fmt((sessions / cpuSeconds) * 60)} sessions per minute of one core   (target ≥ 2 000)`);
}
