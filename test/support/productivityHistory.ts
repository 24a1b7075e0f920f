// A generated history of Claude Code metrics for the productivity tests (unit, webview): many sessions
// over N days, each one OTLP/JSON metrics export cloned from a genuine Claude Code 2.1.197 export
// (test/fixtures/claude-code-git/k-git-commit-pr-json/metrics-001.json: same resource, scope, metric
// names, descriptions, units, DELTA temporality, attribute layout), with new session/user ids, times
// and values. Users log in with OAuth (so `user.email` is on every point, as Claude Code's docs say)
// and set OTEL_RESOURCE_ATTRIBUTES team.id / repo.name. Deterministic (seeded); returns its own truth,
// computed here from the values it wrote, never from the store.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './claudeRunner';
import { rng } from './compare';

const TEMPLATE = join(REPO_ROOT, 'test/fixtures/claude-code-git/k-git-commit-pr-json/metrics-001.json');

export const HISTORY_PEOPLE = [
  { email: 'ana@acme.dev', team: 'platform' },
  { email: 'ben@acme.dev', team: 'platform' },
  { email: 'chloe@acme.dev', team: 'payments' },
] as const;
export const HISTORY_REPOS = ['acme-web', 'billing-api', 'docs-site'] as const;

export interface HistoryTruth {
  sessions: number;
  activeSecondsUser: number;
  activeSecondsCli: number;
  commits: number;
  pullRequests: number;
  linesAdded: number;
  linesRemoved: number;
  editAccepts: number;
  editRejects: number;
  userEditAccepts: number;
  userEditRejects: number;
  costUsd: number;
  byRepo: Record<string, { sessions: number; commits: number; linesAdded: number }>;
  byTeam: Record<string, { sessions: number; commits: number }>;
  /** Local calendar days (YYYY-MM-DD) with at least one session. */
  days: string[];
}

export interface GeneratedHistory {
  /** OTLP/JSON bodies for POST /v1/metrics, oldest first. */
  bodies: Uint8Array[];
  truth: HistoryTruth;
}

type Kv = { key: string; value: Record<string, unknown> };
interface Point { attributes: Kv[]; startTimeUnixNano: string; timeUnixNano: string; asDouble: number }
interface Metric { name: string; description: string; unit: string; sum: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: Point[] } }


const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
const uuid = (r: () => number) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
const localDay = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/**
 * Sessions on the `days` local days before the one holding `endMs` (that day included when `endMs` is
 * past the sessions' hours): 1-3 on weekdays, none or one at weekends, between 09:00 and 18:00 local.
 */
export function generateProductivityHistory(o: { endMs: number; days: number; seed?: number }): GeneratedHistory {
  const template = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as { resourceMetrics: { resource: { attributes: Kv[] }; scopeMetrics: { scope: unknown; metrics: Metric[] }[] }[] };
  const byName = new Map(template.resourceMetrics[0].scopeMetrics[0].metrics.map((m) => [m.name, m]));
  const r = rng(o.seed ?? 7);
  const userIds = HISTORY_PEOPLE.map(() => hex(r, 64));
  const truth: HistoryTruth = {
    sessions: 0, activeSecondsUser: 0, activeSecondsCli: 0, commits: 0, pullRequests: 0, linesAdded: 0, linesRemoved: 0,
    editAccepts: 0, editRejects: 0, userEditAccepts: 0, userEditRejects: 0, costUsd: 0, byRepo: {}, byTeam: {}, days: [],
  };
  const bodies: Uint8Array[] = [];
  const end = new Date(o.endMs);
  for (let back = o.days - 1; back >= 0; back--) {
    const day = new Date(end.getFullYear(), end.getMonth(), end.getDate() - back, 0, 0, 0, 0);
    const weekend = day.getDay() === 0 || day.getDay() === 6;
    const n = weekend ? (r() < 0.3 ? 1 : 0) : 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) {
      const startMs = day.getTime() + (9 + Math.floor(r() * 8)) * 3_600_000 + Math.floor(r() * 60) * 60_000;
      const lengthMs = (10 + Math.floor(r() * 80)) * 60_000;
      const endMs = startMs + lengthMs;
      if (endMs > o.endMs) continue;
      const who = Math.floor(r() * HISTORY_PEOPLE.length);
      const person = HISTORY_PEOPLE[who];
      const repo = HISTORY_REPOS[Math.floor(r() * HISTORY_REPOS.length)];
      const v = {
        user: Math.round(lengthMs / 1000 * (0.3 + r() * 0.4)),
        cli: Math.round(lengthMs / 1000 * (0.2 + r() * 0.3)),
        added: 10 + Math.floor(r() * 300),
        removed: Math.floor(r() * 120),
        commits: Math.floor(r() * 4),
        prs: r() < 0.35 ? 1 : 0,
        cost: Math.round((0.4 + r() * 6) * 10_000) / 10_000,
        userAccepts: 2 + Math.floor(r() * 20),
        userRejects: Math.floor(r() * 5),
        configAccepts: Math.floor(r() * 10),
      };
      const ids: Record<string, string> = { 'session.id': uuid(r), 'user.id': userIds[who], 'team.id': person.team, 'repo.name': repo, 'user.email': person.email };
      const attrs = (extra: Record<string, string>): Kv[] => [
        ...Object.entries({ ...ids, 'terminal.type': 'vscode' }).map(([key, s]) => ({ key, value: { stringValue: s } })),
        ...Object.entries(extra).map(([key, s]) => ({ key, value: { stringValue: s } })),
      ];
      const metric = (name: string, points: [Record<string, string>, number][]): Metric => {
        const t = byName.get(name);
        if (!t) throw new Error(`the Claude Code template has no ${name}`);
        return { ...t, sum: { ...t.sum, dataPoints: points.map(([a, value]) => ({ attributes: attrs(a), startTimeUnixNano: ns(startMs), timeUnixNano: ns(endMs), asDouble: value })) } };
      };
      const tokens = Math.round(v.cost * 100_000);
      const metrics = [
        metric('claude_code.session.count', [[{ start_type: 'fresh' }, 1]]),
        metric('claude_code.lines_of_code.count', [[{ type: 'added', model: 'claude-opus-4-8' }, v.added], [{ type: 'removed', model: 'claude-opus-4-8' }, v.removed]]),
        metric('claude_code.commit.count', [[{}, v.commits]]),
        metric('claude_code.pull_request.count', [[{}, v.prs]]),
        metric('claude_code.cost.usage', [[{ model: 'claude-opus-4-8[1m]', query_source: 'main', effort: 'high' }, v.cost]]),
        metric('claude_code.token.usage', (['input', 'output', 'cacheRead', 'cacheCreation'] as const).map((type, k) => [{ model: 'claude-opus-4-8[1m]', query_source: 'main', effort: 'high', type }, [tokens, tokens / 20, tokens * 8, tokens / 2][k]!] as [Record<string, string>, number])),
        metric('claude_code.code_edit_tool.decision', [
          [{ decision: 'accept', source: 'user_temporary', tool_name: 'Edit', language: 'TypeScript' }, v.userAccepts],
          [{ decision: 'reject', source: 'user_reject', tool_name: 'Edit', language: 'TypeScript' }, v.userRejects],
          [{ decision: 'accept', source: 'config', tool_name: 'Write', language: 'Markdown' }, v.configAccepts],
        ]),
        metric('claude_code.active_time.total', [[{ type: 'user' }, v.user], [{ type: 'cli' }, v.cli]]),
      ];
      // Zero-valued points are left out, as Claude Code's delta exports leave out series without new measurements.
      for (const m of metrics) m.sum.dataPoints = m.sum.dataPoints.filter((p) => p.asDouble !== 0 || m.name === 'claude_code.lines_of_code.count');
      const resource = { ...template.resourceMetrics[0].resource, attributes: Object.entries({ 'team.id': person.team, 'repo.name': repo, 'host.arch': 'amd64', 'os.type': 'linux', 'service.name': 'claude-code', 'service.version': '2.1.197' }).map(([key, s]) => ({ key, value: { stringValue: s } })) };
      const body = { resourceMetrics: [{ resource, scopeMetrics: [{ scope: template.resourceMetrics[0].scopeMetrics[0].scope, metrics: metrics.filter((m) => m.sum.dataPoints.length) }] }] };
      bodies.push(new TextEncoder().encode(JSON.stringify(body)));
      truth.sessions++;
      truth.activeSecondsUser += v.user;
      truth.activeSecondsCli += v.cli;
      truth.commits += v.commits;
      truth.pullRequests += v.prs;
      truth.linesAdded += v.added;
      truth.linesRemoved += v.removed;
      truth.editAccepts += v.userAccepts + v.configAccepts;
      truth.editRejects += v.userRejects;
      truth.userEditAccepts += v.userAccepts;
      truth.userEditRejects += v.userRejects;
      truth.costUsd += v.cost;
      const br = (truth.byRepo[repo] ??= { sessions: 0, commits: 0, linesAdded: 0 });
      br.sessions++;
      br.commits += v.commits;
      br.linesAdded += v.added;
      const bt = (truth.byTeam[person.team] ??= { sessions: 0, commits: 0 });
      bt.sessions++;
      bt.commits += v.commits;
      const d = localDay(startMs);
      if (truth.days[truth.days.length - 1] !== d) truth.days.push(d);
    }
  }
  return { bodies, truth };
}
