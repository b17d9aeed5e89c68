import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ClockPhase } from '../../src/shared/simulated-clock.js';
import { FleetError } from './errors.js';
import { parseIsoInstant, parseWhen } from './fleet-time.js';

/**
 * The fleet file (YAML or JSON): which gateways, buses and TCP servers, how many meters, which faults.
 * Everything not given has a default, so a small file describes a realistic fleet; unknown keys are
 * refused (a typo must not silently fall back to a default). Every error names its path in the file.
 */

export const FLEET_FAULT_KINDS = [
  'silent', // permanently offline (in its window)
  'intermittent', // offline in a seeded on/off pattern
  'bus-cut', // every meter of one RS485 bus silent in a window
  'stuck', // công tơ đứng: the registers stop
  'burnt', // công tơ cháy: garbage answers, then silence; registers stop
  'backwards', // the index jumps back: an unannounced swap
  'rollover', // the register wraps past 10^digits kWh
  'spike', // consumption × factor in a window
  'clock-drift', // the meter's clock gains or loses seconds per day
  'tamper', // cover opened / magnetic field: status bit and event
  'reverse-flow', // reverse energy flow: status bit and event
  'swap', // treo tháo announced through the book: a new meter replaces the old one
  'power-failure', // no supply: silent, power down/up events
  'clock-invalid', // the clock status says invalid
  'slow', // answers late
  'corrupt', // spoiled frames
] as const;
export type FleetFaultKind = (typeof FLEET_FAULT_KINDS)[number];

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'must be letters, digits, "_" or "-" (at most 32, starting with a letter or digit)');
const Count = z.number().int().min(1).max(1000);

const BusSchema = z.strictObject({
  id: Id,
  meters: Count,
  baud: z.number().int().min(300).max(1_000_000).default(9600),
});

const TcpSchema = z.strictObject({
  meters: z.number().int().min(1).max(1000),
  wrapper: z.boolean().default(true),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
});

const GatewaySchema = z.strictObject({
  id: Id,
  buses: z.array(BusSchema).default([]),
  tcp: TcpSchema.optional(),
});

const num = (min: number, max: number) => z.number().min(min).max(max);
/** Parameters per fault kind (all optional: each has a default, see fault-plan.ts). */
export const FAULT_PARAM_SCHEMAS: Record<FleetFaultKind, z.ZodType> = {
  silent: z.strictObject({}),
  intermittent: z.strictObject({ offlineRatio: num(0, 1).optional(), slotMinutes: num(1, 24 * 60).optional() }),
  'bus-cut': z.strictObject({}),
  stuck: z.strictObject({}),
  burnt: z.strictObject({ garbageMinutes: num(0, 7 * 24 * 60).optional() }),
  backwards: z.strictObject({ toKwh: z.number().int().min(0).max(1_000_000).optional() }),
  rollover: z.strictObject({ digits: z.number().int().min(4).max(9).optional() }),
  spike: z.strictObject({ factor: num(1.01, 1000).optional() }),
  'clock-drift': z.strictObject({ secondsPerDay: num(-3600, 3600).optional() }),
  tamper: z.strictObject({ tamper: z.enum(['cover-open', 'magnetic']).optional() }),
  'reverse-flow': z.strictObject({}),
  swap: z.strictObject({ firstIndexKwh: z.number().int().min(0).max(1000).optional() }),
  'power-failure': z.strictObject({}),
  'clock-invalid': z.strictObject({}),
  slow: z.strictObject({ delayMs: z.number().int().min(0).max(600_000).optional() }),
  corrupt: z.strictObject({ probability: num(0, 1).optional(), everyNth: z.number().int().min(1).optional() }),
};

const FaultSchema = z.strictObject({
  kind: z.enum(FLEET_FAULT_KINDS),
  /** How many meters (buses for bus-cut) get it, spread from the seed. */
  count: Count.optional(),
  /** Or exactly these meter ids (MA_CTO). */
  meters: z.array(z.string().min(1)).min(1).optional(),
  /** bus-cut only: exactly these buses, as "gateway/bus". */
  buses: z.array(z.string().regex(/^[^/]+\/[^/]+$/, 'must be "gateway/bus"')).min(1).optional(),
  /** ISO time with offset, or "+N(d|h|m)" after start. */
  from: z.string().optional(),
  until: z.string().optional(),
  params: z.record(z.string(), z.unknown()).default({}),
});

const TOU_NAMES = ['EVN-2014', 'EVN-2026'] as const;

export const FleetConfigSchema = z
  .strictObject({
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Simulated time at startup: ISO with an offset, e.g. 2025-06-28T08:00:00+07:00. */
    start: z.string().refine((s) => parseIsoInstant(s) !== undefined, 'must be an ISO date-time with an offset, e.g. 2025-06-28T08:00:00+07:00'),
    /** Simulated seconds per real second. */
    speed: z.number().positive().max(10_000_000).default(1),
    /**
     * Stretches of simulated time at another speed ("+N(d|h|m)" after start or ISO): typically the month-end
     * night slowed down so a whole fleet's snapshots are read before the cutoff while the month flies.
     */
    phases: z.array(z.strictObject({ from: z.string(), until: z.string(), speed: z.number().positive().max(10_000_000) })).default([]),
    /** MA_DVIQLY */
    unitCode: z.string().regex(/^[A-Z0-9]{6}$/, 'must be 6 capital letters/digits, e.g. PD0100').default('PD0100'),
    /** LLS password of the reading (SAP 17) and management (SAP 1) clients. */
    password: z.string().min(1).max(64).default('00000000'),
    gateways: z.array(GatewaySchema).min(1),
    profiles: z
      .strictObject({ household: z.number().min(0).default(0.8), business: z.number().min(0).default(0.2) })
      .refine((p) => p.household + p.business > 0, 'household + business shares must be above 0')
      .default({ household: 0.8, business: 0.2 }),
    books: z
      .strictObject({
        metersPerBook: z.number().int().min(1).max(10_000).default(100),
        readingDay: z.union([z.literal('last'), z.number().int().min(1).max(28)]).default('last'),
      })
      .default({ metersPerBook: 100, readingDay: 'last' }),
    /** Dated TOU schedules (DOMAIN.md): which one is in force from which local date. */
    tou: z
      .array(z.strictObject({ schedule: z.enum(TOU_NAMES), validFrom: z.iso.date() }))
      .min(1)
      .default([{ schedule: 'EVN-2014', validFrom: '2014-01-01' }]),
    faults: z.array(FaultSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const start = parseIsoInstant(c.start);
    const gwKeys = new Map<string, number>();
    c.gateways.forEach((g, gi) => {
      const key = meterPrefixOf(g.id);
      if (gwKeys.has(key)) ctx.addIssue({ code: 'custom', path: ['gateways', gi, 'id'], message: `gives the same meter ids (CT${key}…) as gateways[${gwKeys.get(key)}]` });
      gwKeys.set(key, gi);
      const busIds = new Set<string>();
      g.buses.forEach((b, bi) => {
        if (busIds.has(b.id)) ctx.addIssue({ code: 'custom', path: ['gateways', gi, 'buses', bi, 'id'], message: `bus "${b.id}" appears twice in gateway "${g.id}"` });
        busIds.add(b.id);
      });
      if (g.buses.length === 0 && !g.tcp) ctx.addIssue({ code: 'custom', path: ['gateways', gi], message: 'has no buses and no tcp meters' });
    });
    c.phases.forEach((p, pi) => {
      if (start === undefined) return;
      const from = parseWhen(p.from, start);
      const until = parseWhen(p.until, start);
      if (from === undefined) ctx.addIssue({ code: 'custom', path: ['phases', pi, 'from'], message: 'must be an ISO date-time with an offset or "+N(d|h|m)" after start' });
      if (until === undefined) ctx.addIssue({ code: 'custom', path: ['phases', pi, 'until'], message: 'must be an ISO date-time with an offset or "+N(d|h|m)" after start' });
      if (from !== undefined && until !== undefined && until <= from) ctx.addIssue({ code: 'custom', path: ['phases', pi, 'until'], message: 'must be after from' });
    });
    c.faults.forEach((f, fi) => {
      const given = [f.count, f.meters, f.buses].filter((x) => x !== undefined).length;
      if (given !== 1) ctx.addIssue({ code: 'custom', path: ['faults', fi], message: 'give exactly one of count, meters or buses' });
      if (f.buses !== undefined && f.kind !== 'bus-cut') ctx.addIssue({ code: 'custom', path: ['faults', fi, 'buses'], message: 'only a bus-cut names buses' });
      if (f.meters !== undefined && f.kind === 'bus-cut') ctx.addIssue({ code: 'custom', path: ['faults', fi, 'meters'], message: 'a bus-cut names buses ("gateway/bus") or a count' });
      const params = FAULT_PARAM_SCHEMAS[f.kind].safeParse(f.params);
      if (!params.success) for (const issue of params.error.issues) ctx.addIssue({ code: 'custom', path: ['faults', fi, 'params', ...issue.path], message: issue.message });
      if (start === undefined) return;
      const from = f.from === undefined ? undefined : parseWhen(f.from, start);
      const until = f.until === undefined ? undefined : parseWhen(f.until, start);
      if (f.from !== undefined && from === undefined) ctx.addIssue({ code: 'custom', path: ['faults', fi, 'from'], message: 'must be an ISO date-time with an offset or "+N(d|h|m)" after start' });
      if (f.until !== undefined && until === undefined) ctx.addIssue({ code: 'custom', path: ['faults', fi, 'until'], message: 'must be an ISO date-time with an offset or "+N(d|h|m)" after start' });
      if (from !== undefined && until !== undefined && until <= from) ctx.addIssue({ code: 'custom', path: ['faults', fi, 'until'], message: 'must be after from' });
    });
  });

export type FleetConfig = z.output<typeof FleetConfigSchema>;

/** The fleet's clock settings as numbers: what every process sharing the fleet's time builds its clock from. */
export function fleetClockOptions(config: FleetConfig): { start: number; speed: number; phases: ClockPhase[] } {
  const start = parseIsoInstant(config.start)!;
  return { start, speed: config.speed, phases: config.phases.map((p) => ({ from: parseWhen(p.from, start)!, until: parseWhen(p.until, start)!, speed: p.speed })) };
}
export type FleetConfigInput = z.input<typeof FleetConfigSchema>;
export type FleetFaultConfig = FleetConfig['faults'][number];
export type GatewayConfig = FleetConfig['gateways'][number];

/** The part of a meter id a gateway gives: its id in capitals without separators ("gw-1" → "GW1"). */
export function meterPrefixOf(gatewayId: string): string {
  return gatewayId.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

/** "gateways[0].buses[1].baud" */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** Validates an already parsed fleet file; `source` names it in errors. */
export function validateFleetConfig(value: unknown, source = 'fleet config'): FleetConfig {
  const result = FleetConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new FleetError('FLEET_BAD_CONFIG', `${source}: ${lines.join('; ')}`, { context: { source, path: formatPath(result.error.issues[0]?.path ?? []) } });
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseFleetConfig(text: string, source = 'fleet config'): FleetConfig {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new FleetError('FLEET_BAD_CONFIG', `${source}: not YAML or JSON: ${(e as Error).message}`, { cause: e, context: { source } });
  }
  return validateFleetConfig(value, source);
}

export function loadFleetConfig(path: string): FleetConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FleetError('FLEET_BAD_CONFIG', `cannot read fleet file ${path}: ${(e as Error).message}`, { cause: e, context: { source: path } });
  }
  return parseFleetConfig(text, path);
}
