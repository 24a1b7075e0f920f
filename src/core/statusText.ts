// One function turns (receiver state, latest StatusSnapshotDto, settings) into what the status bar
// shows: text, Markdown tooltip, background colour. Pure, so every state is unit-tested without VS Code.
import type { ForwardStatusDto, StatusSnapshotDto, TokenCounts } from '../protocol/dto';
import { formatCount, formatForwardLine, formatPercent, formatUsd } from './format/numbers';
import type { RateLimitSnapshotDto } from '../protocol/limitsDto';
import { limitsLevel, limitsText, limitsTooltipLines } from './limitsText';
import { timeRelative, type ForecastFigure } from './statusForecast';

/** The leader's OTLP/gRPC receiver: off (claudeLedger.grpcPort 0), listening, or why it is not. */
export type GrpcListenState = { kind: 'off' } | { kind: 'listening'; port: number } | { kind: 'failed'; port: number; message: string };

export type ReceiverState =
  | { kind: 'starting' }
  | { kind: 'listening'; port: number; grpc?: GrpcListenState }
  | { kind: 'follower'; port: number }
  | { kind: 'error'; message: string; port?: number };

export type StatusShow = 'today' | 'month' | 'session' | 'limits';

export interface Budgets {
  /** 0 = no budget. */
  dailyUsd: number;
  monthlyUsd: number;
}

export type BudgetLevel = 'ok' | 'warning' | 'error';

/** Thresholds as fractions of a budget: warning colour from 80 %, error colour from 100 %. */
export const BUDGET_THRESHOLDS = { warning: 0.8, error: 1 } as const;

export interface BudgetAlert {
  /** `daily:2026-11-21:80` — unique per budget, period and threshold (what "notify once" keys on). */
  id: string;
  budget: 'daily' | 'monthly';
  percent: 80 | 100;
  spentUsd: number;
  budgetUsd: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  background: 'warning' | 'error' | undefined;
  /** Budget thresholds currently crossed (highest per budget), for notifications. */
  alerts: BudgetAlert[];
}

export interface StatusInput {
  state: ReceiverState;
  snapshot: StatusSnapshotDto | undefined;
  show: StatusShow;
  budgets: Budgets;
  now: Date;
  /** The latest plan-limit snapshot (planLimits query); undefined/null when none was reported. */
  limits?: RateLimitSnapshotDto | null;
  /** More tooltip blocks from the host (shown after the figures, before the links). */
  extraSections?: readonly TooltipSection[];
}

export function statusView(i: StatusInput): StatusView {
  const alerts = i.snapshot ? budgetAlerts(i.snapshot, i.budgets, i.now) : [];
  const budgetLevel: BudgetLevel = alerts.some((a) => a.percent === 100) ? 'error' : alerts.length > 0 ? 'warning' : 'ok';
  // In `limits` mode the plan windows colour the item too (80 % warning, 95 % error); the worse level wins.
  const planLevel: BudgetLevel = i.show === 'limits' ? limitsLevel(i.limits, i.now) : 'ok';
  const level: BudgetLevel = budgetLevel === 'error' || planLevel === 'error' ? 'error' : budgetLevel === 'warning' || planLevel === 'warning' ? 'warning' : 'ok';
  return {
    text: statusTextLine(i),
    tooltip: tooltipMarkdown(i),
    // A receiver error wins over budget colours: no data arrives, so the numbers are stale.
    background: i.state.kind === 'error' ? 'error' : level === 'ok' ? undefined : level,
    alerts,
  };
}

function statusTextLine(i: StatusInput): string {
  const s = i.snapshot;
  if (i.state.kind === 'error') return '$(error) Ledger';
  if (s === undefined) return i.state.kind === 'starting' ? '$(loading~spin) Ledger' : '$(pulse) $0.00';
  switch (i.show) {
    case 'today':
      return `$(pulse) ${formatUsd(s.todayUsd)}`;
    case 'month':
      return `$(pulse) ${formatUsd(s.monthUsd)} month`;
    case 'session':
      return `$(pulse) ${formatUsd(s.currentSession?.costUsd ?? 0)} session`;
    case 'limits':
      // Until the status line has reported a window, today's spend (API-key users never get windows).
      return i.limits ? `$(dashboard) ${limitsText(i.limits, i.now)}` : `$(pulse) ${formatUsd(s.todayUsd)}`;
  }
}

/** The highest threshold crossed per budget (0 = no budget = never). */
export function budgetAlerts(s: StatusSnapshotDto, b: Budgets, now: Date): BudgetAlert[] {
  const out: BudgetAlert[] = [];
  const check = (budget: 'daily' | 'monthly', spentUsd: number, budgetUsd: number, period: string) => {
    if (!(budgetUsd > 0)) return;
    const ratio = spentUsd / budgetUsd;
    const percent = ratio >= BUDGET_THRESHOLDS.error ? 100 : ratio >= BUDGET_THRESHOLDS.warning ? 80 : undefined;
    if (percent !== undefined) out.push({ id: `${budget}:${period}:${percent}`, budget, percent, spentUsd, budgetUsd });
  };
  check('daily', s.todayUsd, b.dailyUsd, localDay(now));
  check('monthly', s.monthUsd, b.monthlyUsd, localDay(now).slice(0, 7));
  return out;
}

/**
 * Alerts not yet notified, and the ids to remember afterwards. Reaching 100 % first (one big batch)
 * notifies once at 100 % and marks 80 % as done too, so the user never gets a stale "80 %" after it.
 */
export function pendingAlerts(alerts: readonly BudgetAlert[], notified: ReadonlySet<string>): { notify: BudgetAlert[]; remember: string[] } {
  const notify: BudgetAlert[] = [];
  const remember: string[] = [];
  for (const a of alerts) {
    if (notified.has(a.id)) continue;
    notify.push(a);
    remember.push(a.id);
    if (a.percent === 100) remember.push(a.id.replace(/:100$/, ':80'));
  }
  return { notify, remember };
}

export function budgetMessage(a: BudgetAlert): string {
  const what = a.budget === 'daily' ? "Today's" : "This month's";
  return a.percent === 100
    ? `${what} Claude Code spend ${formatUsd(a.spentUsd)} has reached the ${a.budget} budget of ${formatUsd(a.budgetUsd)}.`
    : `${what} Claude Code spend ${formatUsd(a.spentUsd)} is at ${Math.floor((a.spentUsd / a.budgetUsd) * 100)}% of the ${a.budget} budget of ${formatUsd(a.budgetUsd)}.`;
}

/**
 * One block of the tooltip (lines joined with newlines; blocks are separated by an empty line). The
 * tooltip is a list of these, so a new kind of line (forwarding, another listener) is one more section.
 */
export interface TooltipSection {
  /** For tests and ordering only (`state`, `spend`, `tokens`, ... or a caller's own). */
  id: string;
  lines: string[];
}

/** The tooltip's sections in order; callers may add theirs through `StatusInput.extraSections`. */
export function tooltipSections(i: StatusInput): TooltipSection[] {
  const out: TooltipSection[] = [{ id: 'state', lines: [`**Claude Code Ledger** — ${stateLine(i.state)}`] }];
  const s = i.snapshot;
  if (s === undefined) {
    out.push({ id: 'waiting', lines: [i.state.kind === 'error' ? 'No data while the receiver is down.' : 'Waiting for the first numbers…'] });
  } else {
    const t = timeRelative(s, i.now.getTime());
    const figure = (f: ForecastFigure) => ('usd' in f ? formatUsd(f.usd) : `_${f.unavailable}_`);
    out.push(
      {
        id: 'spend',
        lines: [
          '| | |',
          '|---|--:|',
          `| Today | ${formatUsd(s.todayUsd)}${s.estimatedToday ? ' (partly estimated)' : ''} |`,
          `| Forecast today | ${figure(t.today)} |`,
          `| This month | ${formatUsd(s.monthUsd)} |`,
          `| Forecast month | ${figure(t.month)} |`,
          `| Current session | ${s.currentSession ? formatUsd(s.currentSession.costUsd) : '—'} |`,
          `| Burn rate (last hour) | ${formatUsd(t.lastHourUsdPerHour)}/h |`,
        ],
      },
      { id: 'tokens', lines: [`Tokens today: ${tokenLine(s.todayTokens)}`] },
      { id: 'cache', lines: [`Cache hit rate ${formatPercent(s.cacheHitRateToday)}, saved ${formatUsd(s.cacheSavingsTodayUsd)} today (cache reads are cheap, not free)`] },
      { id: 'models', lines: [`Models today: ${modelMix(s.modelMixToday)}`] },
      { id: 'sessions', lines: [`Sessions today: ${s.sessionsToday} · requests ${s.requestsToday}`] },
      { id: 'lastEvent', lines: [`Last event: ${s.lastEventAt ? lastEvent(s.lastEventAt, i.now) : 'none yet'}`] },
    );
    const budget = budgetLines(s, i.budgets);
    if (budget) out.push({ id: 'budget', lines: [budget] });
    if (i.limits || i.show === 'limits') out.push({ id: 'limits', lines: limitsTooltipLines(i.limits, i.now) });
    if (s.forward) out.push({ id: 'forward', lines: [forwardTooltipLine(s.forward)] });
  }
  for (const x of i.extraSections ?? []) if (x.lines.length > 0) out.push(x);
  const settingsArg = encodeURIComponent(JSON.stringify(['claudeLedger']));
  out.push({
    id: 'links',
    lines: [`[$(graph) Open Dashboard](command:claudeLedger.openDashboard) · [$(gear) Settings](command:workbench.action.openSettings?${settingsArg}) · [$(output) Log](command:claudeLedger.showLog)`],
  });
  return out;
}

function tooltipMarkdown(i: StatusInput): string {
  return tooltipSections(i).map((x) => x.lines.join('\n')).join('\n\n');
}

function grpcLine(g: GrpcListenState | undefined): string {
  if (g === undefined || g.kind === 'off') return '';
  if (g.kind === 'listening') return ` (OTLP/HTTP) and 127.0.0.1:${g.port} (OTLP/gRPC)`;
  return ` (OTLP/HTTP); OTLP/gRPC not listening: ${escapeMd(g.message)}`;
}

function stateLine(s: ReceiverState): string {
  switch (s.kind) {
    case 'starting':
      return 'receiver starting';
    case 'listening':
      return `receiving on 127.0.0.1:${s.port}${grpcLine(s.grpc)}`;
    case 'follower':
      return `another VS Code window receives on 127.0.0.1:${s.port}; this one shows its numbers`;
    case 'error':
      return `receiver error: ${escapeMd(s.message)}`;
  }
}

/** Forwarding: upstream, state with the last error, backlog, drops (the one-line text the dashboard shows too). */
function forwardTooltipLine(f: ForwardStatusDto): string {
  const icon = f.state === 'ok' ? '$(cloud-upload)' : f.state === 'retrying' ? '$(sync)' : '$(warning)';
  return `${icon} ${escapeMd(formatForwardLine(f))}`;
}

function budgetLines(s: StatusSnapshotDto, b: Budgets): string | undefined {
  const parts: string[] = [];
  if (b.dailyUsd > 0) parts.push(`daily ${formatUsd(s.todayUsd)} of ${formatUsd(b.dailyUsd)} (${formatPercent(s.todayUsd / b.dailyUsd)})`);
  if (b.monthlyUsd > 0) parts.push(`monthly ${formatUsd(s.monthUsd)} of ${formatUsd(b.monthlyUsd)} (${formatPercent(s.monthUsd / b.monthlyUsd)})`);
  return parts.length > 0 ? `Budget: ${parts.join(' · ')}` : undefined;
}

function tokenLine(t: TokenCounts): string {
  return `input ${formatCount(t.input)} · output ${formatCount(t.output)} · cache read ${formatCount(t.cacheRead)} · cache write ${formatCount(t.cacheCreation)}`;
}

function modelMix(mix: StatusSnapshotDto['modelMixToday']): string {
  const total = mix.reduce((a, m) => a + m.costUsd, 0);
  if (mix.length === 0) return 'none yet';
  return [...mix]
    .sort((a, b) => b.costUsd - a.costUsd)
    .map((m) => `${escapeMd(m.model)} ${total > 0 ? formatPercent(m.costUsd / total) : formatUsd(m.costUsd)}`)
    .join(', ');
}

function lastEvent(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return escapeMd(iso);
  const agoS = Math.max(0, Math.round((now.getTime() - t.getTime()) / 1000));
  const ago = agoS < 60 ? `${agoS} s ago` : agoS < 3600 ? `${Math.round(agoS / 60)} min ago` : agoS < 86400 ? `${Math.round(agoS / 3600)} h ago` : `${Math.round(agoS / 86400)} d ago`;
  const sameDay = localDay(t) === localDay(now);
  const hms = `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  return `${sameDay ? hms : `${localDay(t)} ${hms}`} (${ago})`;
}

/** Local calendar day `YYYY-MM-DD` (budgets and "today" follow the user's clock). */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
