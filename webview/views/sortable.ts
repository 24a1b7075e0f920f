// A sortable table of DTO rows: header buttons toggle the sort (aria-sort tells screen readers), rows
// can be activated with click, Enter or Space. Sorting reorders rows the host sent; it never computes.
import type { SortDirection } from '../../src/protocol/messages';
import { h } from '../dom';
import { sortRows, type Column } from '../model';

export interface SortableOptions<R> {
  caption: string;
  testId: string;
  columns: Column<R>[];
  rows: readonly R[];
  sortKey: string;
  sortDir: SortDirection;
  onSort(key: string, dir: SortDirection): void;
  /** Renders a cell specially (e.g. the file link); default is the column's text. */
  cell?(col: Column<R>, row: R): Node | null;
  onActivate?(row: R): void;
  rowLabel?(row: R): string;
  rowClass?(row: R): string | null;
  /** A totals row under the body, one cell per column (the first is its heading). */
  foot?: string[];
}

export function sortableTable<R>(o: SortableOptions<R>): HTMLElement {
  const col = o.columns.find((c) => c.key === o.sortKey) ?? o.columns[0];
  const rows = sortRows(o.rows, col, o.sortDir);
  const head = h(
    'tr',
    null,
    ...o.columns.map((c) => {
      const active = c.key === col.key;
      const next: SortDirection = active ? (o.sortDir === 'asc' ? 'desc' : 'asc') : c.align === 'end' || c.key === 'start' || c.key === 'last' ? 'desc' : 'asc';
      return h(
        'th',
        { scope: 'col', class: c.align === 'end' ? 'num' : null, 'aria-sort': active ? (o.sortDir === 'asc' ? 'ascending' : 'descending') : 'none' },
        h(
          'button',
          { class: 'sort', type: 'button', 'data-sort': c.key, 'aria-label': `${c.label}, sort ${next === 'asc' ? 'ascending' : 'descending'}`, onclick: () => o.onSort(c.key, next) },
          c.label,
          h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (o.sortDir === 'asc' ? ' ▲' : ' ▼') : ''),
        ),
      );
    }),
    o.onActivate ? h('td', { class: 'chev', 'aria-hidden': 'true' }) : null,
  );
  const body = h(
    'tbody',
    null,
    ...(rows.length
      ? rows.map((r) => {
          const tr = h(
            'tr',
            { class: [o.onActivate ? 'clickable' : '', o.rowClass?.(r) ?? ''].join(' ').trim() || null, tabindex: o.onActivate ? 0 : null, 'aria-label': o.rowLabel?.(r) },
            ...o.columns.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: c.align === 'end' ? 'num' : null, 'data-col': c.key }, o.cell?.(c, r) ?? c.text(r))),
            // The row opens something: a chevron says so (hidden from screen readers, the row's label says it).
            o.onActivate ? h('td', { class: 'chev', 'aria-hidden': 'true' }, '›') : null,
          );
          if (o.onActivate) {
            const act = o.onActivate;
            tr.addEventListener('click', (e) => {
              if ((e.target as Element).closest('button, a')) return;
              act(r);
            });
            tr.addEventListener('keydown', (e) => {
              if (e.target !== tr) return;
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                act(r);
              } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                const sib = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
                sib?.focus();
              }
            });
          }
          return tr;
        })
      : [h('tr', null, h('td', { colspan: o.columns.length + (o.onActivate ? 1 : 0), class: 'none' }, 'Nothing in this range.'))]),
  );
  const foot =
    o.foot && rows.length
      ? h(
          'tfoot',
          null,
          h(
            'tr',
            { class: 'totals', 'data-testid': `${o.testId}-totals` },
            ...o.columns.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: c.align === 'end' ? 'num' : null, 'data-col': c.key }, o.foot![i] ?? '')),
            o.onActivate ? h('td', { class: 'chev', 'aria-hidden': 'true' }) : null,
          ),
        )
      : null;
  return h('div', { class: 'table-wrap' }, h('table', { class: `data sortable${o.onActivate ? ' activatable' : ''}`, 'data-testid': o.testId }, h('caption', null, o.caption), h('thead', null, head), body, foot));
}
