// "Export Usage CSV…": dataset and range pickers, a save dialog with a dated name, then a streamed
// write (pages from the store or the leader) under a cancellable progress notification, so a million
// rows never block the editor. The writer is shared with `node dist/cli.js export`.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CsvExportCancelled, defaultCsvName, writeCsvFile } from '../core/export/csv';
import type { Logger } from '../core/log';
import { EXPORT_DATASETS, type ExportDataset, type RangeKey, type RangeSpec } from '../protocol/dto';

export interface ExportDeps {
  log: Logger;
  rows(dataset: ExportDataset, range: RangeSpec): AsyncIterable<Record<string, string | number | null>[]>;
}

/** Quick pick text per dataset, in EXPORT_DATASETS order; a dataset without its entry is a compile error. */
const DATASETS: Record<ExportDataset, { label: string; detail: string }> = {
  requests: { label: 'API requests', detail: 'One row per request: time, session, model, tokens by type, cost_usd' },
  sessions: { label: 'Sessions', detail: 'One row per session: start, end, requests, cost_usd, lines changed' },
  daily: { label: 'Daily totals by model', detail: 'One row per day and model' },
  files: { label: 'Files edited', detail: 'One row per file: edits, accepts, rejects, lines' },
  tools: { label: 'Tools', detail: 'One row per tool: calls, failures, success rate, p50/p95 duration' },
};

const RANGES: { key: RangeKey | 'custom'; label: string }[] = [
  { key: 'today', label: 'Today' },
  { key: '7d', label: 'Last 7 days' },
  { key: '30d', label: 'Last 30 days' },
  { key: 'month', label: 'This month' },
  { key: 'all', label: 'All time' },
  { key: 'custom', label: 'Custom…' },
];

export async function exportCsvCommand(d: ExportDeps): Promise<void> {
  const ds = await vscode.window.showQuickPick(
    EXPORT_DATASETS.map((id) => ({ label: DATASETS[id].label, detail: DATASETS[id].detail, id })),
    // A two-step flow: a webview or terminal taking focus (e.g. the dashboard becoming active) must not drop it.
    { title: 'Export Usage CSV (1/2): what', placeHolder: 'Choose the data to export', ignoreFocusOut: true },
  );
  if (!ds) return;
  const r = await vscode.window.showQuickPick(
    RANGES.map((x) => ({ label: x.label, key: x.key })),
    { title: 'Export Usage CSV (2/2): when', placeHolder: 'Choose the time range (local time)', ignoreFocusOut: true },
  );
  if (!r) return;
  let range: RangeSpec;
  let rangeLabel: string;
  if (r.key === 'custom') {
    const from = await askDay('From (first day, YYYY-MM-DD)');
    if (!from) return;
    const to = await askDay('To (last day, inclusive, YYYY-MM-DD)', from);
    if (!to) return;
    const end = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1);
    range = { from: from.toISOString(), to: end.toISOString() };
    rangeLabel = `${ymd(from)}_${ymd(to)}`;
  } else {
    range = { key: r.key };
    rangeLabel = r.key;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
  const target = await vscode.window.showSaveDialog({
    title: 'Export Usage CSV',
    defaultUri: vscode.Uri.file(path.join(folder, defaultCsvName(ds.id, rangeLabel, new Date()))),
    filters: { 'CSV (UTF-8)': ['csv'] },
    saveLabel: 'Export',
  });
  if (!target) return;

  const started = Date.now();
  let rows: number;
  try {
    rows = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Exporting ${ds.label.toLowerCase()}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return writeCsvFile(target.fsPath, d.rows(ds.id, range), {
          signal: ac.signal,
          onProgress: (n) => progress.report({ message: `${n.toLocaleString('en-US')} rows` }),
        });
      },
    );
  } catch (err) {
    if (err instanceof CsvExportCancelled) {
      d.log.info(`CSV export of ${ds.id} cancelled; partial file removed`);
      void vscode.window.showInformationMessage('CSV export cancelled; no file was left behind.');
      return;
    }
    d.log.error(`CSV export of ${ds.id} to ${target.fsPath} failed: ${(err as Error)?.stack ?? String(err)}`);
    void vscode.window.showErrorMessage(`CSV export failed: ${(err as Error)?.message ?? String(err)}`);
    return;
  }
  d.log.info(`CSV export: ${rows} ${ds.id} rows (${rangeLabel}) to ${target.fsPath} in ${Date.now() - started} ms`);
  const choice = await vscode.window.showInformationMessage(`Exported ${rows.toLocaleString('en-US')} rows to ${path.basename(target.fsPath)}.`, 'Open', 'Reveal');
  if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', target);
  if (choice === 'Reveal') await vscode.commands.executeCommand('revealFileInOS', target);
}

async function askDay(prompt: string, notBefore?: Date): Promise<Date | undefined> {
  const v = await vscode.window.showInputBox({
    prompt,
    placeHolder: ymd(new Date()),
    validateInput: (s) => {
      const d = parseDay(s);
      if (!d) return 'Use YYYY-MM-DD';
      if (notBefore && d < notBefore) return 'The last day must not be before the first day';
      return undefined;
    },
  });
  return v === undefined ? undefined : parseDay(v);
}

/** Local midnight of a YYYY-MM-DD day (ranges follow the user's clock). */
function parseDay(s: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getMonth() === Number(m[2]) - 1 ? d : undefined;
}

function ymd(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
