// Time and label formatting for the dashboard. Pure (no DOM), so it is golden-tested under plain Node
// (test/unit/webviewModel.test.ts) and bundled into the webview unchanged. Numbers (money, counts,
// percentages, durations, chart scales) are src/core/format/numbers.ts, shared with the status bar and
// MCP: this file formats none itself and re-exports them, so a view has one place to import from.
import type { SeriesBucket } from '../src/protocol/dto';
export { formatCount, formatMs, formatPercent, formatUsd, scaleFormatter } from '../src/core/format/numbers';
import { formatMs as formatMsFromNumbers } from '../src/core/format/numbers';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The local date and time written in an ISO string with offset, without converting zones: the host
 * already resolved "local" (buckets and timestamps carry the user's offset), so the text is stable.
 */
function parts(iso: string): { y: number; mo: number; d: number; hh: string; mm: string } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(iso);
  if (!m) return null;
  return { y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]), hh: m[4] ?? '00', mm: m[5] ?? '00' };
}

/** "Nov 21" */
export function formatDay(iso: string): string {
  const p = parts(iso);
  return p ? `${MONTHS[p.mo - 1]} ${p.d}` : iso;
}

/** "Nov 21 19:46" */
export function formatDateTime(iso: string): string {
  const p = parts(iso);
  return p ? `${MONTHS[p.mo - 1]} ${p.d} ${p.hh}:${p.mm}` : iso;
}

/** "19:46:28" from an ISO string with offset. */
export function formatClock(iso: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? m[1] : iso;
}

/** A bucket label: an hour ("14:00"), a day ("Nov 21") or a week by its Monday ("Nov 17"). */
export function formatBucket(iso: string, bucket: SeriesBucket): string {
  const p = parts(iso);
  if (!p) return iso;
  return bucket === 'hour' ? `${p.hh}:00` : `${MONTHS[p.mo - 1]} ${p.d}`;
}

/** "+72 ms", "+1.2 s": how long after `fromIso` an item happened (rows of one prompt differ by this). */
export function formatOffset(iso: string, fromIso: string): string {
  const d = Date.parse(iso) - Date.parse(fromIso);
  return Number.isFinite(d) ? `+${formatMsFromNumbers(Math.max(0, d))}` : '';
}

/** Model ids as people say them: the `[1m]` context suffix and a trailing date are noise in a legend. */
export function shortModel(model: string): string {
  return model.replace(/\[[^\]]*\]$/, '').replace(/-\d{8}$/, '');
}

/** `mcp__github__get_pull_request` -> `github › get_pull_request`. */
export function toolLabel(tool: string, mcpServer?: string | null): string {
  const m = /^mcp__(.+?)__(.+)$/.exec(tool);
  if (m) return `${mcpServer ?? m[1]} › ${m[2]}`;
  return tool;
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
