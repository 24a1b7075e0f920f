// ProductivityDto -> tiles, chart models and table rows for the Productivity view. Pure (no DOM, no
// Chart.js), tested under plain Node like model.ts. Every number is the host's; this only picks,
// orders and formats (src/core/format/numbers.ts, the one formatter).
import type { ProductivityDto, ProductivityFiguresDto, ProductivityGroupDto, SeriesBucket } from '../src/protocol/dto';
import { formatCount, formatMs, formatPercent, formatUsd } from '../src/core/format/numbers';
import { formatBucket, formatDay } from './format';
import type { ChartModel, Tile } from './model';

const seconds = (s: number) => formatMs(s * 1000);
const active = (f: ProductivityFiguresDto) => f.activeSecondsUser + f.activeSecondsCli;
const lines = (f: ProductivityFiguresDto) => `+${formatCount(f.linesAdded)} / −${formatCount(f.linesRemoved)}`;

/** A period label: "14:00" (hours), "Nov 21" (days), "Nov 17" (weeks, by their Monday). */
export function periodLabel(iso: string, bucket: SeriesBucket): string {
  return bucket === 'hour' ? formatBucket(iso, 'hour') : formatDay(iso);
}

const PERIOD_HEAD: Record<SeriesBucket, string> = { hour: 'Hour', day: 'Day', week: 'Week of' };

/** true when the range holds nothing at all: the view says so in one line and draws nothing. */
export function isEmptyProductivity(d: ProductivityDto): boolean {
  const t = d.totals;
  return t.sessions === 0 && active(t) === 0 && t.commits + t.pullRequests + t.linesAdded + t.linesRemoved + t.editAccepts + t.editRejects === 0;
}

export function productivityTiles(d: ProductivityDto): Tile[] {
  const t = d.totals;
  const userDecided = t.userEditAccepts + t.userEditRejects;
  const auto = t.editAccepts + t.editRejects - userDecided;
  const autoAccepts = t.editAccepts - t.userEditAccepts;
  return [
    {
      id: 'active',
      label: 'Active time',
      value: seconds(active(t)),
      detail: `You ${t.activeSecondsUser ? seconds(t.activeSecondsUser) : 'none'} · Claude Code ${t.activeSecondsCli ? seconds(t.activeSecondsCli) : 'none'}`,
    },
    { id: 'commits', label: 'Commits', value: formatCount(t.commits), detail: 'made by Claude Code' },
    { id: 'prs', label: 'Pull requests', value: formatCount(t.pullRequests), detail: 'opened by Claude Code' },
    { id: 'lines', label: 'Lines changed', value: lines(t), detail: 'added / removed' },
    {
      id: 'cost-hour',
      label: 'Cost per active hour',
      // The label says "per active hour": a "/h" suffix made narrow tiles wrap ("$234.50/" then "h").
      value: t.costPerActiveHourUsd === null ? '—' : formatUsd(t.costPerActiveHourUsd),
      detail: t.costPerActiveHourUsd === null ? 'no active time reported' : 'sessions that reported active time',
    },
    {
      id: 'cost-line',
      label: 'Cost per line changed',
      value: t.costPerLineChangedUsd === null ? '—' : formatUsd(t.costPerLineChangedUsd),
      detail: t.costPerLineChangedUsd === null ? 'no line changed' : `${formatUsd(t.costUsd)} for ${formatCount(t.linesAdded + t.linesRemoved)} lines`,
    },
    {
      id: 'edits',
      label: 'Edits you accepted',
      value: formatPercent(userDecided ? t.userEditAccepts / userDecided : null),
      detail:
        `${formatCount(t.userEditAccepts)} of ${formatCount(userDecided)} you decided` +
        (auto ? `; ${formatCount(autoAccepts)} of ${formatCount(auto)} more decided by your settings or hooks` : ''),
    },
  ];
}

/** Sentence under the tiles when part of the range's sessions sent no metrics (imported transcripts). */
export function sourcesNote(d: ProductivityDto): string | null {
  const t = d.totals;
  if (t.sessions === 0 || t.metricSessions === t.sessions) return null;
  return (
    `Active time, commits and pull requests come from Claude Code's telemetry: ${formatCount(t.metricSessions)} of ${formatCount(t.sessions)} sessions ` +
    `in this range sent it (sessions imported from transcripts carry lines and cost only).`
  );
}

export interface ProductivityChart {
  id: string;
  kind: 'stackedBar' | 'groupedBar';
  value: 'seconds' | 'count' | 'percent';
  /** model.statement: the one sentence shown instead of the chart when it would have nothing to draw. */
  model: ChartModel;
}

function chart(
  d: ProductivityDto,
  id: string,
  title: string,
  kind: ProductivityChart['kind'],
  value: ProductivityChart['value'],
  series: { label: string; values: number[]; colorIndex: number }[],
  nothing: string,
  cell: (n: number) => string,
): ProductivityChart {
  const labels = d.series.map((p) => periodLabel(p.bucket, d.bucket));
  const has = series.some((s) => s.values.some((v) => Number.isFinite(v) && v > 0));
  return {
    id,
    kind,
    value,
    model: {
      title,
      labels,
      series,
      table: { head: [PERIOD_HEAD[d.bucket], ...series.map((s) => s.label)], rows: labels.map((l, i) => [l, ...series.map((s) => cell(s.values[i]))]) },
      statement: has ? null : nothing,
    },
  };
}

/** Rate per period, NaN (no bar, "—" in the table) where nothing was decided. */
const rateOf = (a: number, r: number) => (a + r > 0 ? a / (a + r) : NaN);

export function productivityCharts(d: ProductivityDto): ProductivityChart[] {
  const s = d.series;
  const per = d.bucket;
  return [
    chart(d, 'active', `Active time per ${per}: you and Claude Code`, 'stackedBar', 'seconds', [
      { label: 'You', values: s.map((p) => p.activeSecondsUser), colorIndex: 0 },
      { label: 'Claude Code', values: s.map((p) => p.activeSecondsCli), colorIndex: 1 },
    ], 'No active time reported in this range.', seconds),
    chart(d, 'lines', `Lines added and removed per ${per}`, 'groupedBar', 'count', [
      { label: 'Added', values: s.map((p) => p.linesAdded), colorIndex: 2 },
      { label: 'Removed', values: s.map((p) => p.linesRemoved), colorIndex: 5 },
    ], 'No lines changed in this range.', formatCount),
    chart(d, 'commits', `Commits and pull requests per ${per}`, 'groupedBar', 'count', [
      { label: 'Commits', values: s.map((p) => p.commits), colorIndex: 0 },
      { label: 'Pull requests', values: s.map((p) => p.pullRequests), colorIndex: 3 },
    ], 'No commits or pull requests in this range.', formatCount),
    chart(d, 'acceptance', `Edits accepted per ${per}`, 'groupedBar', 'percent', [
      { label: 'Your decisions', values: s.map((p) => rateOf(p.userEditAccepts, p.userEditRejects)), colorIndex: 0 },
      { label: 'All edit decisions', values: s.map((p) => rateOf(p.editAccepts, p.editRejects)), colorIndex: 4 },
    ], 'No edit decisions in this range.', (n) => formatPercent(Number.isFinite(n) ? n : null)),
  ];
}

const GROUP_HEAD = ['Sessions', 'Active time', 'Commits', 'Pull requests', 'Lines +/−', 'Cost'];
const groupCells = (g: ProductivityGroupDto) => [formatCount(g.sessions), seconds(active(g)), formatCount(g.commits), formatCount(g.pullRequests), lines(g), formatUsd(g.costUsd)];

export function repoTable(d: ProductivityDto): { head: string[]; rows: string[][]; more: number } {
  return { head: ['Repository', ...GROUP_HEAD], rows: d.byRepo.map((g) => [g.repo ?? '(no repo)', ...groupCells(g)]), more: d.moreRepos };
}

/** `user.email`, or the opaque `user.id` shortened ("user 38756021…"). */
export function userLabel(g: { user: string | null; userIsEmail: boolean }): string {
  if (g.user === null) return '(unknown)';
  return g.userIsEmail ? g.user : `user ${g.user.slice(0, 8)}…`;
}

/** Shown when Claude Code reported who or which team: any team or e-mail, or more than one user. */
export function hasUserBreakdown(d: ProductivityDto): boolean {
  return d.byUser.some((g) => g.team !== null || g.userIsEmail) || d.byUser.filter((g) => g.user !== null).length > 1;
}

export function userTable(d: ProductivityDto): { head: string[]; rows: string[][]; more: number } {
  return { head: ['User', 'Team', ...GROUP_HEAD], rows: d.byUser.map((g) => [userLabel(g), g.team ?? '—', ...groupCells(g)]), more: d.moreUsers };
}
