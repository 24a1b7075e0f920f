// Dashboard webview entry: the shell (view tabs, shared range picker), state restore, refetch on
// "changed", theme re-reads. Views live in views/*.ts; DTO reshaping in model.ts (golden-tested).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import './styles.css';
import { RANGE_KEYS, type RangeKey } from '../src/protocol/dto';
import { DASHBOARD_VIEWS, type DashboardState, type DashboardView } from '../src/protocol/messages';
import { recolorAll } from './charts';
import { RANGE_TITLES } from './model';
import { clear, h } from './dom';
import { HostError, loadState, onChanged, request, saveState, sayReady } from './host';
import { onThemeChange, readPalette, type Palette } from './theme';
import { renderAcceptance } from './views/acceptance';
import type { ViewContext } from './views/context';
import { renderEmpty } from './views/empty';
import { renderFiles } from './views/files';
import { renderOverview } from './views/overview';
import { renderProductivity } from './views/productivity';
import { renderSessions } from './views/sessions';
import { renderTimeline } from './views/timeline';
import { renderTools } from './views/tools';

/**
 * Each view's tab label and renderer. A Record over DashboardView: a view added to DASHBOARD_VIEWS
 * without an entry here is a compile error (the old if/else chain fell through to the Tools view).
 */
const VIEWS: Record<DashboardView, { label: string; render(root: HTMLElement, ctx: ViewContext): Promise<void> }> = {
  overview: { label: 'Overview', render: renderOverview },
  productivity: { label: 'Productivity', render: renderProductivity },
  sessions: { label: 'Sessions', render: renderSessionsOrTimeline },
  files: { label: 'Files edited', render: renderFiles },
  acceptance: { label: 'Acceptance', render: renderAcceptance },
  tools: { label: 'Tools & errors', render: renderTools },
};

const state: DashboardState = loadState() ?? {
  version: 1,
  view: 'overview',
  range: '7d',
  sessions: { sortKey: 'start', sortDir: 'desc', repo: null, model: null },
  openSessionId: null,
};
// A state saved by another build may name a view this one does not have: show the overview then.
if (!DASHBOARD_VIEWS.includes(state.view)) {
  state.view = 'overview';
  state.openSessionId = null;
}

let palette: Palette = readPalette();
let generation = 0;
let disposers: (() => void)[] = [];
/** null until the first status answer; true while the store has no event at all. */
let empty: boolean | null = null;

const tabs = new Map<DashboardView, HTMLButtonElement>();
const nav = h('div', { role: 'tablist', 'aria-label': 'Dashboard views', class: 'tabs' });
const rangeSelect = h(
  'vscode-single-select',
  { id: 'range', label: 'Range', 'data-testid': 'range' },
  ...RANGE_KEYS.map((k) => h('vscode-option', { value: k, selected: k === state.range }, RANGE_TITLES[k])),
);
const main = h('main', { id: 'view', role: 'tabpanel', tabindex: -1 });
const live = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'live' });
const errorBox = h('div', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'error' });

for (const v of DASHBOARD_VIEWS) {
  const b = h('button', { role: 'tab', type: 'button', id: `tab-${v}`, 'aria-controls': 'view', 'data-view': v, class: 'tab' }, VIEWS[v].label);
  b.addEventListener('click', () => selectView(v, true));
  tabs.set(v, b);
  nav.append(b);
}
// Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
nav.addEventListener('keydown', (e) => {
  const i = DASHBOARD_VIEWS.indexOf(state.view);
  let next = -1;
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = (i + 1) % DASHBOARD_VIEWS.length;
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = (i - 1 + DASHBOARD_VIEWS.length) % DASHBOARD_VIEWS.length;
  else if (e.key === 'Home') next = 0;
  else if (e.key === 'End') next = DASHBOARD_VIEWS.length - 1;
  if (next < 0) return;
  e.preventDefault();
  selectView(DASHBOARD_VIEWS[next], true);
  tabs.get(DASHBOARD_VIEWS[next])!.focus();
});
rangeSelect.addEventListener('change', () => {
  const v = (rangeSelect as unknown as { value: string }).value as RangeKey;
  if (!RANGE_KEYS.includes(v) || v === state.range) return;
  state.range = v;
  saveState(state);
  void render();
});

document.body.append(
  h('header', { class: 'bar' }, nav, h('label', { class: 'range' }, h('span', { class: 'filter-label' }, 'Range'), rangeSelect)),
  errorBox,
  main,
  live,
);

/** The sessions tab shows the table, or the timeline of the session opened from it. */
function renderSessionsOrTimeline(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const openId = state.openSessionId;
  if (openId !== null) {
    return renderTimeline(root, ctx, openId, () => {
      state.openSessionId = null;
      saveState(state);
      void render();
    });
  }
  return renderSessions(root, ctx, (id) => {
    state.openSessionId = id;
    saveState(state);
    void render();
  });
}

function selectView(v: DashboardView, fromUser: boolean): void {
  if (fromUser && v === state.view && state.openSessionId === null) return;
  state.view = v;
  if (fromUser) state.openSessionId = null;
  saveState(state);
  void render();
}

function updateTabs(): void {
  for (const [v, b] of tabs) {
    const on = v === state.view && !empty;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on || (empty && v === 'overview') ? 0 : -1;
    b.disabled = empty === true;
  }
  main.setAttribute('aria-labelledby', `tab-${state.view}`);
}

async function render(): Promise<void> {
  const gen = ++generation;
  for (const d of disposers) d();
  disposers = [];
  const mounts: (() => void)[] = [];
  const ctx: ViewContext = {
    onMount: (fn) => mounts.push(fn),
    range: state.range,
    state,
    save: () => saveState(state),
    rerender: () => void render(),
    palette: () => palette,
    onDispose: (fn) => (gen === generation ? disposers.push(fn) : fn()),
    isCurrent: () => gen === generation,
  };
  main.setAttribute('aria-busy', 'true');
  const next = h('div', { class: `view view-${state.view}`, 'data-testid': `view-${state.openSessionId ? 'timeline' : state.view}` });
  try {
    const status = await request('status/get', {});
    if (gen !== generation) return;
    empty = status.lastEventAt === null;
    updateTabs();
    if (empty) renderEmpty(next);
    else await VIEWS[state.view].render(next, ctx);
    if (gen !== generation) return;
    errorBox.hidden = true;
    clear(main);
    main.append(next);
    for (const fn of mounts) fn();
    live.textContent = `${empty ? 'No data yet' : VIEWS[state.view].label} updated`;
  } catch (err) {
    if (gen !== generation) return;
    // Shown, not swallowed: the host's error text names the failing query.
    errorBox.hidden = false;
    errorBox.textContent = err instanceof HostError ? `Could not load ${err.method}: ${err.message}` : `Could not render: ${String(err)}`;
  } finally {
    if (gen === generation) main.setAttribute('aria-busy', 'false');
  }
}

onThemeChange(() => {
  palette = readPalette();
  recolorAll(palette);
  document.body.dataset.chartPalette = palette.series.join(' ');
});
onChanged(() => void render());

document.body.dataset.chartPalette = palette.series.join(' ');
updateTabs();
sayReady();
void render();
