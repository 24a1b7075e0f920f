// Collapses the items of one chunk before they reach the store: one API response is written as several
// lines (one per content block, streaming snapshots) and nearly every line repeats the session fields.
// Merging them here (the larger snapshot of a request wins, as in the store) saves two index lookups per
// line; the store's own rules still apply across chunks, so the result is identical either way.
import { compareUsage } from './parse';
import type { TranscriptItem, TranscriptRequest, TranscriptSession } from './transcriptRecords';

export interface Collapsed {
  items: TranscriptItem[];
  /** Request lines merged into another line of the same request (counted as duplicates). */
  mergedRequests: number;
}

export function collapseChunk(items: readonly TranscriptItem[]): Collapsed {
  const out: TranscriptItem[] = [];
  const requests = new Map<string, number>(); // key -> index in out
  const toolUses = new Set<string>();
  const sessions = new Map<string, { first: TranscriptSession; last: TranscriptSession }>();
  let mergedRequests = 0;
  for (const it of items) {
    switch (it.kind) {
      case 'request': {
        const key = it.requestId !== undefined ? `r:${it.requestId}` : it.messageId !== undefined ? `m:${it.messageId}` : undefined;
        const at = key === undefined ? undefined : requests.get(key);
        if (at === undefined) {
          if (key !== undefined) requests.set(key, out.length);
          out.push(it);
          break;
        }
        mergedRequests++;
        const kept = out[at] as TranscriptRequest;
        // Keep the first line's time (the request's start) and the larger usage.
        if (compareUsage(it.usage, kept.usage) > 0) out[at] = withProps(it, { timeMs: kept.timeMs ?? it.timeMs });
        break;
      }
      case 'toolUse':
        if (it.toolUseId !== undefined) {
          const k = `${it.sessionId}|${it.toolUseId}`;
          if (toolUses.has(k)) break;
          toolUses.add(k);
        }
        out.push(it);
        break;
      case 'session': {
        const s = sessions.get(it.sessionId);
        if (!s) {
          sessions.set(it.sessionId, { first: it, last: it });
          break;
        }
        if (it.timeMs !== undefined && (s.first.timeMs === undefined || it.timeMs < s.first.timeMs)) s.first = it;
        // The last item carries every field seen (later lines win; a title is kept once seen).
        const last = Object.assign({}, s.last) as TranscriptSession;
        assignDefined(last, it);
        last.timeMs = maxTime(s.last.timeMs, it.timeMs);
        last.title = it.title ?? s.last.title;
        last.titleSource = it.title ? it.titleSource : s.last.titleSource;
        s.last = last;
        break;
      }
      default:
        out.push(it);
    }
  }
  for (const { first, last } of sessions.values()) {
    out.unshift(last);
    if (first !== last && first.timeMs !== undefined && first.timeMs !== last.timeMs) out.unshift({ kind: 'session', sessionId: first.sessionId, timeMs: first.timeMs });
  }
  return { items: out, mergedRequests };
}

function maxTime(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** Copies the defined fields of `s` onto `o` (the items' keys are fixed names, never `__proto__`). */
function assignDefined(o: TranscriptSession, s: TranscriptSession): void {
  const keys = Object.keys(s);
  for (let i = 0; i < keys.length; i++) {
    const v = (s as unknown as Record<string, unknown>)[keys[i]];
    if (v !== undefined) (o as unknown as Record<string, unknown>)[keys[i]] = v;
  }
}

/**
 * `{ ...a, ...more }` without the spread: V8 (Node 20) gives every object made by a spread followed by
 * more properties a fresh hidden class, 5-30 us each (measured: most of a chunk's collapse time).
 */
function withProps<T extends object>(a: T, more: Partial<T>): T {
  return Object.assign(Object.assign({}, a), more);
}
