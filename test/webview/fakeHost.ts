/// <reference lib="dom" />
// Browser-side fake of the VS Code webview host, bundled by the test into an inline script that runs
// before the dashboard bundle. Mocked because a real VS Code cannot run inside this test (the e2e
// suite covers the real host); it speaks the real protocol of src/protocol/messages.ts and passes every
// request to the test process (window.__ledgerRequest, a Playwright binding: not subject to the page's
// CSP), which answers with the real named queries over a LedgerDb of real Claude Code payloads
// (test/support/dashboardData.ts). Every message the page posts is recorded in window.__posted.
import type { HostToWebview, RequestMethod, WebviewToHost } from '../../src/protocol/messages';

export interface FakeOptions {
  /** Which store answers (test/support/dashboardData.ts DATASETS). */
  dataset: string;
  /** The store has no event at all: status says so (the empty state). */
  empty: boolean;
  /** The status carries a forwarder failing with a backlog and drops (`?forward=1`); the real store has none. */
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

type LedgerRequest = (dataset: string, method: RequestMethod, params: unknown) => Promise<unknown>;

export function installFakeHost(o: FakeOptions): void {
  const posted: WebviewToHost[] = [];
  const requests: string[] = [];
  const w = window as unknown as Record<string, unknown>;
  w.__posted = posted;
  w.__requests = requests;
  w.__cspViolations = [] as string[];
  document.addEventListener('securitypolicyviolation', (e) => (w.__cspViolations as string[]).push(`${e.violatedDirective} ${e.blockedURI}`));

  const answer = async (method: RequestMethod, params: unknown): Promise<unknown> => {
    if (method === 'status/get' && o.empty) {
      const s = (await (w.__ledgerRequest as LedgerRequest)(o.dataset, method, params)) as Record<string, unknown>;
      return { ...s, lastEventAt: null, todayUsd: 0, sessionsToday: 0, requestsToday: 0, currentSession: null };
    }
    // Plan limits come from Claude Code's status line, which the OTLP fixtures do not have: this one
    // answer is made here, relative to the page's clock (test/e2e/limits.test.ts drives the real one).
    if (method === 'limits/get') return limits(o.empty);
    if (method === 'status/get' && o.forward) return { ...((await (w.__ledgerRequest as LedgerRequest)(o.dataset, method, params)) as object), forward: FAILING_FORWARD };
    return (w.__ledgerRequest as LedgerRequest)(o.dataset, method, params);
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
      answer(msg.method, msg.params).then(
        // A structured clone, as postMessage would do: the page must not share objects with the host.
        (result) => send({ type: 'response', id: msg.id, result: structuredClone(result) }),
        (e) => send({ type: 'response', id: msg.id, error: String(e) }),
      );
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

/** Plan limits relative to the page's clock (a snapshot 3 minutes old; 5h at 86 %, weekly at 12 %). */
function limits(empty: boolean): unknown {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  if (empty) return { latest: null, accounts: [], currentBlock: null, recentBlocks: [] };
  const latest = {
    account: null, sessionId: 's1', model: 'Opus 4.5', firstSeen: iso(now - 600_000), lastSeen: iso(now - 180_000), ageMs: 180_000,
    fiveHour: { usedPercent: 86, resetsAt: iso(now + 7_200_000) }, sevenDay: { usedPercent: 12, resetsAt: iso(now + 400_000_000) },
  };
  const block = {
    start: iso(now - 3_600_000), end: iso(now + 14_400_000), firstActivity: iso(now - 3_500_000), lastActivity: iso(now - 60_000), active: true,
    requests: 42, costUsd: 3.5, tokens: { input: 1, output: 1, cacheRead: 1, cacheCreation: 1 }, burnUsdPerHour: 3.6, projectedCostUsd: 18.25,
  };
  return { latest, accounts: [latest], currentBlock: block, recentBlocks: [block] };
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
