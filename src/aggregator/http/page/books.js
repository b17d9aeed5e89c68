// Each book's progress towards its cutoff (GET /api/books), its rows in route order with each one's state
// (GET /api/books/:id, drawn by book-rows.js: which points are missing or estimated, not just how many),
// its exports (GET /api/books/:id/exports, files at /api/exports/:id/xml|csv), closing (POST
// /api/books/:id/close) and exporting (POST /api/books/:id/export). An export refused for open blocking
// flags (409 API_EXPORT_BLOCKED) can be repeated with an override, which needs a note. One panel at a time
// opens under a book's row (rows, exports, override form, close confirmation).

import { ApiFailure, api, download } from './api.js';
import { rowsPanel } from './book-rows.js';
import { h, table } from './dom.js';
import { formatTime, t, tOr } from './i18n.js';
import { act, by, errorLine, noteForm, notify, section } from './section.js';

const PARTS = ['read', 'estimated', 'fieldRead', 'needsReview', 'missing'];

function progressCell(p) {
  const rows = p?.rows ?? 0;
  const bar = h('div', { class: 'bar', role: 'img', 'aria-label': t('books.progress') });
  for (const part of PARTS) {
    const n = p?.[part] ?? 0;
    if (rows === 0 || n === 0) continue;
    const seg = h('span', { class: `seg ${part}`, title: `${t(`books.${part}`)}: ${n}` });
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    seg.style.width = `${(100 * n) / rows}%`;
    bar.append(seg);
  }
  const figures = h(
    'dl',
    { class: 'figures' },
    // flatMap: h() flattens its children one level only, and each figure is a <dt>/<dd> pair.
    PARTS.flatMap((part) => [h('dt', { class: part }, t(`books.${part}`)), h('dd', { dataset: { part } }, String(p?.[part] ?? 0))]),
  );
  return h('td', { class: 'progress' }, bar, figures, h('span', { class: 'muted' }, t('books.rows', { n: rows })));
}

/** `onChanged`: called after a close or an export (the flags section reloads: a close raises flags). */
export function booksSection(onChanged) {
  /** Per book id: the open panel under its row (rows, exports list, export override, close confirmation). */
  const panels = new Map();

  /** Book id → code, for the flags section. */
  const codes = new Map();

  const s = section('books', {
    async load() {
      const { books } = await api('GET', '/api/books');
      codes.clear();
      for (const b of books) codes.set(b.id, b.code);
      return books;
    },
    draw(body, books) {
      if (books.length === 0) return void body.append(h('p', { class: 'empty' }, t('books.empty')));
      const rows = [];
      for (const b of books) {
        rows.push(bookRow(b));
        const panel = panels.get(b.id);
        if (panel !== undefined) rows.push(h('tr', { class: 'panel-row', dataset: { panelFor: b.id } }, h('td', { colspan: '7' }, panel(b))));
      }
      body.append(
        table([t('common.book'), t('books.period'), t('common.state'), t('books.cutoff'), t('books.progress'), t('books.openFlags'), t('common.actions')], rows),
      );
    },
  });

  function open(bookId, panel) {
    if (panel === undefined) panels.delete(bookId);
    else panels.set(bookId, panel);
    s.draw();
  }

  function bookRow(b) {
    const actions = h('td', { class: 'actions' });
    if (b.state === 'open') actions.append(h('button', { type: 'button', class: 'close', onclick: () => open(b.id, closePanel) }, t('books.close')));
    if (b.state !== 'open') actions.append(h('button', { type: 'button', class: 'export', onclick: (ev) => act(ev.currentTarget, () => exportBook(b)) }, t('books.export')));
    // Toggles the rows; loaded anew each time it opens (the rows change as reads come in and flags are decided).
    actions.append(
      h('button', { type: 'button', class: 'rows', onclick: (ev) => (panels.get(b.id)?.kind === 'rows' ? open(b.id) : act(ev.currentTarget, async () => open(b.id, await rowsPanel(b)))) }, t('books.rowsButton')),
    );
    // Toggles the exports list; with another panel open (a refused export's override form) it shows the list.
    actions.append(h('button', { type: 'button', class: 'exports', onclick: () => (panels.get(b.id)?.kind === 'exports' ? open(b.id) : showExports(b)) }, t('books.exports')));
    return h(
      'tr',
      { dataset: { book: b.id, code: b.code, state: b.state } },
      h('td', {}, b.code),
      h('td', {}, t('books.periodText', { month: b.month, year: b.year, sub: b.subPeriod })),
      h('td', {}, h('span', { class: `badge ${b.state}` }, tOr(`books.state.${b.state}`, b.state))),
      h('td', { class: 'cutoff' }, formatTime(b.cutoffAt)),
      progressCell(b.progress),
      h('td', { class: 'num' }, String(b.progress?.openFlags ?? b.openFlags ?? 0), b.progress?.openBlockingFlags ? h('span', { class: 'badge blocking' }, `${b.progress.openBlockingFlags} ${t('flags.blocking')}`) : null),
      actions,
    );
  }

  function closePanel(b) {
    return h(
      'div',
      { class: 'confirm-close' },
      h('span', {}, t('books.closeConfirm', { code: b.code })),
      h(
        'button',
        {
          type: 'button',
          class: 'confirm',
          onclick: (ev) =>
            act(ev.currentTarget, async () => {
              await api('POST', `/api/books/${b.id}/close`, {});
              notify(t('books.closed', { code: b.code }));
              panels.delete(b.id);
              await Promise.all([s.reload(), onChanged?.()]);
            }),
        },
        t('books.close'),
      ),
      h('button', { type: 'button', onclick: () => open(b.id) }, t('common.cancel')),
    );
  }

  async function exportBook(b, override) {
    try {
      const answer = await api('POST', `/api/books/${b.id}/export`, { ...(override ?? {}), ...by() });
      notify(t('books.exported', { code: b.code, version: answer.export?.version ?? answer.version ?? '' }));
      panels.delete(b.id);
      await Promise.all([s.reload(), onChanged?.()]);
    } catch (e) {
      if (!(e instanceof ApiFailure && e.code === 'API_EXPORT_BLOCKED') || override !== undefined) throw e;
      open(b.id, () =>
        h(
          'div',
          { class: 'blocked' },
          errorLine(e),
          h('p', {}, t('books.blocked')),
          noteForm({
            label: t('common.note'),
            submitLabel: t('books.override'),
            onSubmit: (note) => exportBook(b, { override: true, note }),
            onCancel: () => open(b.id),
          }),
        ),
      );
    }
  }

  async function showExports(b) {
    let exports;
    let failure;
    try {
      ({ exports } = await api('GET', `/api/books/${b.id}/exports`));
    } catch (e) {
      failure = e;
    }
    // Built at each draw, not once: a language switch redraws the panel in the new language.
    const content = () => (failure !== undefined ? errorLine(failure) : exports.length === 0 ? h('p', { class: 'empty' }, t('books.exportsEmpty')) : exportsTable(b, exports));
    const panel = () => h('div', { class: 'exports' }, content());
    panel.kind = 'exports';
    open(b.id, panel);
  }

  function exportsTable(b, exports) {
    const file = (x, kind) =>
      h(
        'button',
        { type: 'button', class: `download ${kind}`, onclick: (ev) => act(ev.currentTarget, () => download(`/api/exports/${x.id}/${kind}`, `${b.code}-${b.year}-${b.month}-${b.subPeriod}-v${x.version}.${kind}`)) },
        t('books.download', { kind: kind.toUpperCase() }),
      );
    return table(
      [t('books.version'), t('books.createdAt'), t('books.rows', { n: '' }).trim(), 'SHA-256', ''],
      exports.map((x) =>
        h(
          'tr',
          { dataset: { export: x.id } },
          h('td', { class: 'num' }, String(x.version)),
          h('td', {}, formatTime(x.createdAt)),
          h('td', { class: 'num' }, String(x.rows)),
          h('td', { class: 'hash', title: `XML ${x.xmlSha256}\nCSV ${x.csvSha256}` }, `${String(x.xmlSha256).slice(0, 12)}…`),
          h('td', {}, file(x, 'xml'), file(x, 'csv')),
        ),
      ),
    );
  }

  s.codes = () => codes;
  return s;
}
