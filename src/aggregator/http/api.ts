import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { CentralError, type CentralErrorCode } from '../store/errors.js';
import type { Enrolment } from '../store/enrolment.js';
import { secretsEqual } from '../store/credentials.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { readJsonBody, sendError, sendJson, validated } from './json.js';
import type { OperatorData } from './operator-data.js';
import { matchRoute, notFound, type Route } from './router.js';
import { EnrolRequestSchema, type EnrolResponse } from '../../wire/index.js';
import { EventsQuerySchema, IssueTokenRequestSchema, ReadsQuerySchema, ReviewRequestSchema, type IssuedTokenBody } from './schemas.js';

export interface HttpApiDeps {
  data: OperatorData;
  enrolment: Pick<Enrolment, 'issue' | 'consume'>;
  /** Guards the operator endpoints; undefined turns them off (403 API_ADMIN_DISABLED). */
  adminToken?: string;
  /** Default lifetime of an enrolment token. */
  tokenTtlMs: number;
  /** The broker URL a gateway is told, given the Host it used to reach this API (undefined without one). */
  brokerUrlFor(requestHost: string | undefined): string;
  topicRoot: string;
  aggregator: { name: string; publicKeyPem: string; keyId: string };
  /** Answers GET /api/health: whatever the service wants to show (DB reachable, broker and ingest up). */
  health(): { ok: boolean; [part: string]: unknown };
  logger: Logger;
  clock?: Clock;
  maxBodyBytes?: number;
  version?: string;
  /** Called once per answered request (metrics). */
  onAnswer?(route: string, status: number): void;
  /**
   * More endpoints (books, phúc tra, the operator page), each set built by its own module with the same
   * helpers; matched after the built-in ones.
   */
  extraRoutes?: (kit: RouteKit) => readonly Route[];
}

/** What an extra route set gets from the API: the admin guard and the body limit. */
export interface RouteKit {
  requireAdmin(req: IncomingMessage): void;
  maxBodyBytes: number;
  clock: Clock;
  logger: Logger;
}

export interface HttpApi {
  handler(req: IncomingMessage, res: ServerResponse): void;
}

/** CentralError codes of enrolment → the API's codes (the statuses are in errors.ts). */
const ENROL_ERRORS: Partial<Record<CentralErrorCode, ApiErrorCode>> = {
  CENTRAL_TOKEN_UNKNOWN: 'API_TOKEN_UNKNOWN',
  CENTRAL_TOKEN_USED: 'API_TOKEN_USED',
  CENTRAL_TOKEN_EXPIRED: 'API_TOKEN_EXPIRED',
  CENTRAL_TOKEN_GATEWAY: 'API_TOKEN_GATEWAY',
  CENTRAL_INVALID_ARGUMENT: 'API_BAD_REQUEST',
};

/**
 * The aggregator's HTTP API (JSON over node:http, no framework), built apart from any listening socket so
 * tests hand requests to `handler` directly. Operator endpoints need `Authorization: Bearer <admin token>`;
 * `POST /api/enrol` is guarded by the one-time enrolment token in its body; `GET /api/health` is open (a
 * load balancer or systemd watchdog probes it). Endpoints and error codes: README.md in this folder.
 */
export function buildHttpApi(deps: HttpApiDeps): HttpApi {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ part: 'http' });
  const maxBody = deps.maxBodyBytes ?? 64 * 1024;

  function requireAdmin(req: IncomingMessage): void {
    if (deps.adminToken === undefined) {
      throw new ApiError('API_ADMIN_DISABLED', 'the operator endpoints are off: no http.adminToken is configured (use `chiso enrol-token` on the aggregator)');
    }
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null || !secretsEqual(m[1]!, deps.adminToken)) {
      log.warn({ remote: req.socket.remoteAddress, path: req.url?.split('?')[0] }, 'operator request refused: missing or wrong admin token');
      throw new ApiError('API_UNAUTHORIZED', m === null ? 'send the admin token as "Authorization: Bearer <token>"' : 'wrong admin token');
    }
  }

  const query = (url: URL) => Object.fromEntries(url.searchParams);

  const routes: Route[] = [
    {
      method: 'GET',
      path: /^\/api\/health$/,
      name: 'GET /api/health',
      async handle(_req, res) {
        const h = deps.health();
        sendJson(res, h.ok ? 200 : 503, { ...h, name: deps.aggregator.name, version: deps.version ?? '0.1.0', time: new Date(clock.now()).toISOString() });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/gateways$/,
      name: 'GET /api/gateways',
      async handle(req, res) {
        requireAdmin(req);
        sendJson(res, 200, { gateways: deps.data.gateways() });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/reads$/,
      name: 'GET /api/reads',
      async handle(req, res, _p, url) {
        requireAdmin(req);
        const q = validated(ReadsQuerySchema.strict(), query(url), 'query');
        if (q.from !== undefined && q.to !== undefined && q.to <= q.from) throw new ApiError('API_BAD_REQUEST', 'query to: must be after from');
        const page = deps.data.reads(q);
        sendJson(res, 200, { reads: page.items, nextCursor: page.nextCursor });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/events$/,
      name: 'GET /api/events',
      async handle(req, res, _p, url) {
        requireAdmin(req);
        const q = validated(EventsQuerySchema.strict(), query(url), 'query');
        const page = deps.data.events(q);
        sendJson(res, 200, { events: page.items, nextCursor: page.nextCursor });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/events\/([^/]+)\/(confirm|dismiss)$/,
      name: 'POST /api/events/:id/:action',
      async handle(req, res, [idText, action]) {
        requireAdmin(req);
        const id = Number(idText);
        if (!Number.isSafeInteger(id) || id < 1) throw new ApiError('API_BAD_REQUEST', `event id: expected a whole number, got ${JSON.stringify(idText)}`);
        const body = validated(ReviewRequestSchema, await readJsonBody(req, maxBody), 'body');
        // Dismissing says "this alarm was wrong": the reason is what the next operator needs to see.
        if (action === 'dismiss' && body.note === undefined) throw new ApiError('API_BAD_REQUEST', 'body note: a dismissal needs a note saying why');
        const outcome = deps.data.review(id, action as 'confirm' | 'dismiss', body, clock.now());
        if (!outcome.ok && outcome.reason === 'not-found') throw new ApiError('API_EVENT_NOT_FOUND', `no event ${id}`);
        if (!outcome.ok) throw new ApiError('API_EVENT_ALREADY_REVIEWED', `event ${id} is already ${outcome.state}`);
        log.info({ eventId: id, action, by: body.by }, 'event reviewed');
        sendJson(res, 200, { event: outcome.event });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/enrolment\/tokens$/,
      name: 'POST /api/enrolment/tokens',
      async handle(req, res) {
        requireAdmin(req);
        const body = validated(IssueTokenRequestSchema, await readJsonBody(req, maxBody), 'body');
        const ttlMs = body.ttlHours === undefined ? deps.tokenTtlMs : Math.round(body.ttlHours * 3_600_000);
        const issued = deps.enrolment.issue(body.gatewayId, ttlMs, clock.now());
        log.info({ gatewayId: issued.gatewayId, expiresAt: new Date(issued.expiresAt).toISOString() }, 'enrolment token issued');
        const answer: IssuedTokenBody = { gatewayId: issued.gatewayId, token: issued.token, expiresAt: new Date(issued.expiresAt).toISOString() };
        sendJson(res, 201, answer);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/enrol$/,
      name: 'POST /api/enrol',
      async handle(req, res) {
        const body = validated(EnrolRequestSchema, await readJsonBody(req, maxBody), 'body');
        let enrolled;
        try {
          enrolled = await deps.enrolment.consume(body, () => clock.now());
        } catch (e) {
          const code = e instanceof CentralError ? ENROL_ERRORS[e.code] : undefined;
          if (code === undefined) throw e;
          log.warn({ gatewayId: body.gatewayId, remote: req.socket.remoteAddress, code: (e as CentralError).code }, 'enrolment refused');
          throw new ApiError(code, (e as CentralError).message, { cause: e });
        }
        log.info({ gatewayId: enrolled.gatewayId, keyId: enrolled.keyId, remote: req.socket.remoteAddress }, 'gateway enrolled');
        const answer: EnrolResponse = {
          gatewayId: enrolled.gatewayId,
          keyId: enrolled.keyId,
          mqtt: { url: deps.brokerUrlFor(req.headers.host), username: enrolled.gatewayId, password: enrolled.password, clientId: enrolled.gatewayId, topicRoot: deps.topicRoot },
          aggregator: { ...deps.aggregator },
        };
        sendJson(res, 201, answer);
      },
    },
  ];
  routes.push(...(deps.extraRoutes?.({ requireAdmin, maxBodyBytes: maxBody, clock, logger: log }) ?? []));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const url = new URL(req.url ?? '/', 'http://aggregator.invalid');
    const found = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (found === undefined) throw notFound(url.pathname);
    if ('allow' in found) {
      res.setHeader('allow', found.allow.join(', '));
      throw new ApiError('API_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname} (allowed: ${found.allow.join(', ')})`);
    }
    await found.route.handle(req, res, found.params, url);
    return found.route.name;
  }

  return {
    handler(req, res) {
      handle(req, res).then(
        (route) => deps.onAnswer?.(route, res.statusCode),
        (e: unknown) => {
          let err: ApiError;
          if (e instanceof ApiError) err = e;
          else {
            log.error({ err: errorMessage(e), method: req.method, path: req.url?.split('?')[0] }, 'request failed');
            err = new ApiError('API_INTERNAL', 'internal error; the aggregator log has the details');
          }
          if (err.code === 'API_UNAUTHORIZED') res.setHeader('www-authenticate', 'Bearer');
          if (!res.headersSent) sendError(res, err);
          else res.destroy();
          deps.onAnswer?.('error', err.status);
        },
      );
    },
  };
}
