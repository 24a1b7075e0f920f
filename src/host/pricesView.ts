// "Claude Ledger: Show Prices Used": where every estimated figure's price came from (learned from Claude
// Code's own costs, the user's overrides, the bundled table, per model counts), as a Markdown preview of
// an untitled document (readable, copyable, no webview of its own). The text is src/core/pricing/pricesReport.ts.
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { pricesMarkdown } from '../core/pricing/pricesReport';
import type { QueryApi } from '../protocol/dto';

export interface PricesViewDeps {
  api: QueryApi;
  log: Logger;
}

export async function showPricesCommand(deps: PricesViewDeps): Promise<void> {
  const prices = await deps.api.query('prices', {});
  deps.log.info(`prices: ${prices.learned.length} learned keys, ${prices.estimatesByModel.length} models with estimates`);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: pricesMarkdown(prices) });
  // The preview reads best; without the built-in Markdown extension the document itself is shown.
  try {
    await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
  } catch (err) {
    deps.log.warn(`markdown preview unavailable (${String(err)}); showing the Markdown text`);
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
