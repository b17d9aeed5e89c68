// The books' open screening flags (GET /api/flags?state=open), to confirm or dismiss. The reason is
// shown in the page's language (each flag carries `reason: { vi, en }`).

import { api } from './api.js';
import { h, table } from './dom.js';
import { decideCell, evidenceList } from './decide.js';
import { currentLang, formatTime, t, tOr } from './i18n.js';
import { section } from './section.js';

function reasonOf(f) {
  const r = f.reason;
  if (r === null || typeof r !== 'object') return r ?? '—';
  return (currentLang() === 'en' ? (r.en ?? r.vi) : (r.vi ?? r.en)) ?? '—';
}

/** `bookCodes`: book id → code, from the books section when it has loaded (a flag names its book by id). */
export function flagsSection(onDecided, bookCodes = () => new Map()) {
  const s = section('flags', {
    load: async () => (await api('GET', '/api/flags?state=open')).flags,
    draw(body, flags) {
      if (flags.length === 0) return void body.append(h('p', { class: 'empty' }, t('flags.empty')));
      body.append(
        table(
          [t('common.book'), t('common.point'), 'BCS', t('common.reason'), t('common.severity'), t('common.evidence'), t('common.at'), t('common.actions')],
          flags.map((f) =>
            h(
              'tr',
              { dataset: { flag: f.id, point: f.meteringPoint ?? '' } },
              h('td', {}, bookCodes().get(f.bookId) ?? (f.bookId === undefined ? '—' : `#${f.bookId}`)),
              h('td', {}, f.meteringPoint ?? '—'),
              h('td', {}, f.bcs ?? '—'),
              h('td', {}, reasonOf(f), f.blocking ? h('span', { class: 'badge blocking' }, t('flags.blocking')) : null),
              h('td', {}, h('span', { class: `badge ${f.severity}` }, tOr(`severity.${f.severity}`, f.severity ?? '—'))),
              h('td', {}, evidenceList(f.evidence)),
              h('td', {}, formatTime(f.raisedAt)),
              decideCell(`/api/flags/${f.id}`, {
                noteLabel: t('flags.noteLabel'),
                name: `${f.meteringPoint ?? ''} ${f.code ?? ''}`.trim(),
                after: async () => {
                  await s.reload();
                  await onDecided?.(); // a book's open-flag count changes with it
                },
              }),
            ),
          ),
        ),
      );
    },
  });
  return s;
}
