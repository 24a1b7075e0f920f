// Sessions: a table filtered by the shared range, repository and model (the host filters), sortable;
// a row opens the session timeline (timeline.ts).
import type { SessionRowDto } from '../../src/protocol/dto';
import { h } from '../dom';
import { formatUsd } from '../../src/core/format/numbers';
import { shortModel } from '../format';
import { SESSION_COLUMNS, serverSortFor, sessionSourceBadge, sessionTitle, sessionTotalsRow } from '../model';
import { request } from '../host';
import type { ViewContext } from './context';
import { sortableTable } from './sortable';

/** Rows asked for; sorted by the store on the active column when it can, so the top N is right. */
export const SESSIONS_LIMIT = 200;
const ALL = '*';

// Options of the filters: every repository and model seen in answers so far, so that choosing one
// does not make the others disappear from the list.
const knownRepos = new Set<string>();
const knownModels = new Set<string>();

function filterSelect(label: string, testId: string, current: string | null, options: string[], text: (v: string) => string, onChange: (v: string | null) => void): HTMLElement {
  const sel = h(
    'vscode-single-select',
    { 'data-testid': testId, label },
    h('vscode-option', { value: ALL, selected: current === null }, `All ${label === 'Repository' ? 'repositories' : 'models'}`),
    ...options.map((o) => h('vscode-option', { value: o, selected: current === o }, text(o))),
  );
  sel.addEventListener('change', () => {
    const v = (sel as unknown as { value: string }).value;
    onChange(v === ALL ? null : v);
  });
  return h('label', { class: 'filter' }, h('span', { class: 'filter-label' }, label), sel);
}

/** A small badge for a session estimated from its transcript; the tooltip names the price sources. */
export function sourceBadge(r: SessionRowDto): HTMLElement | null {
  const b = sessionSourceBadge(r);
  return b ? h('span', { class: 'src-badge', title: b.tooltip, 'data-testid': 'source-badge' }, b.text) : null;
}

const HEADLINE_FROM: Record<NonNullable<SessionRowDto['headline']>['from'], string> = {
  title: 'Title Claude Code gave the session',
  prompt: 'First prompt (title not known)',
  file: 'First file touched (no title or captured prompt)',
  tool: 'First tool used (no title, prompt or file)',
};

/** What the session was about (its headline) over its repository and branch; cost with the source badge. */
function sessionCell(c: (typeof SESSION_COLUMNS)[number], r: SessionRowDto): Node | null {
  if (c.key === 'repo') {
    const where = [r.repo ?? 'no repository', r.branch].filter(Boolean).join(' · ');
    return h(
      'span',
      { class: 'session-cell' },
      r.headline
        ? h('span', { class: `session-headline from-${r.headline.from}`, title: `${HEADLINE_FROM[r.headline.from]}: ${r.headline.text}`, 'data-testid': 'session-title' }, r.headline.text)
        : null,
      h('span', { class: r.headline ? 'session-where muted' : 'session-where' }, where),
    );
  }
  if (c.key === 'cost') {
    const badge = sourceBadge(r);
    return badge ? h('span', { class: 'cost-cell' }, badge, ' ', c.text(r)) : null;
  }
  return null;
}

export async function renderSessions(root: HTMLElement, ctx: ViewContext, openSession: (id: string) => void): Promise<void> {
  const st = ctx.state.sessions;
  const dto = await request('sessions/list', {
    range: { key: ctx.range },
    limit: SESSIONS_LIMIT,
    sort: serverSortFor(st.sortKey),
    ...(st.repo !== null ? { repo: st.repo } : {}),
    ...(st.model !== null ? { model: st.model } : {}),
  });
  if (!ctx.isCurrent()) return;
  for (const s of dto.sessions) {
    if (s.repo) knownRepos.add(s.repo);
    for (const m of s.models) knownModels.add(m);
  }
  const set = (patch: Partial<typeof st>) => {
    Object.assign(st, patch);
    ctx.save();
    ctx.rerender();
  };
  const filtered = st.repo !== null || st.model !== null;
  root.append(
    h('h2', { class: 'visually-hidden' }, 'Sessions'),
    h(
      'div',
      { class: 'filters toolbar', role: 'group', 'aria-label': 'Filter sessions' },
      filterSelect('Repository', 'filter-repo', st.repo, [...knownRepos].sort(), (v) => v, (v) => set({ repo: v })),
      filterSelect('Model', 'filter-model', st.model, [...knownModels].sort(), shortModel, (v) => set({ model: v })),
      filtered ? h('button', { class: 'link', type: 'button', 'data-testid': 'filter-clear', onclick: () => set({ repo: null, model: null }) }, 'Clear filters') : null,
      h('span', { class: 'muted count', 'data-testid': 'sessions-count' }, dto.total > dto.sessions.length ? `${dto.sessions.length} of ${dto.total} sessions` : `${dto.total} session${dto.total === 1 ? '' : 's'}`),
    ),
    sortableTable<SessionRowDto>({
      caption: 'Sessions: click a row, or press Enter on it, to open its timeline',
      // An older leader window sends no totals: no totals row then.
      foot: dto.totals ? sessionTotalsRow(dto) : undefined,
      testId: 'sessions-table',
      columns: SESSION_COLUMNS,
      rows: dto.sessions,
      sortKey: st.sortKey,
      sortDir: st.sortDir,
      onSort: (k, d) => set({ sortKey: k, sortDir: d }),
      onActivate: (r) => openSession(r.sessionId),
      cell: sessionCell,
      rowLabel: (r) => `${r.headline ? `${r.headline.text}, ` : ''}${sessionTitle(r)}, ${formatUsd(r.costUsd)}${r.source === 'otlp' ? '' : `, ${sessionSourceBadge(r)!.tooltip}`}. Opens the timeline.`,
    }),
  );
}
