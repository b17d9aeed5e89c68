import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { BookProgress, type RowWithProgress } from '../books/book-progress.js';
import type { BookScreeningOptions } from '../books/book-screening.js';
import { BookStore, type BookSummary } from '../books/book-store.js';
import { closeBook, DEFAULT_TOLERANCE_MS } from '../books/close-book.js';
import { ClosingError, type ClosingErrorCode } from '../books/closing-errors.js';
import { ClosingStore, type ClosingRecord, type ExportRecord, type FlagRecord } from '../books/closing-store.js';
import { BookError } from '../books/errors.js';
import { exportBook } from '../books/export-book.js';
import type { RouteKit } from './api.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { readJsonBody, sendJson, validated } from './json.js';
import type { Route } from './router.js';
import { ReviewRequestSchema } from './schemas.js';

/**
 * The books endpoints (book-routes.md): the list with progress, one book's rows, closing, exporting and
 * downloading, and the operator's decisions on flags. Every endpoint needs the admin token.
 */
export interface BookRoutesDeps {
  readonly db: Database.Database;
  /** Where exports are written (books.exportDir). */
  readonly exportDir: string;
  /** books.toleranceHours in ms; default 6 h. */
  readonly toleranceMs?: number;
  readonly screening?: BookScreeningOptions;
}

const CLOSING_ERRORS: Record<ClosingErrorCode, ApiErrorCode> = {
  CLOSE_NOT_DUE: 'API_BOOK_NOT_DUE',
  EXPORT_NOT_CLOSED: 'API_BOOK_NOT_CLOSED',
  EXPORT_BLOCKED: 'API_EXPORT_BLOCKED',
  EXPORT_OVERRIDE_NOTE: 'API_BAD_REQUEST',
  EXPORT_NOT_FOUND: 'API_EXPORT_NOT_FOUND',
  EXPORT_VERIFY_FAILED: 'API_INTERNAL',
  FLAG_NOT_FOUND: 'API_FLAG_NOT_FOUND',
  FLAG_ALREADY_DECIDED: 'API_FLAG_ALREADY_DECIDED',
  FLAG_NOTE_REQUIRED: 'API_BAD_REQUEST',
};

/** The domain's errors as API errors (the message is kept: it names the book, flag or export). */
function apiError(e: unknown): unknown {
  if (e instanceof ClosingError) return new ApiError(CLOSING_ERRORS[e.code], e.message, { cause: e });
  if (e instanceof BookError && e.code === 'BOOK_NOT_FOUND') return new ApiError('API_BOOK_NOT_FOUND', e.message, { cause: e });
  return e;
}

const ExportRequestSchema = z.strictObject({
  override: z.boolean({ error: 'true or false' }).optional(),
  note: z.string({ error: 'text' }).trim().max(2000, { error: 'a note of at most 2000 characters' }).optional(),
  by: z.string({ error: 'text' }).trim().min(1).max(100).optional(),
});

const FlagsQuerySchema = z.strictObject({
  bookId: z.coerce.number({ error: 'a book id' }).int({ error: 'a book id' }).min(1, { error: 'a book id' }).optional(),
  state: z.enum(['open', 'confirmed', 'dismissed'], { error: 'open, confirmed or dismissed' }).optional(),
});

function idOf(text: string | undefined, what: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1) throw new ApiError('API_BAD_REQUEST', `${what} id: expected a whole number, got ${JSON.stringify(text)}`);
  return id;
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

function bookView(b: BookSummary) {
  return {
    id: b.id,
    code: b.code,
    unit: b.unit,
    year: b.year,
    month: b.month,
    subPeriod: b.subPeriod,
    fileName: b.fileName,
    state: b.state,
    readingDay: b.readingDay,
    periodStart: iso(b.periodStart),
    periodEnd: iso(b.periodEnd),
    cutoffAt: iso(b.cutoffAt),
    closedAt: iso(b.closedAt),
    importedAt: iso(b.importedAt),
    rowCount: b.rowCount,
    pointCount: b.pointCount,
  };
}

function flagView(f: FlagRecord) {
  return { ...f, decidedAt: iso(f.decidedAt), raisedAt: iso(f.raisedAt) };
}

function closingView(c: ClosingRecord | null) {
  if (c === null) return null;
  const { bookId: _b, meteringPoint: _p, bcs: _r, ...rest } = c;
  return { ...rest, closedAt: iso(c.closedAt) };
}

function exportView(e: ExportRecord) {
  return {
    id: e.id,
    bookId: e.bookId,
    version: e.version,
    xmlFile: basename(e.xmlFile),
    csvFile: basename(e.csvFile),
    xmlSha256: e.xmlSha256,
    csvSha256: e.csvSha256,
    rows: e.rows,
    createdAt: iso(e.createdAt),
    overrideBy: e.overrideBy,
    overrideNote: e.overrideNote,
    xmlUrl: `/api/exports/${e.id}/xml`,
    csvUrl: `/api/exports/${e.id}/csv`,
  };
}

function rowView(r: RowWithProgress) {
  const { row } = r;
  return {
    meteringPoint: row.meteringPoint,
    bcs: row.bcs,
    readingType: row.readingType,
    rowNo: row.rowNo,
    routePosition: row.routePosition,
    meterId: row.meterId,
    meterSerial: row.meterSerial,
    customerCode: row.customerCode,
    customerName: row.customerName,
    multiplier: row.multiplier,
    oldIndex: row.oldIndex,
    previousConsumption: row.row.SL_CU ?? null,
    progress: r.progress,
    closing: closingView(r.closing),
    flags: r.flags.map(flagView),
  };
}

function sendFile(res: ServerResponse, bytes: Buffer, type: string, fileName: string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': bytes.length,
    // The name CMIS expects (D018328-2017-7-1.xml); plain ASCII, so no filename* is needed.
    'content-disposition': `attachment; filename="${fileName.replace(/["\\\r\n]/g, '_')}"`,
    'cache-control': 'no-store',
  });
  res.end(bytes);
}

export function bookRoutes(kit: RouteKit, deps: BookRoutesDeps): Route[] {
  const books = new BookStore(deps.db);
  const store = new ClosingStore(deps.db);
  const progress = new BookProgress(deps.db, deps.toleranceMs ?? DEFAULT_TOLERANCE_MS);
  const log = kit.logger.child({ part: 'books' });

  const getBook = (id: number): BookSummary => {
    const b = books.getBook(id);
    if (b === undefined) throw new ApiError('API_BOOK_NOT_FOUND', `no book ${id}`);
    return b;
  };
  const guarded = (route: Route): Route => ({
    ...route,
    async handle(req, res, params, url) {
      kit.requireAdmin(req);
      try {
        await route.handle(req, res, params, url);
      } catch (e) {
        throw apiError(e);
      }
    },
  });
  const download = (kind: 'xml' | 'csv'): Route => ({
    method: 'GET',
    path: new RegExp(`^/api/exports/([^/]+)/${kind}$`),
    name: `GET /api/exports/:id/${kind}`,
    async handle(_req, res, [idText]) {
      const id = idOf(idText, 'export');
      const e = store.exportById(id);
      if (e === undefined) throw new ApiError('API_EXPORT_NOT_FOUND', `no export ${id}`);
      const file = kind === 'xml' ? e.xmlFile : e.csvFile;
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (cause) {
        throw new ApiError('API_EXPORT_NOT_FOUND', `export ${id} (v${e.version}): its file ${basename(file)} is no longer in the export folder`, { cause });
      }
      sendFile(res, bytes, kind === 'xml' ? 'application/xml; charset=utf-8' : 'text/csv; charset=utf-8', basename(file));
    },
  });

  const routes: Route[] = [
    {
      method: 'GET',
      path: /^\/api\/books$/,
      name: 'GET /api/books',
      async handle(_req, res) {
        const now = kit.clock.now();
        const list = books.listBooks().map((b) => {
          const latest = store.latestExport(b.id);
          return { ...bookView(b), progress: progress.counts(b, now), latestExport: latest === undefined ? null : { id: latest.id, version: latest.version } };
        });
        sendJson(res, 200, { books: list });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/books\/([^/]+)$/,
      name: 'GET /api/books/:id',
      async handle(_req, res, [idText]) {
        const book = getBook(idOf(idText, 'book'));
        const now = kit.clock.now();
        const rows = progress.rows(book, now);
        // Whole-point flags of points whose rows are all gone stay visible in `flags`.
        sendJson(res, 200, { book: { ...bookView(book), progress: progress.counts(book, now) }, rows: rows.map(rowView), flags: store.flagsOfBook(book.id).map(flagView) });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/books\/([^/]+)\/close$/,
      name: 'POST /api/books/:id/close',
      async handle(req, res, [idText]) {
        const id = idOf(idText, 'book');
        await readJsonBody(req, kit.maxBodyBytes); // no fields; read so a sent body is checked and drained
        const summary = closeBook(deps.db, id, { now: kit.clock.now(), toleranceMs: deps.toleranceMs ?? DEFAULT_TOLERANCE_MS, ...(deps.screening ? { screening: deps.screening } : {}) });
        log.info({ bookId: id, book: summary.book, outcomes: summary.outcomes, openBlockingFlags: summary.openBlockingFlags }, 'book closed by an operator');
        sendJson(res, 200, { summary });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/books\/([^/]+)\/export$/,
      name: 'POST /api/books/:id/export',
      async handle(req, res, [idText]) {
        const id = idOf(idText, 'book');
        const body = validated(ExportRequestSchema, await readJsonBody(req, kit.maxBodyBytes), 'body');
        if (body.override === true && (body.note === undefined || body.note === '')) {
          throw new ApiError('API_BAD_REQUEST', 'body note: an override needs a note saying why the open flags may be ignored');
        }
        const result = exportBook(deps.db, id, {
          exportDir: deps.exportDir,
          now: kit.clock.now(),
          ...(body.override === true ? { override: { by: body.by, note: body.note as string } } : {}),
        });
        log.info({ bookId: id, version: result.export.version, reused: result.reused, override: body.override === true, by: body.by }, 'book exported');
        sendJson(res, result.reused ? 200 : 201, { export: exportView(result.export), reused: result.reused });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/books\/([^/]+)\/exports$/,
      name: 'GET /api/books/:id/exports',
      async handle(_req, res, [idText]) {
        const book = getBook(idOf(idText, 'book'));
        sendJson(res, 200, { exports: store.exports(book.id).map(exportView) });
      },
    },
    download('xml'),
    download('csv'),
    {
      method: 'GET',
      path: /^\/api\/flags$/,
      name: 'GET /api/flags',
      async handle(_req, res, _p, url) {
        const q = validated(FlagsQuerySchema, Object.fromEntries(url.searchParams), 'query');
        sendJson(res, 200, { flags: store.flags(q).map(flagView) });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/flags\/([^/]+)\/(confirm|dismiss)$/,
      name: 'POST /api/flags/:id/:action',
      async handle(req, res, [idText, action]) {
        const id = idOf(idText, 'flag');
        const body = validated(ReviewRequestSchema, await readJsonBody(req, kit.maxBodyBytes), 'body');
        const flag = store.decideFlag(id, action as 'confirm' | 'dismiss', { note: body.note, by: body.by, now: kit.clock.now() });
        log.info({ flagId: id, action, by: body.by, code: flag.code, point: flag.meteringPoint }, 'flag decided');
        sendJson(res, 200, { flag: flagView(flag) });
      },
    },
  ];
  return routes.map(guarded);
}
