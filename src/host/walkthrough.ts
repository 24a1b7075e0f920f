// Context keys the walkthrough's steps complete on (package.json contributes.walkthroughs,
// `completionEvents: ["onContext:<key>"]`). Set once per window when the thing happened; VS Code keeps
// a ticked step ticked. One list, so package.json and the host cannot name different keys
// (test/unit/commandsContributed.test.ts checks every onContext key is one of these).
import * as vscode from 'vscode';

export const WALKTHROUGH_CONTEXT = {
  /** The receiver listens, or another window's receiver serves this one. */
  receiverReady: 'claudeLedger.receiverReady',
  /** The store holds OTLP telemetry (a Claude Code run reached the receiver). */
  receivedTelemetry: 'claudeLedger.receivedTelemetry',
  /** The dashboard panel was shown in this window. */
  dashboardOpened: 'claudeLedger.dashboardOpened',
  /** "Connect Claude Code to MCP" finished. */
  mcpConnected: 'claudeLedger.mcpConnected',
} as const;

export type WalkthroughEvent = keyof typeof WALKTHROUGH_CONTEXT;

const done = new Set<WalkthroughEvent>();

/** Marks a walkthrough event as happened (sets its context key once). */
export function walkthroughEvent(e: WalkthroughEvent): void {
  if (done.has(e)) return;
  done.add(e);
  void vscode.commands.executeCommand('setContext', WALKTHROUGH_CONTEXT[e], true);
}
