// Theme colours from VS Code's --vscode-* CSS variables. VS Code sets them on <html> and puts
// vscode-light / vscode-dark / vscode-high-contrast(-light) on <body>; a theme change rewrites both,
// so charts re-read the palette when the body class changes (GitLens does the same).

export interface Palette {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  series: string[];
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
}

/** Series colours in order; the fallbacks are VS Code's own chart colours (Dark Modern). */
const SERIES_VARS: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
  ['--vscode-charts-red', '#f14c4c'],
];

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(body: HTMLElement): Palette['kind'] {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readPalette(doc: Document = document): Palette {
  const style = getComputedStyle(doc.documentElement);
  const body = getComputedStyle(doc.body);
  const fontSize = parseFloat(cssVar(style, '--vscode-font-size', '13px'));
  return {
    kind: themeKind(doc.body),
    series: SERIES_VARS.map(([n, f]) => cssVar(style, n, f)),
    foreground: cssVar(style, '--vscode-foreground', body.color || '#cccccc'),
    muted: cssVar(style, '--vscode-descriptionForeground', '#9d9d9d'),
    grid: cssVar(style, '--vscode-charts-lines', cssVar(style, '--vscode-widget-border', 'rgba(128,128,128,0.35)')),
    background: cssVar(style, '--vscode-editor-background', '#1f1f1f'),
    fontFamily: cssVar(style, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: Number.isFinite(fontSize) ? fontSize : 13,
  };
}

/** Calls `fn` whenever the body's theme class changes; returns a disposer. */
export function onThemeChange(fn: () => void, doc: Document = document): () => void {
  let last = doc.body.className;
  const mo = new MutationObserver(() => {
    if (doc.body.className === last) return;
    last = doc.body.className;
    fn();
  });
  mo.observe(doc.body, { attributes: true, attributeFilter: ['class'] });
  return () => mo.disconnect();
}
