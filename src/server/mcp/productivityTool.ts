// MCP `productivity`: the productivity query (active time you vs Claude Code, commits, pull requests,
// lines, cost per active hour and per line changed, edit acceptance; per repository and user/team),
// with a text summary in the shared number format (src/core/format/numbers.ts). The per-period series
// is left out of structuredContent (a model reads totals and tables; the dashboard draws the series).
import * as z from 'zod/v4';
import type { ProductivityDto, ProductivityFiguresDto, ProductivityGroupDto, RangeKey, RangeSpec } from '../../protocol/dto';
import { formatCount as count, formatMs, formatPercent as pct, formatUsd as usd } from '../../core/format/numbers';
import type { ToolDef } from './tools';

const figures = {
  activeSecondsUser: z.number(),
  activeSecondsCli: z.number(),
  commits: z.number(),
  pullRequests: z.number(),
  linesAdded: z.number(),
  linesRemoved: z.number(),
  editAccepts: z.number(),
  editRejects: z.number(),
  userEditAccepts: z.number(),
  userEditRejects: z.number(),
};
const group = { ...figures, sessions: z.number(), costUsd: z.number() };

const seconds = (s: number) => formatMs(s * 1000);
const active = (f: ProductivityFiguresDto) => f.activeSecondsUser + f.activeSecondsCli;

function groupText(name: string, g: ProductivityGroupDto): string {
  return `${name}: ${count(g.sessions)} sessions, ${seconds(active(g))} active, ${count(g.commits)} commits, ${count(g.pullRequests)} PRs, +${count(g.linesAdded)}/-${count(g.linesRemoved)} lines, ${usd(g.costUsd)}`;
}

/** The tool's text: totals, the ratios with what they are made of, and the tables' first rows. */
export function productivityText(d: Omit<ProductivityDto, 'series'>): string {
  const t = d.totals;
  const userDecided = t.userEditAccepts + t.userEditRejects;
  const lines = [
    `Claude Code productivity ${d.range.from} to ${d.range.to} (${count(t.sessions)} sessions; ${count(t.metricSessions)} sent telemetry metrics, ` +
      `the only source of active time, commits and pull requests): active time ${seconds(active(t))} ` +
      `(you ${seconds(t.activeSecondsUser)}, Claude Code ${seconds(t.activeSecondsCli)}), ${count(t.commits)} commits, ${count(t.pullRequests)} pull requests, ` +
      `lines +${count(t.linesAdded)}/-${count(t.linesRemoved)}, cost ${usd(t.costUsd)} USD.`,
    `Cost per active hour: ${t.costPerActiveHourUsd === null ? 'none (no active time reported)' : `${usd(t.costPerActiveHourUsd)}/hour (sessions that reported active time)`}; ` +
      `cost per line changed: ${t.costPerLineChangedUsd === null ? 'none (no line changed)' : usd(t.costPerLineChangedUsd)}.`,
    `Edit decisions: ${pct(t.editAcceptRate)} accepted (${count(t.editAccepts)} accepted, ${count(t.editRejects)} rejected); ` +
      `decided by you ${pct(userDecided ? t.userEditAccepts / userDecided : null)} (${count(t.userEditAccepts)}/${count(userDecided)}), the rest by settings rules or hooks.`,
  ];
  if (d.byRepo.length) lines.push(`By repository: ${d.byRepo.slice(0, 10).map((g) => groupText(g.repo ?? '(no repo)', g)).join('; ')}.`);
  const people = d.byUser.filter((g) => g.user !== null || g.team !== null);
  if (people.length) lines.push(`By user/team: ${people.slice(0, 10).map((g) => groupText(`${g.user ?? '(unknown user)'}${g.team ? ` [team ${g.team}]` : ''}`, g)).join('; ')}.`);
  return lines.join('\n');
}

export function productivityTool(rangeInput: z.ZodRawShape, rangeSpec: (args: Record<string, unknown>, fallback: RangeKey) => RangeSpec): ToolDef {
  return {
    name: 'productivity',
    title: 'Claude Code productivity',
    description:
      "Active time (the user's vs Claude Code's own, seconds), commits and pull requests Claude Code made, lines added/removed, cost per active hour and per line changed (USD), and edit acceptance (all decisions and the user's own), in total, by repository and by user/team (user.email or user.id, team.id) where Claude Code reports them. Default range: 7d.",
    inputSchema: { ...rangeInput },
    outputSchema: {
      range: z.object({ from: z.string(), to: z.string() }),
      bucket: z.enum(['hour', 'day', 'week']),
      totals: z.object({
        ...figures,
        sessions: z.number(),
        metricSessions: z.number(),
        costUsd: z.number(),
        costPerActiveHourUsd: z.number().nullable(),
        costPerLineChangedUsd: z.number().nullable(),
        editAcceptRate: z.number().nullable(),
      }),
      byRepo: z.array(z.object({ ...group, repo: z.string().nullable() })),
      byUser: z.array(z.object({ ...group, user: z.string().nullable(), userIsEmail: z.boolean(), team: z.string().nullable() })),
      moreRepos: z.number(),
      moreUsers: z.number(),
    },
    async run(args, { store }) {
      const { series: _series, ...d } = await store.query('productivity', { range: rangeSpec(args, '7d') });
      return { structured: { ...d }, text: productivityText(d), rows: d.byRepo.length + d.byUser.length };
    },
  };
}
