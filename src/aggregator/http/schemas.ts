import { z } from 'zod';
import { EnrolRequestSchema } from '../../wire/index.js';

/**
 * Request and answer bodies of the HTTP API. The enrolment pair (`POST /api/enrol`) crosses between the
 * two services, so it lives in src/wire (enrolment.ts) and is re-exported here for the API's users.
 */
export { EnrolRequestSchema, EnrolResponseSchema, type EnrolRequest, type EnrolResponse } from '../../wire/index.js';

/** The wire's gateway id rule with a message a person can act on (shared with the enrolment request). */
export const gatewayIdField = EnrolRequestSchema.shape.gatewayId;

export const IssueTokenRequestSchema = z.object({
  gatewayId: gatewayIdField,
  /** The configured enrolment.tokenTtlHours when absent. */
  ttlHours: z.number({ error: 'a number of hours' }).positive({ error: 'a number of hours above 0' }).max(24 * 31, { error: 'at most 744 hours' }).optional(),
});

export const IssuedTokenSchema = z.object({ gatewayId: z.string(), token: z.string(), expiresAt: z.string() });
export type IssuedTokenBody = z.infer<typeof IssuedTokenSchema>;

export const ReviewRequestSchema = z.object({
  note: z.string({ error: 'text' }).trim().min(1, { error: 'a note that is not empty' }).max(2000, { error: 'a note of at most 2000 characters' }).optional(),
  /** Who decided, as the operator page knows them; the API has one admin token, not users. */
  by: z.string({ error: 'text' }).trim().min(1).max(100).optional(),
});

const limit = z.coerce
  .number({ error: 'a whole number 1..1000' })
  .int({ error: 'a whole number 1..1000' })
  .min(1, { error: 'a whole number 1..1000' })
  .max(1000, { error: 'a whole number 1..1000' })
  .default(100);
const cursor = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'the nextCursor of a previous page' }).optional();

/** An instant with an offset (`2024-07-31T17:00:00Z`), or a date taken as local midnight (UTC+7, DOMAIN.md). */
const INSTANT_TEXT = 'a date YYYY-MM-DD (local midnight, UTC+7) or a time with an offset, e.g. 2024-07-31T17:00:00Z';
export const instantParam = z
  .string({ error: INSTANT_TEXT })
  .refine((s) => parseInstant(s) !== undefined, { error: INSTANT_TEXT })
  .transform((s) => parseInstant(s) as number);

export function parseInstant(s: string): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00+07:00`);
    return Number.isNaN(t) ? undefined : t;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export const ReadsQuerySchema = z.object({
  meteringPoint: z.string().min(1).max(64).optional(),
  gatewayId: gatewayIdField.optional(),
  /** Meter time at or after `from`, and before `to`. */
  from: instantParam.optional(),
  to: instantParam.optional(),
  limit,
  cursor,
});
export type ReadsQuery = z.output<typeof ReadsQuerySchema>;

export const EVENT_STATES = ['open', 'confirmed', 'dismissed'] as const;
export const EventsQuerySchema = z.object({
  state: z.enum(EVENT_STATES, { error: `one of ${EVENT_STATES.join(', ')}` }).optional(),
  // Any kebab-case name: new event types are an additive wire change (src/wire/README.md "Version policy").
  type: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, { error: 'an event type such as anomaly or meter-offline' }).optional(),
  gatewayId: gatewayIdField.optional(),
  limit,
  cursor,
});
export type EventsQuery = z.output<typeof EventsQuerySchema>;
