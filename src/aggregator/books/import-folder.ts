import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import { CmisError } from '../cmis/errors.js';
import { BookError } from './errors.js';
import type { BookUpload, ImportResult } from './import-book.js';

/**
 * The books folder (books.importDir): CMIS, or an operator, drops book files there; each `*.xml` is
 * imported and moved to `imported/`, or — when refused — to `rejected/` with `<file>.error.txt` saying
 * why. Nothing is ever deleted: a name already taken in those folders gets a numbered suffix. A file that
 * fails for a reason that is not the file's fault (database busy, disk full) stays where it is and is
 * tried again at the next scan. Files touched in the last `settleMs` are left for the next scan too: a
 * copy still in progress would otherwise be rejected as truncated XML.
 */

export interface FolderLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ScanOptions {
  /** A file modified less than this long ago is left for the next scan (default 10 s). */
  readonly settleMs?: number;
  /** Wall-clock time for the settle check (file times are wall-clock too). */
  readonly now?: () => number;
}

export interface ScanSummary {
  /** False when another scan of the folder was running: this one did nothing. */
  readonly ran: boolean;
  readonly imported: { file: string; movedTo: string; result: ImportResult }[];
  readonly rejected: { file: string; movedTo: string; code: string; message: string }[];
  /** Left in place, tried again next scan. */
  readonly failed: { file: string; message: string }[];
  /** Too fresh (still being copied?): left for the next scan. */
  readonly settling: string[];
}

export const IMPORTED_DIR = 'imported';
export const REJECTED_DIR = 'rejected';

// The cron job and the start-up scan may overlap: one scan per folder at a time in this process.
const scanning = new Set<string>();

/** A name in `dir` not taken yet: `name`, else `stem.1.ext`, `stem.2.ext` … */
function freeName(dir: string, name: string): string {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? name : `${stem}.${n}${ext}`;
    if (!existsSync(join(dir, candidate)) && !existsSync(join(dir, `${candidate}.error.txt`))) return candidate;
  }
}

function moveInto(dir: string, sub: string, name: string): string {
  const target = join(dir, sub);
  mkdirSync(target, { recursive: true });
  const to = join(target, freeName(target, name));
  renameSync(join(dir, name), to);
  return to;
}

/** What the operator reads next to a rejected file. */
function errorText(file: string, e: CmisError | BookError, at: number): string {
  const context = Object.entries(e.context)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${k}: ${String(v)}`);
  return [`${file} was not imported (${new Date(at).toISOString()}).`, '', `code: ${e.code}`, `why: ${e.message}`, ...(context.length > 0 ? ['', 'where:', ...context] : []), ''].join('\n');
}

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Imports every settled `*.xml` in `dir` (not its subfolders), one at a time in name order, yielding to
 * the event loop between files so the broker and ingest in the same process keep being served.
 * A CmisError or BookError (the file's fault) rejects the file; any other error (database, disk) leaves it.
 * Throws only when the folder itself cannot be made or listed (permissions): the caller logs it.
 */
export async function scanImportFolder(dir: string, importer: (file: BookUpload) => ImportResult, log: FolderLog, options: ScanOptions = {}): Promise<ScanSummary> {
  const summary: ScanSummary = { ran: false, imported: [], rejected: [], failed: [], settling: [] };
  if (scanning.has(dir)) {
    log.info({ dir }, 'book folder scan already running: skipped');
    return summary;
  }
  scanning.add(dir);
  try {
    const now = options.now ?? Date.now;
    const settleMs = options.settleMs ?? 10_000;
    // A fresh installation has no folder yet: an empty inbox, not an error.
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && /\.xml$/i.test(d.name))
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      await pause();
      const path = join(dir, name);
      try {
        if (now() - statSync(path).mtimeMs < settleMs) {
          summary.settling.push(name);
          continue;
        }
        const result = importer({ fileName: name, bytes: readFileSync(path) });
        const movedTo = moveInto(dir, IMPORTED_DIR, name);
        summary.imported.push({ file: name, movedTo, result });
        log.info({ file: name, ...result }, `book ${result.outcome}`);
      } catch (e) {
        if (!(e instanceof CmisError || e instanceof BookError)) {
          summary.failed.push({ file: name, message: errorMessage(e) });
          log.error({ file: name, err: errorMessage(e) }, 'book file could not be imported now: left in place for the next scan');
          continue;
        }
        try {
          const movedTo = moveInto(dir, REJECTED_DIR, name);
          writeFileSync(`${movedTo}.error.txt`, errorText(name, e, now()), 'utf8');
          summary.rejected.push({ file: name, movedTo, code: e.code, message: e.message });
          log.warn({ file: name, code: e.code, err: e.message, movedTo }, 'book file rejected');
        } catch (moveError) {
          summary.failed.push({ file: name, message: `${e.message}; and it could not be moved to ${REJECTED_DIR}/: ${errorMessage(moveError)}` });
          log.error({ file: name, code: e.code, err: errorMessage(moveError) }, 'book file rejected but could not be moved');
        }
      }
    }
    return { ...summary, ran: true };
  } finally {
    scanning.delete(dir);
  }
}
