import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

/** One endpoint: a method and a path pattern whose groups are handed to the handler. */
export interface Route {
  method: 'GET' | 'POST';
  /** Anchored pattern over the path (no query string). */
  path: RegExp;
  /** A name for logs and metrics (`POST /api/events/:id/:action`), never the raw path. */
  name: string;
  handle(req: IncomingMessage, res: ServerResponse, params: string[], url: URL): Promise<void>;
}

export type Match = { route: Route; params: string[] };

/**
 * Finds the route for a request. A known path with another method is 405 with an Allow header (the path
 * exists, the verb is wrong), an unknown path 404.
 */
export function matchRoute(routes: readonly Route[], method: string, path: string): Match | { allow: string[] } | undefined {
  const allow: string[] = [];
  for (const route of routes) {
    const m = route.path.exec(path);
    if (m === null) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params: m.slice(1) };
    allow.push(route.method);
  }
  return allow.length > 0 ? { allow } : undefined;
}

export function notFound(path: string): ApiError {
  return new ApiError('API_NOT_FOUND', `no endpoint ${path.slice(0, 200)}`);
}
