import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { BookError } from '../books/errors.js';
import type { BookUpload, ImportResult } from '../books/import-book.js';
import { CmisError } from '../cmis/errors.js';
import type { RouteKit } from './api.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { readRawBody, sendJson, validated } from './json.js';
import type { Route } from './router.js';

/**
 * `POST /api/books/import?fileName=D018328-2017-7-1.xml` with the book's XML as the raw body: the HTTP
 * twin of dropping the file in books.importDir. Documented in book-import-routes.md.
 */

export interface BookImportRouteDeps {
  importBook(file: BookUpload): ImportResult;
  /** Largest accepted book, bytes (64 MiB: a book of a few thousand points with the inline schema is a few MiB). */
  maxBookBytes?: number;
}

export const MAX_BOOK_BYTES = 64 * 1024 * 1024;

/**
 * The catalogue (errors.ts) has no "book already closed" code yet; API_BAD_REQUEST (400) is the closest
 * that does not mislead (API_BOOK_NOT_CLOSED says the opposite). Swap in a 409 code here when it exists.
 */
export const BOOK_CLOSED_API_CODE: ApiErrorCode = 'API_BOOK_CLOSED';

const ImportQuerySchema = z.strictObject({
  fileName: z
    .string()
    .min(5)
    .max(200)
    .regex(/^[^/\\\0]+\.xml$/i, 'a file name ending in .xml, without folders, e.g. D018328-2017-7-1.xml'),
});

const XML_TYPE = /^(application|text)\/xml\s*(;|$)/i;

/** The importer's refusals as API errors; anything else is a bug or a database failure (500, logged). */
function apiErrorOf(e: unknown): ApiError | undefined {
  if (e instanceof CmisError) return new ApiError('API_BOOK_INVALID', e.message, { cause: e, context: e.context });
  if (e instanceof BookError) {
    if (e.code === 'BOOK_CLOSED') return new ApiError(BOOK_CLOSED_API_CODE, e.message, { cause: e, context: e.context });
    if (e.code === 'BOOK_DUPLICATE_ROW' || e.code === 'BOOK_UNIT_MISMATCH') return new ApiError('API_BOOK_INVALID', e.message, { cause: e, context: e.context });
  }
  return undefined;
}

export function bookImportRoutes(kit: RouteKit, deps: BookImportRouteDeps): Route[] {
  const maxBytes = deps.maxBookBytes ?? MAX_BOOK_BYTES;
  return [
    {
      method: 'POST',
      path: /^\/api\/books\/import$/,
      name: 'POST /api/books/import',
      async handle(req, res, _params, url) {
        kit.requireAdmin(req);
        const { fileName } = validated(ImportQuerySchema, Object.fromEntries(url.searchParams), 'query');
        const type = req.headers['content-type'];
        if (type === undefined || !XML_TYPE.test(type)) {
          throw new ApiError('API_UNSUPPORTED_MEDIA_TYPE', `the body must be the book's XML as application/xml or text/xml, got ${type === undefined ? 'no content-type' : type.slice(0, 80)}`);
        }
        const bytes = await readRawBody(req, maxBytes);
        let result: ImportResult;
        try {
          result = deps.importBook({ fileName, bytes });
        } catch (e) {
          const api = apiErrorOf(e);
          if (api === undefined) throw e;
          kit.logger.warn({ fileName, code: (e as CmisError | BookError).code, err: api.message }, 'book import refused');
          throw api;
        }
        kit.logger.info({ fileName, ...result }, `book ${result.outcome}`);
        sendJson(res, result.outcome === 'created' ? 201 : 200, result);
      },
    },
  ];
}
