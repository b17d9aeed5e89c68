import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChisoError } from '../../shared/errors.js';
import type { RouteKit } from './api.js';
import { ApiError } from './errors.js';
import type { Route } from './router.js';

/**
 * The operators' web page: plain HTML, CSS and ES modules from `./page/`, served as static files. They
 * are not secret and need no admin token; every figure on the page comes from the JSON API, which the
 * page calls with the token the operator pastes in (kept in the tab's sessionStorage).
 */

export class PageError extends ChisoError<'PAGE_ASSETS_MISSING'> {}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Everything the page loads is one of its own files: no inline script or style, nothing from another
 * origin (the aggregator runs on a utility's internal network, often without internet access, and the
 * page handles the admin token). `connect-src` falls back to 'self': the page talks to this API only.
 */
export const PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Where the page's files are. tsc copies no .html/.css/.js into dist/, so from `dist/src/aggregator/http/`
 * the files are found in the source tree beside it (a clone, or the installed package, always has both);
 * run from the sources (vitest) they sit next to this module.
 */
export function pageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'page'), join(here, '..', '..', '..', '..', 'src', 'aggregator', 'http', 'page')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (found === undefined) {
    throw new PageError('PAGE_ASSETS_MISSING', `the operators' page files are missing: no index.html in ${candidates.join(' or ')}`);
  }
  return found;
}

/** Reads the page's files once, at start: a missing file is a start-up error, not a 404 on an operator's screen. */
export function loadPageAssets(dir: string = pageDir()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  if (!assets.has('index.html')) throw new PageError('PAGE_ASSETS_MISSING', `the operators' page has no index.html in ${dir}`);
  return assets;
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers = {
    'content-type': asset.type,
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Revalidated each time: after an upgrade the operator gets the new page, not a cached mix of versions.
    'cache-control': 'no-cache',
    etag: asset.etag,
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': asset.body.length });
  res.end(asset.body);
}

/** GET / (the page) and GET /page/<file> (its scripts, style sheet and icon); mount with buildHttpApi's extraRoutes. */
export function pageRoutes(kit: RouteKit, options: { dir?: string } = {}): Route[] {
  const assets = loadPageAssets(options.dir);
  kit.logger.debug({ files: [...assets.keys()] }, "operators' page loaded");
  return [
    {
      method: 'GET',
      path: /^\/$/,
      name: 'GET /',
      async handle(req, res) {
        send(req, res, assets.get('index.html')!);
      },
    },
    {
      method: 'GET',
      path: /^\/page\/([^/]+)$/,
      name: 'GET /page/:file',
      async handle(req, res, [name]) {
        // index.html is served at / only, so that relative module paths resolve one way.
        const asset = name === 'index.html' ? undefined : assets.get(name!);
        if (asset === undefined) throw new ApiError('API_NOT_FOUND', `no page file ${name!.slice(0, 100)}`);
        send(req, res, asset);
      },
    },
  ];
}
