/// <reference lib="dom" />
// Browser-side fake of the VS Code webview host, bundled by the test into an inline script that runs
// before the dashboard bundle. Mocked because a real VS Code cannot run inside this test (the e2e
// suite covers the real host); it speaks the real protocol of src/protocol/messages.ts and answers from
// test/fixtures/dto/*.json. Every message the page posts is recorded in window.__posted.
import type { Fixtures } from '../support/dtoFixtures';
import type { DashboardFileDto, HostToWebview, ParamsOf, RequestMethod, ResultOf, WebviewToHost } from '../../src/protocol/messages';

export type { Fixtures };

export interface FakeOptions {
  fixtures: Fixtures;
  empty: boolean;
  workspace: string;
  /** Files that "no longer exist on disk". */
  missing: string[];
  /** The status carries a forwarder that is failing with a backlog and drops (`?forward=1`). */
  forward?: boolean;
}

const FAILING_FORWARD = {
  endpoint: 'https://collector.example.com:4318',
  content: 'without-content',
  state: 'failing',
  lastError: 'HTTP 503: upstream overloaded',
  lastErrorAt: '2026-11-21T13:58:00.000Z',
  backlogRequests: 42,
  backlogBytes: 812_000,
  sentRequests: 1_200,
  rejectedRequests: 0,
  droppedRequests: 3,
  droppedBytes: 54_000,
  lastSentAt: '2026-11-21T13:40:00.000Z',
} as const;

type Handlers = { [M in RequestMethod]: (p: ParamsOf<M>) => ResultOf<M> };

export function installFakeHost(o: FakeOptions): void {
  const f = o.fixtures;
  const posted: WebviewToHost[] = [];
  const requests: string[] = [];
  const w = window as unknown as Record<string, unknown>;
  w.__posted = posted;
  w.__requests = requests;
  w.__cspViolations = [] as string[];
  document.addEventListener('securitypolicyviolation', (e) => (w.__cspViolations as string[]).push(`${e.violatedDirective} ${e.blockedURI}`));

  const handlers: Handlers = {
    'overview/get': (p) => ({
      summary: p.range.key === 'today' ? f.summaryToday : f.summary,
      spend: f.spend,
      burnRate: f.burnRate,
      costSeries: f.costSeries,
      acceptance: f.acceptance,
    }),
    'sessions/list': (p) => {
      let rows = f.sessions.sessions.filter((s) => (p.repo === undefined || s.repo === p.repo) && (p.model === undefined || s.models.includes(p.model)));
      const key = p.sort ?? 'start';
      const v = (s: (typeof rows)[number]) => (key === 'cost' ? s.costUsd : key === 'requests' ? s.requests : key === 'duration' ? s.durationMs : Date.parse(s.start));
      rows = [...rows].sort((a, b) => v(b) - v(a));
      return { range: f.sessions.range, total: rows.length, sessions: rows.slice(0, p.limit) };
    },
    'sessions/timeline': (p) => f.sessionTimelines[p.sessionId] ?? { sessionId: p.sessionId, found: false, session: null, prompts: [] },
    'files/list': (p) => ({
      range: f.filesEdited.range,
      files: f.filesEdited.files.slice(0, p.limit).map((x): DashboardFileDto => {
        const inside = x.path.startsWith(o.workspace + '/');
        return { ...x, displayPath: inside ? x.path.slice(o.workspace.length + 1) : x.path, workspaceFolder: inside ? 'acme-web' : null, exists: !o.missing.includes(x.path) };
      }),
    }),
    'acceptance/get': () => f.acceptance,
    'tools/get': () => ({ tools: f.toolStats, errors: f.apiErrors }),
    'status/get': () => ({
      ...(o.empty ? { ...f.status, lastEventAt: null, todayUsd: 0, sessionsToday: 0, requestsToday: 0, currentSession: null } : f.status),
      forward: o.forward ? FAILING_FORWARD : null,
    }),
    // Plan limits relative to the page's clock (a snapshot 3 minutes old; 5h at 86 %, weekly at 12 %).
    'limits/get': () => {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      if (o.empty) return { latest: null, accounts: [], currentBlock: null, recentBlocks: [] };
      const latest = {
        account: null, sessionId: 's1', model: 'Opus 4.5', firstSeen: iso(now - 600_000), lastSeen: iso(now - 180_000), ageMs: 180_000,
        fiveHour: { usedPercent: 86, resetsAt: iso(now + 7_200_000) }, sevenDay: { usedPercent: 12, resetsAt: iso(now + 400_000_000) },
      };
      const block = {
        start: iso(now - 3_600_000), end: iso(now + 14_400_000), firstActivity: iso(now - 3_500_000), lastActivity: iso(now - 60_000), active: true,
        requests: 42, costUsd: 3.5, tokens: { input: 1, output: 1, cacheRead: 1, cacheCreation: 1 }, burnUsdPerHour: 3.6, projectedCostUsd: 18.25,
      };
      return { latest, accounts: [latest], currentBlock: block, recentBlocks: [block] };
    },
  };

  const send = (m: HostToWebview) => setTimeout(() => window.dispatchEvent(new MessageEvent('message', { data: m })), 0);
  let ready = false;
  const STATE_KEY = 'fake-vscode-state';

  w.acquireVsCodeApi = () => ({
    postMessage(msg: WebviewToHost) {
      posted.push(msg);
      if (msg.type === 'ready') ready = true;
      if (msg.type !== 'request') return;
      requests.push(msg.method);
      const h = handlers[msg.method] as ((p: unknown) => unknown) | undefined;
      if (!h) return send({ type: 'response', id: msg.id, error: `unknown method ${String(msg.method)}` });
      try {
        // A structured clone, as postMessage would do: the page must not share objects with the host.
        send({ type: 'response', id: msg.id, result: structuredClone(h(msg.params)) });
      } catch (e) {
        send({ type: 'response', id: msg.id, error: String(e) });
      }
    },
    getState: () => {
      const s = sessionStorage.getItem(STATE_KEY);
      return s ? JSON.parse(s) : undefined;
    },
    setState: (s: unknown) => {
      sessionStorage.setItem(STATE_KEY, JSON.stringify(s));
      return s;
    },
  });
  w.__fakeHost = {
    changed: () => ready && send({ type: 'changed', what: 'usage' }),
  };
}

/** Sets the --vscode-* variables on <html> (through the CSSOM, as VS Code does) and the body class. */
export function applyTheme(t: { bodyClass: string; vars: Record<string, string> }): void {
  const root = document.documentElement;
  for (let i = root.style.length - 1; i >= 0; i--) {
    const name = root.style[i];
    if (name.startsWith('--vscode-')) root.style.removeProperty(name);
  }
  for (const [k, v] of Object.entries(t.vars)) root.style.setProperty(k, v);
  document.body.className = t.bodyClass;
}
