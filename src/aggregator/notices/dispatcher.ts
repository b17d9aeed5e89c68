import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../../shared/errors.js';
import { NoticeError } from './errors.js';
import type { Notice, NoticeOutbox } from './outbox.js';

/** Hands one notice to whatever delivers it (the utility's SMS/e-mail gateway); resolves once it is taken. */
export interface NoticeDispatcher {
  send(notice: Notice): Promise<void>;
}

/** Where the file dispatcher writes in the data folder. */
export function noticesFilePath(dataDir: string): string {
  return join(dataDir, 'notices', 'outgoing.jsonl');
}

/**
 * The built-in dispatcher: appends each notice as one JSON line to a file. The utility's SMS gateway is
 * outside chiso; this file is the hand-over point it (or a small relay) reads. Delivery is at least once:
 * a crash between the write and markSent writes the line again on the next run, so the reader must
 * ignore a notice id it has already seen.
 */
export class JsonlNoticeDispatcher implements NoticeDispatcher {
  readonly #path: string;
  #ready: Promise<unknown> | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  get path(): string {
    return this.#path;
  }

  async send(notice: Notice): Promise<void> {
    this.#ready ??= mkdir(dirname(this.#path), { recursive: true, mode: 0o750 });
    const line = {
      id: notice.id,
      bookId: notice.bookId,
      meteringPoint: notice.meteringPoint,
      customerCode: notice.customerCode,
      channel: notice.channel,
      text: notice.text,
      dueAt: new Date(notice.dueAt).toISOString(),
      releaseAt: new Date(notice.releaseAt).toISOString(),
    };
    try {
      await this.#ready;
      await appendFile(this.#path, JSON.stringify(line) + '\n', { mode: 0o640 });
    } catch (e) {
      this.#ready = undefined;
      throw new NoticeError('NOTICE_SEND_FAILED', `notice ${notice.id}: could not append to ${this.#path}: ${errorMessage(e)}`, { cause: e, context: { noticeId: notice.id, file: this.#path } });
    }
  }
}

/**
 * One dispatch round (the lead's scheduled job): every due notice to the dispatcher, in release order,
 * each marked sent once taken. A failure leaves that notice pending for the next round and stops the
 * round: a broken hand-over fails the same way for every notice.
 */
export async function dispatchDueNotices(outbox: NoticeOutbox, dispatcher: NoticeDispatcher, now: () => number, logger: Logger, limit = 500): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  for (const notice of outbox.due(now(), limit)) {
    try {
      await dispatcher.send(notice);
    } catch (e) {
      logger.warn({ noticeId: notice.id, meteringPoint: notice.meteringPoint, err: errorMessage(e) }, 'notice not handed over; it stays pending');
      return { sent, failed: 1 };
    }
    if (outbox.markSent(notice.id, now())) sent++;
  }
  if (sent > 0) logger.info({ sent }, 'customer notices handed over');
  return { sent, failed: 0 };
}
