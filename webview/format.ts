// Number, time and label formatting for the dashboard. Pure (no DOM), so it is golden-tested under
// plain Node (test/unit/webviewModel.test.ts) and bundled into the webview unchanged.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Dollars: cents above $1, three decimals below (single requests cost fractions of a cent). */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const digits = abs === 0 ? 2 : abs < 1 ? 3 : 2;
  const s = abs >= 1000 ? Math.round(abs).toLocaleString('en-US') : abs.toFixed(digits);
  return `${n < 0 ? '-' : ''}$${s}`;
}

/** Token counts: 705, 48.2k, 9.40M. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Math.round(n).toLocaleString('en-US');
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  return `${(rate * 100).toFixed(1)}%`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} m`;
}

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

/** A bucket label: a day ("Nov 21") or an hour ("14:00"). */
export function formatBucket(iso: string, bucket: 'hour' | 'day'): string {
  const p = parts(iso);
  if (!p) return iso;
  return bucket === 'hour' ? `${p.hh}:00` : `${MONTHS[p.mo - 1]} ${p.d}`;
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
