import { readFileSync } from 'node:fs';
import { createHdlcLink } from '../../src/client/hdlc-link.js';
import type { ApduLink } from '../../src/client/link.js';
import { ScalerCache } from '../../src/client/register-reader.js';
import { createWrapperLink } from '../../src/client/wrapper-link.js';
import { createTcpTransport } from '../../src/transport/tcp.js';
import { chisoSim } from './child.js';
import { fmt, PASSWORD, readSession } from './meter-session.js';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * What the meter simulator costs per meter read, the budget of the truth run (2 000 meters read daily at
 * ×7000 on two cores): `chiso-sim meter` serving `served` meters behind one TCP port (another process),
 * a second round of full reads of `reads` meters, each on its own connection as the gateway's TCP poller
 * makes them. The figure is the simulator process's CPU time per read.
 */
export async function benchSimulator(served = 500, reads = 100): Promise<void> {
  console.log(`\nMeter simulator: ${served} meters behind one TCP port, ${reads} meters read twice, the second round measured (one connection per read, LLS)`);
  console.log('  framing                  simulator CPU per read   reads/s (client and simulator on this machine)');
  for (const wrapper of [true, false]) {
    const sim = await chisoSim(['meter', '--tcp', '0', ...(wrapper ? ['--wrapper'] : []), '--meters', String(served), '--password', PASSWORD]);
    try {
      const cache = new ScalerCache();
      const readOne = async (i: number): Promise<void> => {
        const transport = createTcpTransport({ host: '127.0.0.1', port: sim.port, connectTimeoutMs: 3000 });
        const index = 1 + (i % served);
        let link: ApduLink;
        if (wrapper) {
          link = createWrapperLink({ transport, clientWPort: 17, serverWPort: index });
        } else {
          link = createHdlcLink({ transport, clientSap: 17, server: { logical: 1, physical: 16 + index, size: 4 }, ownsTransport: true });
        }
        try {
          await readSession(link, `meter ${index}`, cache, 'auto');
        } finally {
          if (wrapper) await transport.close();
        }
      };
      // A first pass, not measured: the client learns the scaler_units and each meter model brings its
      // registers from installation up to now, as in the gateway's first cycle.
      for (let i = 0; i < reads; i++) await readOne(i);
      const cpuBefore = cpuSecondsOf(sim.pid);
      const started = performance.now();
      for (let i = 0; i < reads; i++) await readOne(i);
      const seconds = (performance.now() - started) / 1000;
      const cpuMs = ((cpuSecondsOf(sim.pid) - cpuBefore) * 1000) / reads;
      console.log(`  ${(wrapper ? 'wrapper (IEC 62056-47)' : 'HDLC over TCP').padEnd(24)} ${fmt(cpuMs, 2).padStart(8)} ms ${' '.repeat(14)}${fmt(reads / seconds, 0)}`);
    } finally {
      await sim.stop();
    }
  }
}
