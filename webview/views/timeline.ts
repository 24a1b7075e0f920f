// Session timeline: each prompt with its requests, tool decisions and results, errors; with traces, a
// waterfall that separates time blocked on you from tool execution and model time (subagents nested).
import type { TimelinePromptDto } from '../../src/protocol/dto';
import { h } from '../dom';
import { formatCount, formatMs, formatUsd } from '../../src/core/format/numbers';
import { shortModel } from '../format';
import { sessionSourceBadge, sessionTitle, timeSplit, timelineHeadings, timelineItems, waterfallAxis, waterfallBars, WATERFALL_LEGEND } from '../model';
import { openFile, request } from '../host';
import type { ViewContext } from './context';

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function waterfall(p: TimelinePromptDto, heading: string): HTMLElement | null {
  const bars = waterfallBars(p.waterfall);
  if (bars.length === 0) return null;
  const axis = waterfallAxis(p.waterfall);
  const place = (el: HTMLElement, left: number, width: number) => {
    // CSSOM, not a style attribute: allowed by the CSP without 'unsafe-inline'.
    el.style.marginLeft = `${left}%`;
    el.style.width = `${width}%`;
    return el;
  };
  const ticks = h('span', { class: 'wf-track wf-axis-track' });
  for (const t of axis) {
    const tick = h('span', { class: 'wf-tick' }, t.text);
    tick.style.left = `${t.leftPct}%`;
    ticks.append(tick);
  }
  return h(
    'div',
    { class: 'waterfall-box' },
    h(
      'ul',
      { class: 'wf-legend', 'aria-label': 'Colours of the waterfall', 'data-testid': 'wf-legend' },
      ...WATERFALL_LEGEND.map((l) => h('li', null, h('span', { class: `wf-swatch ${l.cls}`, 'aria-hidden': 'true' }), l.label)),
    ),
    h(
      'div',
      { class: 'waterfall', role: 'list', 'aria-label': `Waterfall of ${heading}`, 'data-testid': 'waterfall' },
      h('div', { class: 'wf-row wf-axis', 'aria-hidden': 'true', 'data-testid': 'wf-axis' }, h('span', { class: 'wf-label muted' }, 'time since start'), ticks, h('span', { class: 'wf-dur muted' }, 'took')),
      ...bars.map((b) => {
        const bar = place(h('span', { class: `wf-bar wf-${b.type}${b.error ? ' wf-error' : ''}` }), b.leftPct, b.widthPct);
        const track = h('span', { class: 'wf-track' }, bar);
        for (const seg of b.segments) {
          // Segments sit on the same track, over the tool's bar: positioned from the track's left edge.
          const el = h('span', { class: `wf-seg wf-${seg.type}`, title: `${seg.type === 'blocked' ? 'Waiting for you' : 'Running'} ${seg.durationText}` });
          el.style.left = `${seg.leftPct}%`;
          el.style.width = `${seg.widthPct}%`;
          track.append(el);
        }
        const segText = b.segments.map((x) => `${x.type === 'blocked' ? 'waited for you' : 'ran'} ${x.durationText}`).join(', ');
        return h(
          'div',
          { class: 'wf-row', role: 'listitem', tabindex: 0, 'aria-label': `${b.label}, started ${b.startText}, took ${b.durationText}${segText ? ` (${segText})` : ''}${b.error ? ', failed' : ''}` },
          h('span', { class: `wf-label depth-${Math.min(b.depth, 5)}`, title: `${b.label} · started ${b.startText}` }, b.label),
          track,
          h('span', { class: 'wf-dur' }, b.durationText),
        );
      }),
    ),
  );
}

function promptSection(p: TimelinePromptDto, i: number, heading: string): HTMLElement {
  const items = timelineItems(p);
  const split = timeSplit(p);
  const hasSpans = p.waterfall.length > 0;
  return h(
    'section',
    { class: `prompt prompt-${p.kind}`, 'aria-labelledby': `prompt-${i}`, 'data-testid': 'prompt', 'data-kind': p.kind },
    h('h3', { id: `prompt-${i}` }, heading),
    p.kind === 'sessionTitle'
      ? h('p', { class: 'muted' }, 'Claude Code asks the model for a short title of the session; you did not type this.')
      : p.kind === 'other'
        ? h('p', { class: 'muted' }, 'Requests Claude Code made without a prompt of yours.')
        : p.promptText !== null
          ? h('blockquote', { class: 'prompt-text' }, p.promptText)
          : h('p', { class: 'muted' }, p.promptLength !== null ? `Prompt of ${formatCount(p.promptLength)} characters (text not captured).` : 'Prompt text not captured.'),
    hasSpans
      ? h(
          'dl',
          { class: 'split', 'aria-label': 'Where the time went' },
          ...split.flatMap((s) => [h('dt', null, s.label), h('dd', null, s.text)]),
        )
      : null,
    waterfall(p, heading),
    h(
      'ol',
      { class: 'items' },
      ...items.map((it) =>
        h(
          'li',
          { class: `item item-${it.kind} st-${it.status}` },
          h('span', { class: 'item-time', title: it.clock }, it.offset),
          h('span', { class: 'item-kind' }, it.kind),
          h('span', { class: 'item-title' }, it.title, it.status === 'ok' ? null : h('span', { class: 'item-status' }, ` ${it.status}`)),
          h(
            'span',
            { class: 'item-detail' },
            it.filePath
              ? h('button', { class: 'link', type: 'button', 'data-path': it.filePath, title: it.filePath, 'aria-label': `Open ${it.displayPath ?? it.filePath}`, onclick: () => openFile(it.filePath!) }, it.displayPath ?? it.filePath)
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
      h('h2', null, s.headline?.text ?? sessionTitle(s)),
      ((sub) => (sub ? h('p', { class: 'muted' }, sub) : null))([s.headline ? sessionTitle(s) : null, s.branch ? `branch ${s.branch}` : null].filter(Boolean).join(' · ')),
      h(
        'p',
        { class: 'muted' },
        `${formatUsd(s.costUsd)} · ${plural(s.requests, 'request')} · ${plural(s.prompts, 'prompt')} · ${formatMs(s.durationMs)} · ${s.models.map(shortModel).join(', ')} · +${s.linesAdded} −${s.linesRemoved} lines · ${s.accepts} accepted / ${s.rejects} rejected`,
      ),
      badge
        ? h('p', { class: 'estimates-note', role: 'note', 'data-testid': 'timeline-source' }, h('span', { class: 'src-badge' }, badge.text), ` ${badge.tooltip}.`)
        : null,
    ),
    ...((headings) => t.prompts.map((p, i) => promptSection(p, i, headings[i])))(timelineHeadings(t.prompts)),
  );
  ctx.onMount(() => (backBtn as HTMLElement).focus());
}
