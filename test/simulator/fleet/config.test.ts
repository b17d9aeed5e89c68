import { describe, expect, it } from 'vitest';
import { FleetError } from '../../../simulators/fleet/errors.js';
import { fleetClockOptions, parseFleetConfig, validateFleetConfig } from '../../../simulators/fleet/fleet-config.js';
import { exampleConfig } from './helpers.js';

const minimal = { start: '2025-06-20T08:00:00+07:00', gateways: [{ id: 'gw1', tcp: { meters: 2 } }] };

function errorOf(value: unknown): FleetError {
  try {
    validateFleetConfig(value, 'fleet.yaml');
  } catch (e) {
    if (e instanceof FleetError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('fleet config', () => {
  it('fills defaults around a minimal file', () => {
    const c = validateFleetConfig(minimal);
    expect(c).toMatchObject({ seed: 1, speed: 1, unitCode: 'PD0100', password: '00000000', books: { metersPerBook: 100, readingDay: 'last' }, faults: [] });
    expect(c.gateways[0]).toMatchObject({ id: 'gw1', buses: [], tcp: { meters: 2, wrapper: true, host: '127.0.0.1', port: 0 } });
  });

  it('turns clock phases into the numbers every process builds the same clock from, and refuses a bad one', () => {
    const c = validateFleetConfig({ ...minimal, speed: 5000, phases: [{ from: '+10d', until: '2025-07-01T06:30:00+07:00', speed: 300 }] });
    const start = Date.parse(minimal.start);
    expect(fleetClockOptions(c)).toEqual({ start, speed: 5000, phases: [{ from: start + 10 * 86_400_000, until: Date.parse('2025-07-01T06:30:00+07:00'), speed: 300 }] });
    expect(errorOf({ ...minimal, phases: [{ from: '+2d', until: '+1d', speed: 10 }] }).message).toMatch(/phases\[0\]\.until: must be after from/);
    expect(errorOf({ ...minimal, phases: [{ from: 'soon', until: '+1d', speed: 10 }] }).message).toMatch(/phases\[0\]\.from: must be/);
  });

  it('reads the example: 2 gateways, about 300 meters, every fault kind', () => {
    const c = exampleConfig();
    expect(c.gateways).toHaveLength(2);
    const meters = c.gateways.reduce((n, g) => n + g.buses.reduce((s, b) => s + b.meters, 0) + (g.tcp?.meters ?? 0), 0);
    expect(meters).toBe(300);
  });

  it.each([
    [{ ...minimal, gateways: [{ id: 'gw1', buses: [{ id: 'b1', meters: 3, baud: 'fast' }] }] }, 'gateways[0].buses[0].baud'],
    [{ ...minimal, start: '2025-06-20 08:00' }, 'start'],
    [{ ...minimal, gateways: [] }, 'gateways'],
    [{ ...minimal, gateways: [{ id: 'gw1' }] }, 'gateways[0]: has no buses'],
    [{ ...minimal, gateways: [{ id: 'gw1', tcp: { meters: 1 } }, { id: 'GW-1', tcp: { meters: 1 } }] }, 'gateways[1].id'],
    [{ ...minimal, gateways: [{ id: 'gw1', buses: [{ id: 'b', meters: 1 }, { id: 'b', meters: 2 }] }] }, 'gateways[0].buses[1].id'],
    [{ ...minimal, books: { metersPerBook: 10, readingDay: 31 } }, 'books.readingDay'],
    [{ ...minimal, faults: [{ kind: 'melted', count: 1 }] }, 'faults[0].kind'],
    [{ ...minimal, faults: [{ kind: 'stuck' }] }, 'faults[0]: give exactly one of count, meters or buses'],
    [{ ...minimal, faults: [{ kind: 'stuck', count: 1, meters: ['CTGW100001'] }] }, 'faults[0]: give exactly one'],
    [{ ...minimal, faults: [{ kind: 'spike', count: 1, params: { factor: 'big' } }] }, 'faults[0].params.factor'],
    [{ ...minimal, faults: [{ kind: 'spike', count: 1, params: { facter: 3 } }] }, 'faults[0].params'],
    [{ ...minimal, faults: [{ kind: 'stuck', count: 1, from: 'tomorrow' }] }, 'faults[0].from'],
    [{ ...minimal, faults: [{ kind: 'silent', count: 1, from: '+2d', until: '+1d' }] }, 'faults[0].until: must be after from'],
    [{ ...minimal, faults: [{ kind: 'stuck', buses: ['gw1/b1'] }] }, 'faults[0].buses: only a bus-cut'],
    [{ ...minimal, colour: 'blue' }, '(top level)'],
  ])('names the path of what is wrong (%#)', (value, path) => {
    const e = errorOf(value);
    expect(e.code).toBe('FLEET_BAD_CONFIG');
    expect(e.message).toContain(`fleet.yaml: `);
    expect(e.message).toContain(path);
  });

  it('reads JSON as well as YAML, and says when the text is neither', () => {
    expect(parseFleetConfig(JSON.stringify(minimal)).gateways[0]!.id).toBe('gw1');
    expect(() => parseFleetConfig('gateways: [', 'x.yaml')).toThrow(/x\.yaml: not YAML or JSON/);
  });
});
