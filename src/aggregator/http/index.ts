/** The aggregator's HTTP API: operators (gateways, reads, events, enrolment tokens) and gateway enrolment. */
export { buildHttpApi, type HttpApi, type HttpApiDeps, type RouteKit } from './api.js';
export type { Route } from './router.js';
export { readJsonBody, sendJson, validated } from './json.js';
export { listenHttp, type HttpListener } from './listen.js';
export { ApiError, API_ERRORS, type ApiErrorCode } from './errors.js';
export type { OperatorData, GatewayView, ReadView, EventView, EventReview, EventState, Page, ReviewOutcome } from './operator-data.js';
export {
  EnrolRequestSchema,
  EnrolResponseSchema,
  IssueTokenRequestSchema,
  IssuedTokenSchema,
  ReadsQuerySchema,
  EventsQuerySchema,
  ReviewRequestSchema,
  parseInstant,
  type EnrolRequest,
  type EnrolResponse,
  type IssuedTokenBody,
  type ReadsQuery,
  type EventsQuery,
} from './schemas.js';
