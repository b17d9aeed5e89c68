import { spawnSync } from 'node:child_process';
import type { FleetConfig } from '../../../simulators/fleet/fleet-config.js';

/** Whether Debian's `socat` (the simulated RS485 buses' pseudo-terminal pairs) can be run here. */
export function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore', timeout: 5_000 });
  return r.error === undefined;
}

/**
 * The demo's fleet for a machine without socat: each gateway's bus meters join its TCP meters, and the
 * faults that only a bus or HDLC framing can show (a cut bus, corrupted frames) are left out. `npm start`
 * must run on a fresh machine with nothing installed by hand; the full fleet needs socat.
 */
export function fleetWithoutBuses(config: FleetConfig): { config: FleetConfig; moved: number; leftOut: string[] } {
  let moved = 0;
  const gateways = config.gateways.map((g) => {
    const onBuses = g.buses.reduce((n, b) => n + b.meters, 0);
    if (onBuses === 0) return g;
    moved += onBuses;
    const tcp = g.tcp ?? { meters: 0, wrapper: true, host: '127.0.0.1', port: 0 };
    return { ...g, buses: [], tcp: { ...tcp, meters: tcp.meters + onBuses } };
  });
  const needsBus = (kind: string) => kind === 'bus-cut' || kind === 'corrupt';
  const leftOut = [...new Set(config.faults.filter((f) => needsBus(f.kind)).map((f) => f.kind))];
  return { config: { ...config, gateways, faults: config.faults.filter((f) => !needsBus(f.kind)) }, moved, leftOut };
}
