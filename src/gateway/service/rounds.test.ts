import { describe, expect, it } from 'vitest';
import type { MeterDefinition } from '../model.js';
import { roundsOf } from './rounds.js';

const meter = (id: string, where: { bus: string; route?: number } | 'tcp'): MeterDefinition =>
  ({
    id,
    connection: where === 'tcp' ? { kind: 'tcp', host: '127.0.0.1', port: 4059, profile: 'wrapper', serverWPort: 1, responseTimeoutMs: 1000, maxRetries: 1 } : { kind: 'bus', bus: where.bus, server: { logical: 1, physical: 17, size: 4 } },
    ...(where !== 'tcp' && where.route !== undefined ? { routeOrder: where.route } : {}),
  }) as MeterDefinition;

describe('roundsOf', () => {
  it('puts one meter per bus in each round, in route order, and the TCP meters in groups', () => {
    const meters = [meter('a2', { bus: 'a', route: 2 }), meter('a1', { bus: 'a', route: 1 }), meter('t1', 'tcp'), meter('b1', { bus: 'b' }), meter('t2', 'tcp'), meter('a3', { bus: 'a', route: 3 }), meter('t3', 'tcp')];
    expect(roundsOf(meters, 2).map((r) => r.map((m) => m.id))).toEqual([['a1', 'b1', 't1', 't2'], ['a2', 't3'], ['a3']]);
  });

  it('covers every meter once, and gives no round for no meters', () => {
    const meters = Array.from({ length: 7 }, (_, i) => meter(`t${i}`, 'tcp'));
    expect(roundsOf(meters, 3).flat().map((m) => m.id)).toEqual(meters.map((m) => m.id));
    expect(roundsOf([], 4)).toEqual([]);
  });
});
