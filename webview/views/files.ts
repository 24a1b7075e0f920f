// Files edited: a click posts openFile; the host opens it (workspace-relative when inside one) or says
// it is missing. Files that no longer exist are marked.
import type { DashboardFileDto } from '../../src/protocol/messages';
import { h } from '../dom';
import { FILE_COLUMNS } from '../model';
import { openFile, request } from '../host';
import type { ViewContext } from './context';
import { sortableTable } from './sortable';

/** Rows asked for: enough for a month of heavy use; the caption says when more exist. */
export const FILES_LIMIT = 500;

let sortKey = 'last';
let sortDir: 'asc' | 'desc' = 'desc';

export async function renderFiles(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const dto = await request('files/list', { range: { key: ctx.range }, limit: FILES_LIMIT });
  if (!ctx.isCurrent()) return;
  const cell = (c: (typeof FILE_COLUMNS)[number], f: DashboardFileDto): Node | null => {
    if (c.key !== 'path') return null;
    const missing = f.exists === false;
    return h(
      'span',
      { class: 'file-cell' },
      h('button', { class: 'link', type: 'button', title: f.path, 'data-path': f.path, 'aria-label': `Open ${f.displayPath}${missing ? ' (missing)' : ''}`, onclick: () => openFile(f.path) }, f.displayPath),
      missing ? h('vscode-badge', { class: 'missing', 'data-testid': 'missing' }, 'missing') : null,
    );
  };
  root.append(
    h('h2', { class: 'visually-hidden' }, 'Files edited'),
    sortableTable({
      caption: `Files edited (${dto.files.length}${dto.files.length >= FILES_LIMIT ? '+' : ''})`,
      testId: 'files-table',
      columns: FILE_COLUMNS,
      rows: dto.files,
      sortKey,
      sortDir,
      onSort: (k, d) => {
        sortKey = k;
        sortDir = d;
        ctx.rerender();
      },
      cell,
      rowClass: (f) => (f.exists === false ? 'is-missing' : null),
    }),
  );
}
