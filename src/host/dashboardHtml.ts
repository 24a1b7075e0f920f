// The dashboard page and its Content Security Policy. Kept free of `vscode` so the webview test serves
// byte-for-byte the same page and CSP header from a loopback server (test/webview/dashboard.test.ts).
//
// CSP: nothing by default; scripts only with this render's nonce; styles, fonts and images only from the
// webview resource origin (cspSource). No 'unsafe-inline' for styles: Lit (vscode-elements) adopts
// constructable stylesheets, Chart.js and our code set geometry through the CSSOM, and the test fails
// on any violation. No connect-src: the page talks to the host only through postMessage.

export interface DashboardHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** Fresh per render (randomBytes(16) base64). */
  nonce: string;
  /** asWebviewUri(dist/webview/main.js) and main.css, as strings. */
  scriptUri: string;
  styleUri: string;
}

export function dashboardCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function dashboardHtml(o: DashboardHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(dashboardCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Claude Code Ledger</title>
<link rel="stylesheet" href="${esc(o.styleUri)}">
</head>
<body>
<noscript>The dashboard needs scripts enabled.</noscript>
<script type="module" nonce="${esc(o.nonce)}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}
