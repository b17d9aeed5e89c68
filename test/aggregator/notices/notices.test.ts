import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CalendarSchema, localInstant } from '../../../src/aggregator/calendar/reading-calendar.js';
import { dispatchDueNotices, JsonlNoticeDispatcher, NoticeError, NoticeOutbox, noticesFilePath, type NoticeDispatcher } from '../../../src/aggregator/notices/index.js';
import { openCentralDb, type CentralDb } from '../../../src/aggregator/store/index.js';
import { tempDir, thrown } from '../../store/temp-dir.js';

const silent = pino({ level: 'silent' });
/** Book D0001 of July 2024, read on the last day: the period runs 01/07–31/07, the cutoff is 01/08 06:00. */
const PERIOD_START = localInstant({ year: 2024, month: 7, day: 1 });
const PERIOD_END = localInstant({ year: 2024, month: 8, day: 1 });
const CLOSED_AT = localInstant({ year: 2024, month: 8, day: 1 }, '06:00');
const calendar = CalendarSchema.parse({});

interface Reg {
  bcs: string;
  old: string;
  outcome: 'read' | 'estimated' | 'field-read' | 'needs-review' | null;
  newIndex?: string;
  consumption?: string;
}

function insertBook(db: CentralDb, state: 'open' | 'closed' = 'closed', code = 'D0001'): number {
  return Number(
    db.store.db
      .prepare(
        `INSERT INTO books (unit_code, book_code, year, month, sub_period, file_name, reading_day, period_start, period_end, cutoff_at, state, source_sha256, imported_at, closed_at)
         VALUES ('PD0100', ?, 2024, 7, 1, ?, 'last', ?, ?, ?, ?, 'sha', 0, ?)`,
      )
      .run(code, `${code}-2024-7-1.xml`, PERIOD_START, PERIOD_END, CLOSED_AT, state, state === 'open' ? null : CLOSED_AT).lastInsertRowid,
  );
}

function insertPoint(db: CentralDb, bookId: number, point: string, regs: Reg[], closedAt = CLOSED_AT): void {
  const row = db.store.db.prepare(
    `INSERT INTO book_rows (book_id, metering_point, bcs, reading_type, row_no, route_position, meter_id, customer_code, multiplier, old_index, row_json)
     VALUES (?, ?, ?, 'DDK', 1, '1', 'M1', ?, '1', ?, '{}')`,
  );
  const closing = db.store.db.prepare(
    `INSERT INTO book_closings (book_id, metering_point, bcs, outcome, new_index, consumption, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (book_id, metering_point, bcs) DO UPDATE SET outcome = excluded.outcome, new_index = excluded.new_index,
       consumption = excluded.consumption, closed_at = excluded.closed_at`,
  );
  for (const r of regs) {
    row.run(bookId, point, r.bcs, point.slice(0, -3), r.old);
    if (r.outcome !== null) closing.run(bookId, point, r.bcs, r.outcome, r.newIndex ?? null, r.consumption ?? null, closedAt);
  }
}

function setClosing(db: CentralDb, bookId: number, point: string, bcs: string, outcome: string, newIndex: string | null, consumption: string | null, closedAt = CLOSED_AT): void {
  db.store.db
    .prepare('UPDATE book_closings SET outcome = ?, new_index = ?, consumption = ?, closed_at = ? WHERE book_id = ? AND metering_point = ? AND bcs = ?')
    .run(outcome, newIndex, consumption, closedAt, bookId, point, bcs);
}

describe('customer notices (B7)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: CentralDb;

  beforeEach(() => {
    tmp = tempDir('chiso-notices-');
    db = openCentralDb({ path: tmp.file('central.db') });
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  function standardBook(): number {
    const book = insertBook(db);
    insertPoint(db, book, 'PD0100000001001', [{ bcs: 'KT', old: '12300', outcome: 'read', newIndex: '12522', consumption: '222' }]);
    insertPoint(db, book, 'PD0100000002001', [{ bcs: 'KT', old: '500.5', outcome: 'estimated', newIndex: '640.5', consumption: '140' }]);
    insertPoint(db, book, 'PD0100000003001', [{ bcs: 'KT', old: '900', outcome: 'field-read' }]);
    insertPoint(db, book, 'PD0100000004001', [
      { bcs: 'KT', old: '1000', outcome: 'read', newIndex: '1300', consumption: '12000' },
      { bcs: 'BT', old: '600', outcome: 'read', newIndex: '750', consumption: '6000' },
      { bcs: 'CD', old: '150', outcome: 'read', newIndex: '200', consumption: '2000' },
      { bcs: 'TD', old: '250', outcome: 'read', newIndex: '350', consumption: '4000' },
    ]);
    return book;
  }

  it('makes one notice per metering point, in Vietnamese, with "tạm tính" on estimated reads and none for field reads', () => {
    const book = standardBook();
    const outbox = new NoticeOutbox(db.store.db, { channel: 'sms', calendar });
    const result = outbox.enqueueForBook(book, CLOSED_AT + 60_000);
    expect(result).toMatchObject({ created: 3, updated: 0, cancelled: 0 });
    expect(result.held).toEqual([{ meteringPoint: 'PD0100000003001', reason: expect.stringContaining('field read') }]);

    const notices = outbox.ofBook(book);
    expect(notices.map((n) => n.meteringPoint)).toEqual(['PD0100000001001', 'PD0100000002001', 'PD0100000004001']);
    const [plain, estimated, tou] = notices as [(typeof notices)[0], (typeof notices)[0], (typeof notices)[0]];
    expect(plain.text).toBe(
      'Thông báo chỉ số điện kỳ 01/07/2024-31/07/2024. Khách hàng PD0100000001, điểm đo PD0100000001001. Chỉ số cũ 12300, chỉ số mới 12522, điện năng tiêu thụ 222 kWh.',
    );
    expect(plain.text).not.toContain('tạm tính');
    expect(estimated.text).toContain('chỉ số mới 640.5 (tạm tính), điện năng tiêu thụ 140 kWh (tạm tính)');
    // Registers in bill order, each with its name; one notice for the four registers.
    expect(tou.text).toMatch(/Tổng \(KT\): chỉ số cũ 1000, chỉ số mới 1300, điện năng tiêu thụ 12000 kWh\. Bình thường \(BT\).*Cao điểm \(CD\).*Thấp điểm \(TD\): chỉ số cũ 250/);
    for (const n of notices) {
      expect(n).toMatchObject({ channel: 'sms', state: 'pending', dueAt: CLOSED_AT, releaseAt: CLOSED_AT, createdAt: CLOSED_AT + 60_000, customerCode: n.meteringPoint.slice(0, -3) });
    }
  });

  it('is idempotent, follows a re-closed book while pending, and never changes a sent notice', () => {
    const book = standardBook();
    const outbox = new NoticeOutbox(db.store.db, { channel: 'sms', calendar });
    outbox.enqueueForBook(book, CLOSED_AT);
    expect(outbox.enqueueForBook(book, CLOSED_AT + 1)).toMatchObject({ created: 0, updated: 0, cancelled: 0 });

    // The field reader brings point 3's index: its notice appears, due from the new closing time.
    const later = CLOSED_AT + 5 * 3_600_000;
    setClosing(db, book, 'PD0100000003001', 'KT', 'read', '1000', '100', later);
    expect(outbox.enqueueForBook(book, later)).toMatchObject({ created: 1, held: [] });
    expect(outbox.ofBook(book).find((n) => n.meteringPoint === 'PD0100000003001')).toMatchObject({ dueAt: later, releaseAt: later, text: expect.stringContaining('chỉ số mới 1000') });

    // Point 1 sent; point 2's estimate replaced by a real read while pending.
    const p1 = outbox.ofBook(book)[0]!;
    expect(outbox.markSent(p1.id, later)).toBe(true);
    expect(outbox.markSent(p1.id, later)).toBe(false);
    setClosing(db, book, 'PD0100000001001', 'KT', 'read', '99999', '87699');
    setClosing(db, book, 'PD0100000002001', 'KT', 'read', '650', '149.5');
    expect(outbox.enqueueForBook(book, later)).toMatchObject({ created: 0, updated: 1 });
    expect(outbox.get(p1.id)!.text).toContain('12522');
    expect(outbox.ofBook(book)[1]!.text).not.toContain('tạm tính');

    // Point 4's CD goes to review: its pending notice is withdrawn, and comes back once decided.
    setClosing(db, book, 'PD0100000004001', 'CD', 'needs-review', '100', null);
    expect(outbox.enqueueForBook(book, later)).toMatchObject({ cancelled: 1, held: [{ meteringPoint: 'PD0100000004001', reason: expect.stringContaining('CD') }] });
    expect(outbox.ofBook(book).find((n) => n.meteringPoint === 'PD0100000004001')!.state).toBe('cancelled');
    setClosing(db, book, 'PD0100000004001', 'CD', 'read', '200', '2000');
    expect(outbox.enqueueForBook(book, later)).toMatchObject({ created: 1 });
    expect(outbox.ofBook(book).find((n) => n.meteringPoint === 'PD0100000004001')!.state).toBe('pending');
  });

  it('holds notices due in a blackout window (the Tết week) until the window ends', () => {
    const book = standardBook();
    const tet = CalendarSchema.parse({ noticeBlackouts: [{ from: '2024-07-31T12:00', to: '2024-08-03T08:00', reason: 'Tết' }] });
    const outbox = new NoticeOutbox(db.store.db, { channel: 'email', calendar: tet });
    outbox.enqueueForBook(book, CLOSED_AT);
    const end = localInstant({ year: 2024, month: 8, day: 3 }, '08:00');
    expect(outbox.ofBook(book).map((n) => [n.dueAt, n.releaseAt, n.channel])).toEqual([
      [CLOSED_AT, end, 'email'],
      [CLOSED_AT, end, 'email'],
      [CLOSED_AT, end, 'email'],
    ]);
    expect(outbox.due(end - 1)).toEqual([]);
    expect(outbox.due(end).map((n) => n.meteringPoint)).toEqual(['PD0100000001001', 'PD0100000002001', 'PD0100000004001']);
  });

  it('refuses an open book and an unknown one', () => {
    const open = insertBook(db, 'open', 'D0002');
    const outbox = new NoticeOutbox(db.store.db, { channel: 'sms', calendar });
    expect(thrown(() => outbox.enqueueForBook(open, CLOSED_AT))).toMatchObject({ code: 'NOTICE_BOOK_NOT_CLOSED' });
    const e = thrown(() => outbox.enqueueForBook(999, CLOSED_AT));
    expect(e).toBeInstanceOf(NoticeError);
    expect(e).toMatchObject({ code: 'NOTICE_BOOK_NOT_FOUND', message: 'no book 999' });
  });

  it('dispatches due notices to the JSONL file once each, and keeps them pending when the hand-over fails', async () => {
    const book = standardBook();
    const outbox = new NoticeOutbox(db.store.db, { channel: 'sms', calendar });
    outbox.enqueueForBook(book, CLOSED_AT);

    const failing: NoticeDispatcher = { send: async () => Promise.reject(new Error('gateway down')) };
    expect(await dispatchDueNotices(outbox, failing, () => CLOSED_AT + 1, silent)).toEqual({ sent: 0, failed: 1 });
    expect(outbox.due(CLOSED_AT + 1)).toHaveLength(3);

    // Not due yet: nothing goes out.
    const file = noticesFilePath(tmp.file('data'));
    const dispatcher = new JsonlNoticeDispatcher(file);
    expect(await dispatchDueNotices(outbox, dispatcher, () => CLOSED_AT - 1, silent)).toEqual({ sent: 0, failed: 0 });

    expect(await dispatchDueNotices(outbox, dispatcher, () => CLOSED_AT + 2, silent)).toEqual({ sent: 3, failed: 0 });
    expect(await dispatchDueNotices(outbox, dispatcher, () => CLOSED_AT + 3, silent)).toEqual({ sent: 0, failed: 0 });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.meteringPoint)).toEqual(['PD0100000001001', 'PD0100000002001', 'PD0100000004001']);
    expect(lines[1]).toMatchObject({ channel: 'sms', bookId: book, text: expect.stringContaining('tạm tính'), dueAt: new Date(CLOSED_AT).toISOString() });
    expect(outbox.ofBook(book).every((n) => n.state === 'sent' && n.sentAt === CLOSED_AT + 2)).toBe(true);
  });

  it('reports a file it cannot write as NOTICE_SEND_FAILED', async () => {
    const book = standardBook();
    const outbox = new NoticeOutbox(db.store.db, { channel: 'sms', calendar });
    outbox.enqueueForBook(book, CLOSED_AT);
    // The "folder" is a file: mkdir fails.
    const dispatcher = new JsonlNoticeDispatcher(tmp.file('central.db') + '/outgoing.jsonl');
    await expect(dispatcher.send(outbox.due(CLOSED_AT)[0]!)).rejects.toMatchObject({ code: 'NOTICE_SEND_FAILED' });
  });
});
