import type { MeterDefinition } from '../model.js';
import { inRouteOrder } from '../polling/index.js';

/**
 * Meters split into rounds for a long cycle that must stop soon on shutdown (the load profile after an
 * outage can be weeks of entries per meter): each round holds at most one meter per bus, in route order,
 * and at most `tcpParallel` TCP meters. The buses are separate wires and read one meter at a time anyway,
 * so rounds cost almost nothing, and a shutdown between rounds waits for one conversation per bus instead
 * of the whole cycle.
 */
export function roundsOf(meters: readonly MeterDefinition[], tcpParallel: number): MeterDefinition[][] {
  const byBus = new Map<string, MeterDefinition[]>();
  const tcp: MeterDefinition[] = [];
  for (const m of meters) {
    if (m.connection.kind === 'bus') byBus.set(m.connection.bus, [...(byBus.get(m.connection.bus) ?? []), m]);
    else tcp.push(m);
  }
  const buses = [...byBus.values()].map((list) => inRouteOrder(list));
  const width = Math.max(1, tcpParallel);
  const count = Math.max(0, ...buses.map((b) => b.length), Math.ceil(tcp.length / width));
  return Array.from({ length: count }, (_, i) => [...buses.flatMap((b) => (i < b.length ? [b[i]!] : [])), ...tcp.slice(i * width, (i + 1) * width)]);
}
