// The rows panel under a book's row: every row of the book (GET /api/books/:id) in route order, with its
// state and where its new index came from. The progress bar says HOW MANY points are missing or
// estimated; an operator sending a team out needs WHICH ones, in the order the team walks the route.
//
// A book holds ~5 600 rows. Building them is cheap (createElement and textContent, one DocumentFragment,
// each <tr> built once per language and only when first shown); laying out a 5 600-row table is not: a
// second or more in Chromium, again at every redraw of the books list. So the rows go in <tbody> chunks
// the style sheet lays out as grids with `content-visibility: auto`: only the chunks in view are laid
// out, and the columns line up across chunks because every row shares one grid template. The "not read
// only" filter refills the chunks from the <tr>s already built, without rebuilding the panel.

import { api } from './api.js';
import { h } from './dom.js';
import { currentLang, formatTime, t, tOr } from './i18n.js';
import { errorLine } from './section.js';

/** The states an operator has to act on: everything but `read` (and THAO rows, which are not counted). */
const NOT_READ = new Set(['missing', 'estimated', 'field-read', 'needs-review']);

/** Above this many rows the panel opens filtered: on a full book the operator is looking for what is missing. */
const FILTER_BY_DEFAULT_ABOVE = 50;

/** Rows per <tbody> chunk: small enough that the chunks in view are quick to lay out, few enough chunks to manage. */
const CHUNK_ROWS = 200;

/** MAX_ESTIMATES_IN_A_ROW of src/aggregator/rules/estimate.ts: the page cannot import server code. */
const MAX_ESTIMATES = 2;

/** The books section's label of each progress (the same words as the progress bar's figures). */
const PROGRESS_LABEL = { read: 'books.read', estimated: 'books.estimated', 'field-read': 'books.fieldRead', 'needs-review': 'books.needsReview', missing: 'books.missing' };

const COLUMNS = [
  ['route', 'bookRows.route'],
  ['customer', 'bookRows.customer'],
  ['point', 'common.point'],
  ['bcs', 'bookRows.bcs'],
  ['serial', 'bookRows.serial'],
  ['old', 'bookRows.oldIndex'],
  ['new', 'bookRows.newIndex'],
  ['consumption', 'bookRows.consumption'],
  ['state', 'common.state'],
  ['source', 'bookRows.source'],
  ['flags', 'books.openFlags'],
];
const NUMERIC = new Set(['route', 'old', 'new', 'consumption', 'flags']);

/**
 * Loads the book's rows and returns the panel for books.js's `panels` (a function drawing it, `kind`
 * 'rows'). A failed load is a panel showing the API's message, like the exports list.
 */
export async function rowsPanel(book) {
  let answer;
  let failure;
  try {
    answer = await api('GET', `/api/books/${book.id}`);
  } catch (e) {
    failure = e;
  }
  const panel = failure !== undefined ? () => h('div', { class: 'book-rows' }, errorLine(failure)) : rowsView(book, answer.rows ?? [], Date.now());
  panel.kind = 'rows';
  return panel;
}

/**
 * The panel over loaded rows. The books section redraws its panels on every draw (a reload after a flag
 * decision, a language switch): the panel element is kept and handed back as long as the language is the
 * same, so a redraw of the books list does not rebuild thousands of rows.
 */
function rowsView(book, rows, loadedAt) {
  const view = { notReadOnly: rows.length > FILTER_BY_DEFAULT_ABOVE, lang: undefined, el: undefined };
  return () => {
    if (view.el === undefined || view.lang !== currentLang()) {
      view.lang = currentLang();
      view.el = buildPanel(book, rows, loadedAt, view);
    }
    return view.el;
  };
}

function buildPanel(book, rows, loadedAt, view) {
  if (rows.length === 0) return h('div', { class: 'book-rows' }, h('p', { class: 'empty' }, t('bookRows.empty')));
  const trs = new Array(rows.length);
  const trOf = (i) => (trs[i] ??= rowElement(rows[i]));
  const thead = h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, COLUMNS.map(([column, key]) => h('th', { scope: 'col', role: 'columnheader', class: NUMERIC.has(column) ? `${column} num` : column }, t(key)))));
  // Roles spelled out: the style sheet's grid display may hide the table's own semantics from screen readers.
  const table = h('table', { class: 'list book-rows-table', role: 'table' }, thead);
  const shown = h('span', { class: 'shown muted' });
  const allRead = h('p', { class: 'empty all-read', hidden: true }, t('bookRows.allRead'));

  const render = () => {
    const fragment = document.createDocumentFragment();
    let chunk;
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      if (view.notReadOnly && !NOT_READ.has(rows[i].progress)) continue;
      if (n % CHUNK_ROWS === 0) fragment.append((chunk = h('tbody', { role: 'rowgroup' })));
      chunk.append(trOf(i));
      n++;
    }
    table.replaceChildren(thead, fragment);
    shown.textContent = t('bookRows.shown', { shown: n, total: rows.length });
    allRead.hidden = !(view.notReadOnly && n === 0);
  };

  const filter = h('input', {
    type: 'checkbox',
    class: 'not-read-only',
    checked: view.notReadOnly,
    onchange: (ev) => {
      // Kept in the view: a redraw of the books list keeps the operator's choice.
      view.notReadOnly = ev.currentTarget.checked;
      render();
    },
  });
  render();
  return h(
    'div',
    { class: 'book-rows' },
    h('div', { class: 'book-rows-head' }, h('strong', {}, t('bookRows.title', { code: book.code })), h('label', {}, filter, h('span', {}, t('bookRows.notReadOnly'))), shown, h('span', { class: 'muted' }, `${t('common.updated')} ${formatTime(loadedAt)}`)),
    h('div', { class: 'book-rows-scroll' }, table),
    allRead,
  );
}

/** One row's <tr>: createElement and textContent only, since it runs thousands of times. */
function rowElement(r) {
  const tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  const state = r.progress ?? 'none';
  tr.className = `row-${state}`;
  tr.dataset.point = r.meteringPoint;
  tr.dataset.bcs = r.bcs;
  tr.dataset.state = state;
  const closing = r.closing ?? null;
  const openFlags = (r.flags ?? []).filter((f) => f.state === 'open');

  cell(tr, 'route', text(r.routePosition));
  const customer = cell(tr, 'customer', text(r.customerCode));
  if (r.customerName) {
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = r.customerName;
    customer.append(' ', name);
  }
  cell(tr, 'point', r.meteringPoint);
  cell(tr, 'bcs', r.bcs);
  cell(tr, 'serial', text(r.meterSerial));
  cell(tr, 'old', text(r.oldIndex));
  cell(tr, 'new', text(closing?.newIndex));
  cell(tr, 'consumption', text(closing?.consumption));
  const badge = document.createElement('span');
  badge.className = `badge row-state ${state}`;
  badge.textContent = stateLabel(r);
  cell(tr, 'state').append(badge);
  cell(tr, 'source', sourceLabel(closing));
  const flags = cell(tr, 'flags', openFlags.length === 0 ? '' : String(openFlags.length));
  // The codes on hover: whole-point flags (bcs '*') count on each of the point's rows, as the API lists them.
  if (openFlags.length > 0) flags.title = openFlags.map((f) => (f.blocking ? `${f.code} (${t('flags.blocking')})` : f.code)).join('\n');
  return tr;
}

function cell(tr, column, content = '') {
  const td = document.createElement('td');
  td.className = NUMERIC.has(column) ? `${column} num` : column;
  td.setAttribute('role', 'cell');
  td.textContent = content;
  tr.append(td);
  return td;
}

function text(value) {
  return value === null || value === undefined ? '' : String(value);
}

function stateLabel(r) {
  if (r.progress === null || r.progress === undefined) return t('bookRows.notPeriodic', { type: r.readingType ?? '' });
  if (r.progress === 'estimated' && r.closing?.estimateNumber) return t('bookRows.estimatedN', { n: r.closing.estimateNumber, max: MAX_ESTIMATES });
  return PROGRESS_LABEL[r.progress] === undefined ? String(r.progress) : t(PROGRESS_LABEL[r.progress]);
}

/**
 * Where the new index came from. Rows without a source (field-read, needs-review) show the close's reason
 * instead: it is what the operator has to act on. An open book's rows have no closing yet: nothing.
 */
function sourceLabel(closing) {
  if (closing === null || closing === undefined) return '';
  const detail = closing.detail ?? {};
  switch (closing.source) {
    case 'billing-snapshot':
      return t('bookRows.source.billing-snapshot');
    case 'nearest-read':
      return t('bookRows.source.nearest-read', { gap: formatGap(closing.gapMs ?? detail.gapMs ?? 0) });
    case 'estimate':
      return detail.kwhPerDay === undefined ? t('bookRows.source.estimate') : `${t('bookRows.source.estimate')} (${t('bookRows.perDay', { kwh: detail.kwhPerDay })})`;
    case null:
    case undefined:
      return detail.reason?.[currentLang()] ?? '';
    default:
      return tOr(`bookRows.source.${closing.source}`, closing.source);
  }
}

/** The read's meter time minus the period end, signed: "+1 h 05 min" is after the period end, "−…" before. */
function formatGap(ms) {
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.abs(ms);
  if (abs < 60_000) return t('bookRows.gapSeconds', { sign, s: Math.round(abs / 1000) });
  const minutes = Math.round(abs / 60_000);
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return t('bookRows.gapMinutes', { sign, m: minutes });
  return t('bookRows.gap', { sign, h: hours, m: String(minutes % 60).padStart(2, '0') });
}
