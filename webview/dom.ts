// A tiny element builder: no framework, no innerHTML (all text goes through textContent, so data from
// telemetry can never become markup), and no inline style attributes (the CSP has no 'unsafe-inline';
// geometry is set through the CSSOM, which CSP allows).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** A simple accessible data table with a caption (also the text alternative of charts). */
export function simpleTable(caption: string, head: string[], rows: string[][], align?: ('start' | 'end')[], testId?: string): HTMLElement {
  const t = h(
    'table',
    { class: 'data', 'data-testid': testId },
    h('caption', null, caption),
    h('thead', null, h('tr', null, ...head.map((c, i) => h('th', { scope: 'col', class: align?.[i] === 'end' ? 'num' : null }, c)))),
    h(
      'tbody',
      null,
      ...(rows.length
        ? rows.map((r) => h('tr', null, ...r.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: align?.[i] === 'end' ? 'num' : null }, c))))
        : [h('tr', null, h('td', { colspan: head.length, class: 'none' }, 'Nothing in this range.'))]),
    ),
  );
  return h('div', { class: 'table-wrap' }, t);
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}
