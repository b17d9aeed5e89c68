import { z } from 'zod';
import type { Reverification } from '../reverify/reverifier.js';
import { ReverifyError, type ReverifyErrorCode } from '../reverify/errors.js';
import type { RouteKit } from './api.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { readJsonBody, sendJson, validated } from './json.js';
import type { Route } from './router.js';

/** What the routes need of the phúc tra part (a Reverifier fits). */
export interface ReverifyRoutesDeps {
  reverifier: {
    request(input: { meteringPoint: string; by?: string }, now: number): Promise<Reverification>;
    list(filter: { meteringPoint?: string; state?: Reverification['state']; limit?: number }): Reverification[];
  };
}

const pointField = z
  .string({ error: 'a metering point code (MA_DDO)' })
  .trim()
  .regex(/^\S{1,64}$/, { error: 'a metering point code (MA_DDO): 1 to 64 characters without spaces' });

export const ReverifyRequestSchema = z.strictObject({
  meteringPoint: pointField,
  by: z.string({ error: 'who asks: a name or login' }).trim().min(1).max(100).optional(),
});

export const ReverifyQuerySchema = z.strictObject({
  meteringPoint: pointField.optional(),
  state: z.enum(['sent', 'answered', 'failed', 'expired']).optional(),
  limit: z.coerce.number({ error: 'a whole number 1..1000' }).int().min(1).max(1000).optional(),
});

const API_CODE: Record<ReverifyErrorCode, ApiErrorCode> = {
  REVERIFY_POINT_UNKNOWN: 'API_POINT_NOT_FOUND',
  REVERIFY_NO_METER: 'API_REVERIFY_NOT_POSSIBLE',
  REVERIFY_PENDING: 'API_REVERIFY_NOT_POSSIBLE',
  REVERIFY_SUBSCRIBE_REFUSED: 'API_INTERNAL',
};

/**
 * Phúc tra endpoints (reverify-routes.md): an operator asks for an independent read of a metering point
 * and lists the requests with their verdicts. Mounted through buildHttpApi's `extraRoutes`.
 */
export function reverifyRoutes(kit: RouteKit, deps: ReverifyRoutesDeps): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/api\/reverifications$/,
      name: 'POST /api/reverifications',
      async handle(req, res) {
        kit.requireAdmin(req);
        const body = validated(ReverifyRequestSchema, await readJsonBody(req, kit.maxBodyBytes), 'body');
        let row: Reverification;
        try {
          row = await deps.reverifier.request(body.by === undefined ? { meteringPoint: body.meteringPoint } : { meteringPoint: body.meteringPoint, by: body.by }, kit.clock.now());
        } catch (e) {
          if (e instanceof ReverifyError) throw new ApiError(API_CODE[e.code], e.message, { cause: e });
          throw e;
        }
        kit.logger.info({ meteringPoint: row.meteringPoint, commandId: row.commandId, by: row.requestedBy, state: row.state }, 'phúc tra requested');
        sendJson(res, 201, { reverification: row });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/reverifications$/,
      name: 'GET /api/reverifications',
      async handle(req, res, _params, url) {
        kit.requireAdmin(req);
        const q = validated(ReverifyQuerySchema, Object.fromEntries(url.searchParams), 'query');
        const filter: Parameters<ReverifyRoutesDeps['reverifier']['list']>[0] = {};
        if (q.meteringPoint !== undefined) filter.meteringPoint = q.meteringPoint;
        if (q.state !== undefined) filter.state = q.state;
        if (q.limit !== undefined) filter.limit = q.limit;
        sendJson(res, 200, { reverifications: deps.reverifier.list(filter) });
      },
    },
  ];
}
