// The walkthrough's steps tick when what they describe happened (package.json contributes.walkthroughs).
// Two ways, because VS Code's walkthrough service is created lazily (the first time a walkthrough is
// shown): completion events that happen before that (`onCommand:`, a context key that changed) are never
// seen, and a context key already true when the service starts is remembered without ticking the step.
//  1. the context key of `completionEvents: ["onContext:<key>"]`, set once per window: ticks the step
//     when the walkthrough is open at that moment;
//  2. `welcome.markStepComplete` (VS Code's own "Mark Step Complete" command) with the step's id: creates
//     the service and stores the step as done, so the step shows ticked whenever it is opened later.
// One table, so package.json and the host cannot name different keys or steps
// (test/unit/commandsContributed.test.ts checks every onContext key and step id is in it).
import * as vscode from 'vscode';
import type { Logger } from '../core/log';

/** Walkthrough id in package.json. */
export const WALKTHROUGH_ID = 'claudeLedger.gettingStarted';

export const WALKTHROUGH_EVENTS = {
  /** The receiver listens, or another window's receiver serves this one. */
  receiverReady: { context: 'claudeLedger.receiverReady', step: 'receiver' },
  /** The store holds OTLP telemetry (a Claude Code run reached the receiver). */
  receivedTelemetry: { context: 'claudeLedger.receivedTelemetry', step: 'runClaude' },
  /** The dashboard panel was shown in this window. */
  dashboardOpened: { context: 'claudeLedger.dashboardOpened', step: 'dashboard' },
  /** "Connect Claude Code to MCP" finished. */
  mcpConnected: { context: 'claudeLedger.mcpConnected', step: 'mcp' },
} as const;

export type WalkthroughEvent = keyof typeof WALKTHROUGH_EVENTS;

let extensionId: string | undefined;
let log: Logger | undefined;
const done = new Set<WalkthroughEvent>();

export function initWalkthrough(id: string, logger: Logger): void {
  extensionId = id;
  log = logger;
}

/** Marks a walkthrough event as happened (once per window). */
export function walkthroughEvent(e: WalkthroughEvent): void {
  if (done.has(e)) return;
  done.add(e);
  const { context, step } = WALKTHROUGH_EVENTS[e];
  void vscode.commands.executeCommand('setContext', context, true);
  if (extensionId === undefined) return;
  const stepId = `${extensionId}#${WALKTHROUGH_ID}#${step}`;
  // Stored before VS Code looks the step up, so it holds even when the walkthrough is not registered
  // yet (the command then rejects); a VS Code without the command keeps way 1.
  vscode.commands.executeCommand('welcome.markStepComplete', stepId).then(undefined, (err: unknown) => {
    log?.debug(`walkthrough step ${stepId}: ${(err as Error)?.message ?? String(err)}`);
  });
}
