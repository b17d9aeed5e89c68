import type { FaultTruth, GroundTruthFile, MeterTruthRecord, TruthBcs } from '../../../simulators/fleet/ground-truth.js';

/**
 * Scores one month-end run against the fleet simulator's ground truth. Pure: the caller reads the central
 * database, the export files and the gateways' outboxes and hands the rows over; this file only compares.
 * Every figure comes with the list of its misses, each naming the book, meter, register or fault and why,
 * so a failing run says exactly what went wrong.
 *
 * Definitions (the issue's thresholds apply to the first four):
 * - coverage: DDK (periodic) rows of every imported book whose row in the EXPORTED file has a new index
 *   (CS_MOI not empty — read or estimated) / all DDK rows of those books. A book never exported counts
 *   every one of its DDK rows as a miss.
 * - exact-index: closings from a read (outcome `read`, or `needs-review` with the index the meter showed)
 *   whose new index equals the ground-truth index of the row's
 *   meter (after a swap: the installed meter, the one the DDK row names) at the period end, compared as
 *   exact decimals / all read closings. One documented allowance: a closing taken from the meter's own
 *   billing snapshot may equal the snapshot the truth records (`periodEnds[].snapshot`), which differs from
 *   the instant's value only on a meter whose clock is off — that is what the meter billed, by design.
 *   A nearest read (not a snapshot) must equal the period-end value too: no allowance for its gap.
 * - estimates-honest: every estimated closing's meter was really unreadable around the period end — a
 *   fault that makes it silent (silent, intermittent, bus-cut, burnt, power-failure, or the removed meter
 *   of a swap) active at some instant in [period end − 24 h, cutoff], or not installed then — and its
 *   exported row carries the estimate mark (TAM_TINH = 1); a row marked without an estimated closing is a
 *   violation too. Figure: violations (0 expected).
 * - recall: injected faults with a non-empty `expected` for which at least one expected code was raised
 *   for that meter (or its metering point), at or after the fault began (1 h slack): an anomaly event's
 *   code, `offline` = a meter-offline event, `bus-silent` = a bus-silent event naming the meter among the
 *   affected, or a central book flag of the same code on the point / all such faults.
 * - precision: raised flags — anomaly events (per meter and code), meter-offline events (per meter),
 *   bus-silent events (per gateway and bus), each deduplicated — that match an injected fault / all raised
 *   flags. A flag matches when the meter has a fault whose `expected` holds the code and that code is not
 *   in any of its faults' `notExpected`, or it is one of these documented consequences (nothing else):
 *     · export-on-import-only on a reverse-flow meter (the reversed flow is registered as export);
 *     · meter-swap-suspected on a backwards meter (the unannounced swap it simulates);
 *     · consumption-drop on a stuck or burnt meter (its registers stopped);
 *     · offline on a swap's installed meter before it was installed (it really does not answer yet).
 *   A bus-silent flag matches when the bus had a bus-cut fault.
 * - offline-before-reading-day: every meter silent or burnt (open-ended, or still at the period end) at
 *   the period end of a scored book appears in a pre-cutoff report dated before the reading day, or in a
 *   meter-offline / bus-silent event dated before the reading day (local 00:00).
 * - loss/duplication: every read id stored once; per gateway epoch the stored read sequence numbers are
 *   contiguous and end at the accepted stream position; nothing left in any gateway outbox at the end; and
 *   each exported file's rows are the book's rows one-to-one (no row lost or doubled). Figure: problems.
 */

export interface ScoreBook {
  id: number;
  code: string;
  year: number;
  month: number;
  /** Period end and cutoff (ms). */
  periodEnd: number;
  cutoffAt: number;
  /** Local reading day at 00:00 (ms): offline points must be reported before it. */
  readingDayStart: number;
  /** The rows of the latest export, or null when the book was never exported. */
  exported: ExportedRow[] | null;
}

export interface ExportedRow {
  meteringPoint: string;
  bcs: string;
  readingType: string;
  meterId: string | null;
  newIndex: string;
  estimateMark: boolean;
}

export interface ScoreBookRow {
  bookId: number;
  meteringPoint: string;
  bcs: string;
  readingType: string;
  meterId: string | null;
}

export interface ScoreClosing {
  bookId: number;
  meteringPoint: string;
  bcs: string;
  outcome: 'read' | 'estimated' | 'field-read' | 'needs-review';
  source: string | null;
  newIndex: string | null;
  /** The meter of the read the closing used (reads.meter_id), if any. */
  readMeterId: string | null;
}

export interface ScoreEvent {
  type: string;
  gatewayId: string;
  meterId: string | null;
  meteringPoint: string | null;
  /** Anomaly code (anomaly events only). */
  code: string | null;
  /** Anomaly raise/clear (anomaly events only): only raises count as flags. */
  anomalyState?: 'raised' | 'cleared';
  at: number;
  bus?: string;
  metersAffected?: string[];
}

export interface ScoreFlag {
  bookId: number;
  meteringPoint: string;
  bcs: string;
  code: string;
}

export interface StreamFacts {
  /** Stored reads' stream positions. */
  reads: { readId: string; gatewayId: string; epoch: string; seq: number }[];
  /** stream_positions rows of the reads stream. */
  positions: { gatewayId: string; epoch: string; lastAcceptedSeq: number }[];
  /** Items still waiting in each gateway's outbox when the run ended. */
  outboxLeft: { gatewayId: string; pending: number }[];
}

export interface ScoreInput {
  truth: GroundTruthFile;
  books: ScoreBook[];
  bookRows: ScoreBookRow[];
  closings: ScoreClosing[];
  flags: ScoreFlag[];
  events: ScoreEvent[];
  /** Pre-cutoff reports: local date (YYYY-MM-DD, as the report names it) and the meters listed offline. */
  preCutoff: { date: string; meterIds: string[] }[];
  stream: StreamFacts;
}

export interface Miss {
  figure: 'coverage' | 'exact-index' | 'estimates-honest' | 'recall' | 'precision' | 'offline-before-reading-day' | 'loss-duplication';
  what: string;
  reason: string;
}

export interface Ratio {
  hit: number;
  total: number;
  /** hit / total, 1 when total is 0. */
  rate: number;
}

export interface ScoreResult {
  coverage: Ratio;
  exactIndex: Ratio;
  recall: Ratio;
  precision: Ratio;
  offlineBeforeReadingDay: Ratio;
  estimateViolations: number;
  lossDuplicationProblems: number;
  counts: { rows: number; read: number; estimated: number; fieldRead: number; needsReview: number; faults: number; flags: number; reads: number };
  misses: Miss[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SILENT_KINDS = new Set(['silent', 'intermittent', 'bus-cut', 'burnt', 'power-failure']);
const CONSEQUENCES: Record<string, string[]> = {
  'export-on-import-only': ['reverse-flow'],
  'meter-swap-suspected': ['backwards'],
  'consumption-drop': ['stuck', 'burnt'],
};

/** Appends to the list under `key` (in place: rebuilding the list per item is quadratic on 200 000 reads). */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const ratio = (hit: number, total: number): Ratio => ({ hit, total, rate: total === 0 ? 1 : hit / total });

/** Exact decimal text → canonical form ("012.50" → "12.5", "-0" → "0"); undefined when not a decimal. */
export function canonicalDecimal(text: string): string | undefined {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const int = m[2]!.replace(/^0+/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const body = frac === '' ? int : `${int}.${frac}`;
  return m[1] === '-' && body !== '0' ? `-${body}` : body;
}

export function sameDecimal(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a == null || b == null) return false;
  const x = canonicalDecimal(a);
  return x !== undefined && x === canonicalDecimal(b);
}

const ms = (iso: string | null): number | undefined => (iso === null ? undefined : Date.parse(iso));

function periodLabel(b: { year: number; month: number }): string {
  return `${b.year}-${String(b.month).padStart(2, '0')}`;
}

/** Whether the fault's window touches [a, b]. */
function activeIn(f: FaultTruth, a: number, b: number): boolean {
  const from = ms(f.from) ?? -Infinity;
  const until = ms(f.until) ?? Infinity;
  return from <= b && until > a;
}

function unreadableAround(m: MeterTruthRecord, a: number, b: number): boolean {
  if (Date.parse(m.installedAt) > a) return true;
  if (m.removedAt !== undefined && Date.parse(m.removedAt) <= b) return true;
  return m.faults.some((f) => SILENT_KINDS.has(f.kind) && activeIn(f, a, b));
}

export function scoreRun(input: ScoreInput): ScoreResult {
  const misses: Miss[] = [];
  const meters = new Map(input.truth.meters.map((m) => [m.id, m]));
  const metersOfPoint = new Map<string, MeterTruthRecord[]>();
  for (const m of input.truth.meters) push(metersOfPoint, m.meteringPoint, m);
  const key = (p: string, bcs: string, t = 'DDK') => `${p}\u0000${bcs}\u0000${t}`;
  const rowsByBook = new Map<number, ScoreBookRow[]>();
  for (const r of input.bookRows) push(rowsByBook, r.bookId, r);
  const closingsByBook = new Map<number, Map<string, ScoreClosing>>();
  for (const c of input.closings) {
    const m = closingsByBook.get(c.bookId) ?? new Map<string, ScoreClosing>();
    m.set(key(c.meteringPoint, c.bcs), c);
    closingsByBook.set(c.bookId, m);
  }

  // --- coverage, exact index, estimates, export = book rows ---------------------------------------------
  let ddk = 0;
  let covered = 0;
  let readTotal = 0;
  let readExact = 0;
  let estimateViolations = 0;
  let lossProblems = 0;
  const counts = { rows: 0, read: 0, estimated: 0, fieldRead: 0, needsReview: 0, faults: 0, flags: 0, reads: input.stream.reads.length };
  for (const book of input.books) {
    const label = `${book.code} ${periodLabel(book)}`;
    const rows = rowsByBook.get(book.id) ?? [];
    const closings = closingsByBook.get(book.id) ?? new Map<string, ScoreClosing>();
    const exported = new Map<string, ExportedRow[]>();
    for (const r of book.exported ?? []) {
      const k = key(r.meteringPoint, r.bcs, r.readingType);
      push(exported, k, r);
    }
    if (book.exported !== null) {
      const bookKeys = new Set(rows.map((r) => key(r.meteringPoint, r.bcs, r.readingType)));
      for (const r of rows) {
        const n = exported.get(key(r.meteringPoint, r.bcs, r.readingType))?.length ?? 0;
        if (n !== 1) {
          lossProblems++;
          misses.push({ figure: 'loss-duplication', what: `${label} ${r.meteringPoint} ${r.bcs} ${r.readingType}`, reason: `the export holds this book row ${n} times` });
        }
      }
      for (const [k, list] of exported) {
        if (bookKeys.has(k)) continue;
        lossProblems++;
        misses.push({ figure: 'loss-duplication', what: `${label} ${k.split('\u0000').join(' ')}`, reason: `exported ${list.length} row(s) the book does not have` });
      }
    }
    for (const r of rows) {
      if (r.readingType !== 'DDK') continue;
      ddk++;
      counts.rows++;
      const what = `${label} ${r.meteringPoint} ${r.bcs} (meter ${r.meterId ?? '?'})`;
      const c = closings.get(key(r.meteringPoint, r.bcs));
      if (c?.outcome === 'read') counts.read++;
      else if (c?.outcome === 'estimated') counts.estimated++;
      else if (c?.outcome === 'field-read') counts.fieldRead++;
      else if (c?.outcome === 'needs-review') counts.needsReview++;
      const out = exported.get(key(r.meteringPoint, r.bcs))?.[0];
      if (book.exported === null) misses.push({ figure: 'coverage', what, reason: `book not exported (closing: ${c?.outcome ?? 'none'})` });
      else if (!out || out.newIndex.trim() === '') misses.push({ figure: 'coverage', what, reason: `no new index in the export (closing: ${c?.outcome ?? 'none'})` });
      else covered++;

      const meter = r.meterId === null ? undefined : meters.get(r.meterId);
      const pe = meter?.periodEnds.find((p) => p.period === periodLabel(book));
      // A needs-review closing with an index is a meter read too (its fall is what needs the review): it is
      // held to the truth like any read.
      if (c?.outcome === 'read' || (c?.outcome === 'needs-review' && c.newIndex !== null)) {
        readTotal++;
        const bcs = r.bcs as TruthBcs;
        const truthValue = pe?.values[bcs];
        const snapValue = pe?.snapshot?.values[bcs];
        const ok = sameDecimal(c.newIndex, truthValue) || (c.source === 'billing-snapshot' && sameDecimal(c.newIndex, snapValue));
        if (ok && (c.readMeterId === null || c.readMeterId === r.meterId)) readExact++;
        else if (!pe) misses.push({ figure: 'exact-index', what, reason: 'no ground truth for this meter and period' });
        else if (c.readMeterId !== null && c.readMeterId !== r.meterId) misses.push({ figure: 'exact-index', what, reason: `closed with a read of meter ${c.readMeterId}` });
        else misses.push({ figure: 'exact-index', what, reason: `${c.source ?? '?'} ${c.newIndex ?? '(none)'} ≠ truth ${truthValue ?? '?'}${snapValue !== undefined && snapValue !== truthValue ? ` (meter snapshot ${snapValue})` : ''}` });
      }
      if (c?.outcome === 'estimated') {
        const honest = meter !== undefined && unreadableAround(meter, book.periodEnd - DAY, book.cutoffAt);
        if (!honest) {
          estimateViolations++;
          misses.push({ figure: 'estimates-honest', what, reason: `estimated but the meter answered around the period end (faults: ${meter?.faults.map((f) => f.kind).join(', ') || 'none'})` });
        }
        if (out && !out.estimateMark) {
          estimateViolations++;
          misses.push({ figure: 'estimates-honest', what, reason: 'estimated but the exported row has no estimate mark' });
        }
      } else if (out?.estimateMark) {
        estimateViolations++;
        misses.push({ figure: 'estimates-honest', what, reason: `exported with the estimate mark but the closing is ${c?.outcome ?? 'missing'}` });
      }
    }
  }

  // --- recall ----------------------------------------------------------------------------------------
  const raisedEvents = input.events.filter((e) => e.type !== 'anomaly' || e.anomalyState !== 'cleared');
  const flagsByPoint = new Map<string, ScoreFlag[]>();
  for (const f of input.flags) push(flagsByPoint, f.meteringPoint, f);
  const codesOf = (e: ScoreEvent, meterId: string): string[] => {
    if (e.type === 'anomaly' && e.code) return [e.code];
    if (e.type === 'meter-offline') return ['offline'];
    if (e.type === 'bus-silent' && e.metersAffected?.includes(meterId)) return ['bus-silent'];
    return [];
  };
  const eventsOfMeter = new Map<string, ScoreEvent[]>();
  for (const e of raisedEvents) {
    const ids = new Set<string>();
    if (e.meterId) ids.add(e.meterId);
    if (e.meteringPoint) for (const m of metersOfPoint.get(e.meteringPoint) ?? []) ids.add(m.id);
    for (const id of e.metersAffected ?? []) ids.add(id);
    for (const id of ids) push(eventsOfMeter, id, e);
  }
  let faults = 0;
  let found = 0;
  for (const m of input.truth.meters) {
    for (const f of m.faults) {
      if (f.expected.length === 0) continue;
      faults++;
      const from = (ms(f.from) ?? -Infinity) - HOUR;
      const hit =
        (eventsOfMeter.get(m.id) ?? []).some((e) => e.at >= from && codesOf(e, m.id).some((c) => (f.expected as string[]).includes(c))) ||
        (flagsByPoint.get(m.meteringPoint) ?? []).some((fl) => (f.expected as string[]).includes(fl.code));
      if (hit) found++;
      else {
        const seen = [...new Set((eventsOfMeter.get(m.id) ?? []).flatMap((e) => codesOf(e, m.id)))];
        misses.push({ figure: 'recall', what: `${m.id} ${f.kind}${f.bus ? ` ${f.bus}` : ''} from ${f.from ?? 'start'}`, reason: `none of ${f.expected.join('/')} raised (raised for this meter: ${seen.join(', ') || 'nothing'})` });
      }
    }
  }
  counts.faults = faults;

  // --- precision -------------------------------------------------------------------------------------
  const raised = new Map<string, { e: ScoreEvent; code: string }>();
  for (const e of raisedEvents) {
    if (e.type === 'anomaly' && e.code && e.meterId) raised.set(`${e.meterId}|${e.code}`, raised.get(`${e.meterId}|${e.code}`) ?? { e, code: e.code });
    else if (e.type === 'meter-offline' && e.meterId) raised.set(`${e.meterId}|offline`, raised.get(`${e.meterId}|offline`) ?? { e, code: 'offline' });
    else if (e.type === 'bus-silent' && e.bus) raised.set(`${e.gatewayId}/${e.bus}|bus-silent`, raised.get(`${e.gatewayId}/${e.bus}|bus-silent`) ?? { e, code: 'bus-silent' });
  }
  let trueFlags = 0;
  for (const [k, { e, code }] of raised) {
    if (code === 'bus-silent') {
      const bus = `${e.gatewayId}/${e.bus}`;
      const cut = input.truth.meters.some((m) => m.faults.some((f) => f.kind === 'bus-cut' && f.bus === bus));
      if (cut) trueFlags++;
      else misses.push({ figure: 'precision', what: k, reason: `bus-silent at ${new Date(e.at).toISOString()} on a bus without a bus-cut` });
      continue;
    }
    const m = meters.get(e.meterId!);
    if (!m) {
      misses.push({ figure: 'precision', what: k, reason: 'raised for a meter the fleet does not have' });
      continue;
    }
    const notExpected = m.faults.some((f) => (f.notExpected as string[]).includes(code));
    const expected = m.faults.some((f) => (f.expected as string[]).includes(code));
    const consequence =
      (CONSEQUENCES[code] ?? []).some((kind) => m.faults.some((f) => f.kind === kind)) ||
      (code === 'offline' && m.replaces !== undefined && e.at < Date.parse(m.installedAt) + DAY);
    if (!notExpected && (expected || consequence)) trueFlags++;
    else misses.push({ figure: 'precision', what: k, reason: `${notExpected ? 'a code this meter\'s faults must not raise' : 'no fault explains it'} (faults: ${m.faults.map((f) => f.kind).join(', ') || 'none'}; at ${new Date(e.at).toISOString()})` });
  }
  counts.flags = raised.size;

  // --- offline before reading day --------------------------------------------------------------------
  let offlineDue = 0;
  let offlineOk = 0;
  for (const book of input.books) {
    const inBook = new Set((rowsByBook.get(book.id) ?? []).map((r) => r.meterId).filter((x): x is string => x !== null));
    const readingDay = new Date(book.readingDayStart + 7 * HOUR).toISOString().slice(0, 10);
    for (const id of inBook) {
      const m = meters.get(id);
      if (!m) continue;
      const permanent = m.faults.filter((f) => (f.kind === 'silent' || f.kind === 'burnt') && activeIn(f, book.periodEnd, book.periodEnd));
      if (permanent.length === 0) continue;
      offlineDue++;
      const inReport = input.preCutoff.some((r) => r.date < readingDay && r.meterIds.includes(id));
      const inEvent = (eventsOfMeter.get(id) ?? []).some((e) => e.at < book.readingDayStart && (e.type === 'meter-offline' || (e.type === 'bus-silent' && e.metersAffected?.includes(id))));
      if (inReport || inEvent) offlineOk++;
      else misses.push({ figure: 'offline-before-reading-day', what: `${book.code} ${periodLabel(book)} ${id} ${permanent.map((f) => f.kind).join('+')}`, reason: `not in a pre-cutoff report nor a meter-offline event before ${readingDay}` });
    }
  }

  // --- loss / duplication on the wire ----------------------------------------------------------------
  const ids = new Map<string, number>();
  for (const r of input.stream.reads) ids.set(r.readId, (ids.get(r.readId) ?? 0) + 1);
  for (const [id, n] of ids) {
    if (n === 1) continue;
    lossProblems++;
    misses.push({ figure: 'loss-duplication', what: `read ${id}`, reason: `stored ${n} times` });
  }
  const seqs = new Map<string, number[]>();
  for (const r of input.stream.reads) push(seqs, `${r.gatewayId}|${r.epoch}`, r.seq);
  for (const p of input.stream.positions) {
    const list = (seqs.get(`${p.gatewayId}|${p.epoch}`) ?? []).sort((a, b) => a - b);
    const what = `gateway ${p.gatewayId} epoch ${p.epoch}`;
    if (list.length === 0) {
      if (p.lastAcceptedSeq > 0) {
        lossProblems++;
        misses.push({ figure: 'loss-duplication', what, reason: `accepted up to ${p.lastAcceptedSeq} but no read stored` });
      }
      continue;
    }
    const gaps: string[] = [];
    for (let i = 1; i < list.length; i++) if (list[i]! !== list[i - 1]! + 1) gaps.push(`${list[i - 1]}→${list[i]}`);
    if (gaps.length > 0) {
      lossProblems++;
      misses.push({ figure: 'loss-duplication', what, reason: `read sequence has gaps or repeats: ${gaps.slice(0, 5).join(', ')}${gaps.length > 5 ? ' …' : ''}` });
    }
    if (list[list.length - 1] !== p.lastAcceptedSeq) {
      lossProblems++;
      misses.push({ figure: 'loss-duplication', what, reason: `last stored seq ${list[list.length - 1]} ≠ accepted position ${p.lastAcceptedSeq}` });
    }
  }
  for (const o of input.stream.outboxLeft) {
    if (o.pending === 0) continue;
    lossProblems++;
    misses.push({ figure: 'loss-duplication', what: `gateway ${o.gatewayId}`, reason: `${o.pending} item(s) never left the outbox` });
  }

  return {
    coverage: ratio(covered, ddk),
    exactIndex: ratio(readExact, readTotal),
    recall: ratio(found, faults),
    precision: ratio(trueFlags, raised.size),
    offlineBeforeReadingDay: ratio(offlineOk, offlineDue),
    estimateViolations,
    lossDuplicationProblems: lossProblems,
    counts,
    misses,
  };
}

const pct = (r: Ratio): string => `${(r.rate * 100).toFixed(2)} % (${r.hit}/${r.total})`;

/** A short table for the test's output, and the first misses of each figure. */
export function formatScore(s: ScoreResult, maxMissesPerFigure = 15): string {
  const lines = [
    `coverage                    ${pct(s.coverage)}`,
    `exact index (read)          ${pct(s.exactIndex)}`,
    `recall                      ${pct(s.recall)}`,
    `precision                   ${pct(s.precision)}`,
    `offline before reading day  ${pct(s.offlineBeforeReadingDay)}`,
    `estimate violations         ${s.estimateViolations}`,
    `loss/duplication problems   ${s.lossDuplicationProblems}`,
    `rows ${s.counts.rows}: read ${s.counts.read}, estimated ${s.counts.estimated}, field-read ${s.counts.fieldRead}, needs-review ${s.counts.needsReview}; faults ${s.counts.faults}; flags ${s.counts.flags}; reads stored ${s.counts.reads}`,
  ];
  const byFigure = new Map<string, Miss[]>();
  for (const m of s.misses) push(byFigure, m.figure, m);
  for (const [figure, list] of byFigure) {
    lines.push(`misses: ${figure} (${list.length})`);
    for (const m of list.slice(0, maxMissesPerFigure)) lines.push(`  ${m.what}: ${m.reason}`);
    if (list.length > maxMissesPerFigure) lines.push(`  … ${list.length - maxMissesPerFigure} more`);
  }
  return lines.join('\n');
}
