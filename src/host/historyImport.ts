// Claude Code's transcript history in VS Code: the first pass of each leader (a new user's whole
// history on the first start) and the "Import Claude Code History" command, both with a cancellable
// progress notification (files, requests, elapsed), and the one-time coverage hint.
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { formatSummary, unreadableTotal, type ImportSummary } from '../core/transcripts/importSummary';
import type { TranscriptHistory } from '../server/leadership/leadership';
import type { ImportProgress } from '../server/transcripts/transcriptImporter';

const COVERAGE_HINT_KEY = 'claudeLedger.coverageHintShown';
/** The official Claude Code extension: its panel's sessions report no OTLP unless set up everywhere. */
const CLAUDE_CODE_EXTENSION_IDS = ['anthropic.claude-code'];

function progressText(p: ImportProgress): string {
  return `${p.filesDone.toLocaleString('en-US')} of ${p.files.toLocaleString('en-US')} files · ${p.requestsAdded.toLocaleString('en-US')} requests · ${Math.round(p.elapsedMs / 1000)} s`;
}

/**
 * Runs one import pass. The notification opens only when the pass has files to read (a pass with
 * nothing new stays silent) or when the user asked (the command). Cancelling stops after the current
 * chunk; what was imported stays and the next pass continues from there.
 */
export async function runHistoryImport(history: TranscriptHistory, log: Logger, opts: { userAsked: boolean }): Promise<ImportSummary> {
  let cancelled = false;
  let report: ((p: ImportProgress) => void) | undefined;
  let closeNotification: (() => void) | undefined;
  const open = () => {
    if (report) return;
    report = () => undefined;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Claude Ledger: importing Claude Code history', cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        let lastDone = 0;
        report = (p) => {
          const increment = p.files > 0 ? ((p.filesDone - lastDone) / p.files) * 100 : 0;
          lastDone = p.filesDone;
          progress.report({ message: progressText(p), increment });
        };
        return new Promise<void>((resolve) => (closeNotification = resolve));
      },
    );
  };
  if (opts.userAsked) open();
  try {
    const summary = await history.importNow({
      onProgress: (p) => {
        // Only once something is actually read: a pass over files with nothing new stays silent.
        if (p.bytes > 0 && p.filesDone < p.files) open();
        report?.(p);
      },
      isCancelled: () => cancelled,
    });
    log.info(formatSummary(summary).trimEnd());
    if (opts.userAsked || (summary.filesRead > 0 && summary.requestsAdded > 0)) {
      const skipped = unreadableTotal(summary);
      const text = summary.cancelled
        ? `Import cancelled: ${summary.requestsAdded.toLocaleString('en-US')} requests imported so far; the next import continues from there.`
        : `Imported ${summary.requestsAdded.toLocaleString('en-US')} requests from ${summary.filesRead.toLocaleString('en-US')} transcript files` +
          (summary.knownFromOtlp > 0 ? ` (${summary.knownFromOtlp.toLocaleString('en-US')} already known from telemetry)` : '') +
          (skipped > 0 ? `; ${skipped} unreadable lines skipped (see the log)` : '') +
          '. Costs of imported requests are estimates and are marked as such.';
      if (opts.userAsked || summary.requestsAdded > 0) {
        void vscode.window.showInformationMessage(`Claude Ledger: ${text}`, 'Open Dashboard', 'Show Log').then((c) => {
          if (c === 'Open Dashboard') void vscode.commands.executeCommand('claudeLedger.openDashboard');
          if (c === 'Show Log') void vscode.commands.executeCommand('claudeLedger.showLog');
        });
      }
    }
    return summary;
  } finally {
    closeNotification?.();
  }
}

/**
 * Offers "Set Up Claude Code Everywhere" once (never again after it was shown), when sessions run
 * outside our terminals: the official Claude Code extension is installed, or an import found
 * transcript sessions the ledger had no telemetry for.
 */
export function maybeOfferCoverageHint(state: vscode.Memento, summary: ImportSummary | undefined, log: Logger): void {
  if (state.get<boolean>(COVERAGE_HINT_KEY)) return;
  const officialExtension = CLAUDE_CODE_EXTENSION_IDS.some((id) => vscode.extensions.getExtension(id) !== undefined);
  const untracked = summary !== undefined && summary.requestsAdded > 0;
  if (!officialExtension && !untracked) return;
  void state.update(COVERAGE_HINT_KEY, true);
  const why = officialExtension
    ? 'Sessions in the Claude Code extension’s panel do not report live telemetry to the ledger'
    : 'Some Claude Code sessions ran outside VS Code terminals and are known only from their transcripts';
  log.info(`coverage hint shown: ${why}`);
  void vscode.window
    .showInformationMessage(
      `Claude Ledger: ${why}, so their costs are estimates. Set up Claude Code everywhere so every session reports its exact cost and detail?`,
      'Set Up Everywhere',
      'Not Now',
    )
    .then((c) => {
      if (c === 'Set Up Everywhere') void vscode.commands.executeCommand('claudeLedger.setupEverywhere');
    });
}
