// Session timeline: each prompt with its requests, tool decisions and results, errors; with traces, a
// waterfall that separates time blocked on you from tool execution and model time (subagents nested).
import type { TimelinePromptDto } from '../../src/protocol/dto';
import { h } from '../dom';
import { formatCount, formatMs, formatUsd } from '../../src/core/format/numbers';
import { formatClock, shortModel } from '../format';
import { sessionSourceBadge, sessionTitle, timeSplit, timelineItems, waterfallBars } from '../model';
import { openFile, request } from '../host';
import type { ViewContext } from './context';

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function waterfall(p: TimelinePromptDto, index: number): HTMLElement | null {
  const bars = waterfallBars(p.waterfall);
  if (bars.length === 0) return null;
  return h(
    'div',
    { class: 'waterfall', role: 'list', 'aria-label': `Waterfall of prompt ${index + 1}`, 'data-testid': 'waterfall' },
    ...bars.map((b) => {
      const bar = h('span', { class: `wf-bar wf-${b.type}${b.error ? ' wf-error' : ''}` });
      // CSSOM, not a style attribute: allowed by the CSP without 'unsafe-inline'.
      bar.style.marginLeft = `${b.leftPct}%`;
      bar.style.width = `${b.widthPct}%`;
      const row = h(
        'div',
        { class: 'wf-row', role: 'listitem', tabindex: 0, 'aria-label': `${b.label}, ${b.durationText}${b.error ? ', failed' : ''}` },
        h('span', { class: `wf-label depth-${Math.min(b.depth, 5)}`, title: b.label }, b.label),
        h('span', { class: 'wf-track' }, bar),
        h('span', { class: 'wf-dur' }, b.durationText),
      );
      return row;
    }),
  );
}

function promptSection(p: TimelinePromptDto, i: number): HTMLElement {
  const items = timelineItems(p);
  const split = timeSplit(p);
  const hasSpans = p.waterfall.length > 0;
  return h(
    'section',
    { class: 'prompt', 'aria-labelledby': `prompt-${i}`, 'data-testid': 'prompt' },
    h('h3', { id: `prompt-${i}` }, `Prompt ${i + 1} · ${formatClock(p.time)} · ${formatUsd(p.costUsd)} · ${plural(p.requests.length, 'request')}`),
    p.promptText !== null
      ? h('blockquote', { class: 'prompt-text' }, p.promptText)
      : h('p', { class: 'muted' }, p.promptLength !== null ? `Prompt of ${formatCount(p.promptLength)} characters (text not captured).` : 'Prompt text not captured.'),
    hasSpans
      ? h(
          'dl',
          { class: 'split', 'aria-label': 'Where the time went' },
          ...split.flatMap((s) => [h('dt', null, s.label), h('dd', null, s.text)]),
        )
      : null,
    waterfall(p, i),
    h(
      'ol',
      { class: 'items' },
      ...items.map((it) =>
        h(
          'li',
          { class: `item item-${it.kind} st-${it.status}` },
          h('span', { class: 'item-time' }, it.clock),
          h('span', { class: 'item-kind' }, it.kind),
          h('span', { class: 'item-title' }, it.title, it.status === 'ok' ? null : h('span', { class: 'item-status' }, ` ${it.status}`)),
          h(
            'span',
            { class: 'item-detail' },
            it.filePath
              ? h('button', { class: 'link', type: 'button', 'data-path': it.filePath, title: it.filePath, 'aria-label': `Open ${it.filePath}`, onclick: () => openFile(it.filePath!) }, it.filePath)
              : null,
            it.filePath && it.detail ? ' · ' : null,
            it.detail,
          ),
        ),
      ),
    ),
  );
}

export async function renderTimeline(root: HTMLElement, ctx: ViewContext, sessionId: string, back: () => void): Promise<void> {
  const t = await request('sessions/timeline', { sessionId });
  if (!ctx.isCurrent()) return;
  const backBtn = h('vscode-button', { secondary: true, 'data-testid': 'timeline-back', onclick: back }, '← All sessions');
  if (!t.found || !t.session) {
    root.append(backBtn, h('p', { role: 'alert' }, `Session ${sessionId} is not in the store (it may have been removed by retention).`));
    return;
  }
  const s = t.session;
  const badge = sessionSourceBadge(s);
  root.append(
    h(
      'div',
      { class: 'timeline-head', 'data-testid': 'timeline' },
      backBtn,
      h('h2', null, s.title ?? sessionTitle(s)),
      s.title || s.branch ? h('p', { class: 'muted' }, [s.title ? sessionTitle(s) : null, s.branch ? `branch ${s.branch}` : null].filter(Boolean).join(' · ')) : null,
      h(
        'p',
        { class: 'muted' },
        `${formatUsd(s.costUsd)} · ${plural(s.requests, 'request')} · ${plural(s.prompts, 'prompt')} · ${formatMs(s.durationMs)} · ${s.models.map(shortModel).join(', ')} · +${s.linesAdded} −${s.linesRemoved} lines · ${s.accepts} accepted / ${s.rejects} rejected`,
      ),
      badge
        ? h('p', { class: 'estimates-note', role: 'note', 'data-testid': 'timeline-source' }, h('span', { class: 'src-badge' }, badge.text), ` ${badge.tooltip}.`)
        : null,
    ),
    ...t.prompts.map(promptSection),
  );
  ctx.onMount(() => (backBtn as HTMLElement).focus());
}
