import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ANOMALY_CODES, SEVERITIES, type AnomalyCode, type AnomalyEventSchema } from '../../wire/events.js';
import type { JsonValue } from '../../wire/primitives.js';
import { DetectionError } from './errors.js';
import { compactIso, iso, monthKey } from './local-time.js';

export type AnomalyEvent = z.output<typeof AnomalyEventSchema>;
export type Severity = (typeof SEVERITIES)[number];

/**
 * How an open anomaly ends:
 * - condition: it describes a lasting state (stuck register, clock off, cover open) and clears on the first
 *   read that shows the state gone;
 * - period: it describes an incident (the index went down once, one day's spike) that the next read cannot
 *   undo; it stays open for the billing month it happened in, so that the pre-cutoff report still lists it,
 *   and clears on the first detection run of a later month.
 */
export type Lifetime = 'condition' | 'period';

/** What a check found on one read. `key` names the anomaly per meter: one open anomaly per key. */
export interface Finding {
  key: string;
  code: AnomalyCode;
  severity: Severity;
  obis?: string;
  evidence: Record<string, JsonValue>;
  thresholds: Record<string, number | string | boolean>;
  lifetime: Lifetime;
}

/** `evaluated`: keys the checks could judge on this read (a register not read is no evidence either way). */
export interface CheckOutcome {
  evaluated: string[];
  findings: Finding[];
}

export const OpenAnomalySchema = z.object({
  anomalyId: z.string().min(1).max(128),
  code: z.enum(ANOMALY_CODES),
  severity: z.enum(SEVERITIES),
  obis: z.string().optional(),
  raisedAt: z.string(),
  /** Local `YYYY-MM` the anomaly was raised in (period lifetime). */
  month: z.string().regex(/^\d{4}-\d{2}$/),
  lifetime: z.enum(['condition', 'period']),
});
export type OpenAnomaly = z.infer<typeof OpenAnomalySchema>;

/** Per meter, plain JSON for ReadHistory.setState(meterId, 'anomalies', JSON.stringify(state)). */
export const AnomalyStateSchema = z.object({ open: z.record(z.string(), OpenAnomalySchema) });
export type AnomalyState = z.infer<typeof AnomalyStateSchema>;

export function emptyAnomalyState(): AnomalyState {
  return { open: {} };
}

/** Parses persisted state; an unreadable state is an error naming the meter, never silently reset. */
export function parseAnomalyState(text: string | undefined, meterId: string): AnomalyState {
  if (text === undefined) return emptyAnomalyState();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DetectionError('DETECTION_BAD_STATE', `anomaly state of meter ${meterId}: not JSON`, { cause, context: { meter: meterId } });
  }
  const parsed = AnomalyStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DetectionError('DETECTION_BAD_STATE', `anomaly state of meter ${meterId}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      context: { meter: meterId },
    });
  }
  return parsed.data;
}

/** Stable from raise to clear: meter, anomaly key and raise time; hashed only if an odd meter id makes it long. */
export function anomalyIdOf(meterId: string, key: string, raisedAt: number): string {
  const id = `${meterId}|${key}|${compactIso(raisedAt)}`;
  if (id.length <= 128) return id;
  return `${createHash('sha256').update(meterId).digest('hex').slice(0, 16)}|${key.slice(0, 80)}|${compactIso(raisedAt)}`;
}

/**
 * Raise what is newly found, keep quiet about what is still open, clear what ended. Returns the events
 * (raised and cleared) and the next state.
 */
export function reconcile(
  state: AnomalyState,
  outcome: CheckOutcome,
  ctx: { meterId: string; meteringPoint?: string; now: number },
): { state: AnomalyState; events: AnomalyEvent[] } {
  const open: Record<string, OpenAnomaly> = { ...state.open };
  const events: AnomalyEvent[] = [];
  const month = monthKey(ctx.now);
  const found = new Map(outcome.findings.map((f) => [f.key, f]));
  const evaluated = new Set(outcome.evaluated);
  const point = { meterId: ctx.meterId, ...(ctx.meteringPoint ? { meteringPoint: ctx.meteringPoint } : {}) };

  const clear = (key: string, a: OpenAnomaly, because: string): void => {
    delete open[key];
    events.push({
      type: 'anomaly',
      at: iso(ctx.now),
      anomalyId: a.anomalyId,
      state: 'cleared',
      code: a.code,
      severity: a.severity,
      ...point,
      ...(a.obis ? { obis: a.obis } : {}),
      evidence: { raisedAt: a.raisedAt, clearedBecause: because },
      thresholds: {},
    });
  };
  for (const [key, a] of Object.entries(state.open)) {
    if (a.lifetime === 'period' && a.month < month) clear(key, a, 'billing month ended');
    else if (a.lifetime === 'condition' && evaluated.has(key) && !found.has(key)) clear(key, a, 'condition no longer holds');
  }
  for (const f of outcome.findings) {
    if (open[f.key]) continue;
    const anomalyId = anomalyIdOf(ctx.meterId, f.key, ctx.now);
    open[f.key] = {
      anomalyId,
      code: f.code,
      severity: f.severity,
      ...(f.obis ? { obis: f.obis } : {}),
      raisedAt: iso(ctx.now),
      month,
      lifetime: f.lifetime,
    };
    events.push({
      type: 'anomaly',
      at: iso(ctx.now),
      anomalyId,
      state: 'raised',
      code: f.code,
      severity: f.severity,
      ...point,
      ...(f.obis ? { obis: f.obis } : {}),
      evidence: f.evidence,
      thresholds: f.thresholds,
    });
  }
  return { state: { open }, events };
}
