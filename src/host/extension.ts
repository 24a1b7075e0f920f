// Entry point. Two lifetimes (rust-analyzer's shape):
//  - extension lifetime: log channel, settings, status bar item, commands, providers, terminal env;
//    all created synchronously in activate(), which awaits no I/O;
//  - restartable scope: store + receiver + MCP (leader) or the leader's /api (follower), owned by
//    Leadership and rebuilt when the port changes or on "Restart Receiver".
// deactivate() returns the promise that flushes the store and releases the data-dir lock.
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { neverThrows, tagged } from '../core/log';
import type { LedgerSettings } from '../core/settings';
import { readClaudeEnvLayers } from '../server/claudeEnvLayers';
import { ensureTokenFile } from '../server/serveCommand';
import { copyShellSetup, removeSetup, setupEverywhere } from './claudeSettingsCommands';
import { registerDashboard } from './dashboardPanel';
import { connectClaudeCode, registerMcp } from './mcpProvider';
import { configImpact, readConfig, updatePort } from './config';
import { exportCsvCommand } from './exportCsv';
import { isForwardSecret, readForwardHeaders, setForwardHeaderCommand } from './forwardHeaders';
import { maybeOfferCoverageHint, runHistoryImport } from './historyImport';
import { showPricesCommand } from './pricesView';
import { Leadership } from '../server/leadership/leadership';
import { classifyLeadFailure, leaderStarter } from '../server/leadership/leaderServices';
import { StatusBar } from './statusBar';
import { removeStatusLineCommand, setupStatusLine, writeLauncher } from './statusLineCommands';
import { applyTerminalEnv } from './terminalEnv';
import { ignoreReceiverPorts, receiverPorts } from './portAttributes';
import { initWalkthrough, walkthroughEvent } from './walkthrough';

let shutdown: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('Claude Code Ledger', { log: true });
  context.subscriptions.push(channel);
  // Never throws: the channel is closed during shutdown while deactivate still logs (see neverThrows).
  const log: Logger = neverThrows(channel);
  const version = String((context.extension.packageJSON as { version?: string }).version ?? '0');
  log.info(`Claude Code Ledger ${version} activating (VS Code ${vscode.version}, pid ${process.pid})`);

  initWalkthrough(context.extension.id, tagged(log, 'walkthrough'));
  let settings: LedgerSettings = readConfig(log);
  const storageDir = context.globalStorageUri.fsPath;
  const dataDir = path.join(storageDir, 'data');
  const tokenFile = path.join(storageDir, 'token');
  const distDir = path.join(context.extensionPath, 'dist');

  // Filled in by startServices (file I/O, not awaited here). Commands that need it wait for it.
  let token: string | undefined;
  let leadership: Leadership | undefined;

  const endpointChanged = new vscode.EventEmitter<void>();
  const dataChanged = new vscode.EventEmitter<number>();
  context.subscriptions.push(endpointChanged, dataChanged);

  const statusBar = new StatusBar({
    api: { query: (m, p) => requireLeadership().query(m, p) },
    log: tagged(log, 'status'),
    getSettings: () => settings,
    getState: () => leadership?.receiverState ?? { kind: 'starting' },
    isLeader: () => leadership?.role === 'leader',
    globalState: context.globalState,
    onSnapshot: (s) => {
      if (s.otlpReceived) walkthroughEvent('receivedTelemetry');
    },
  });
  context.subscriptions.push(statusBar);

  function requireLeadership(): Leadership {
    if (!leadership) throw new Error('Claude Code Ledger is still starting');
    return leadership;
  }

  function onProblem(p: { kind: 'conflict' | 'error'; port: number; message: string }): void {
    const actions = p.kind === 'conflict' ? ['Pick Another Port', 'Show Log'] : ['Restart Receiver', 'Show Log'];
    void vscode.window.showErrorMessage(`Claude Code Ledger: ${p.message}`, ...actions).then(async (choice) => {
      if (choice === 'Show Log') channel.show();
      if (choice === 'Restart Receiver') void vscode.commands.executeCommand('claudeLedger.restartReceiver');
      if (choice === 'Pick Another Port') await pickAnotherPort(p.port);
    });
  }

  async function pickAnotherPort(busy: number): Promise<void> {
    const suggestion = await freePort().catch(() => busy + 1);
    const value = await vscode.window.showInputBox({
      title: 'Claude Code Ledger: receiver port',
      prompt: `Port ${busy} is taken. Choose a free loopback port (1024-65535); terminals opened afterwards use it.`,
      value: String(suggestion),
      validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 1024 && Number(v) <= 65535 ? undefined : 'A whole number from 1024 to 65535'),
    });
    if (value !== undefined) await updatePort(Number(value)); // the configuration change restarts the scope
  }

  // Claude Code's own settings (managed and user) decide its OTLP protocol; read them (async, small
  // files) each time the env is refreshed, so a gRPC setting there points terminals at the gRPC port.
  let envRefresh = 0;
  function refreshTerminalEnv(): void {
    if (token === undefined) return;
    const t = token;
    const mine = ++envRefresh;
    readClaudeEnvLayers().then(
      (layers) => {
        if (mine !== envRefresh) return; // a newer refresh is under way
        applyTerminalEnv(context.environmentVariableCollection, { settings, port: settings.port, token: t, log: tagged(log, 'terminal'), layers });
      },
      (err: unknown) => log.error(`terminal environment not set: ${(err as Error)?.stack ?? String(err)}`),
    );
  }

  // The status line launcher in the storage folder names this install and the current port.
  const statusLineDeps = { log: tagged(log, 'statusline'), storageDir, distDir, port: () => settings.port };
  function refreshLauncher(): void {
    writeLauncher(statusLineDeps).catch((err: unknown) => log.warn(`status line launcher not written: ${(err as Error)?.message ?? String(err)}`));
  }

  async function startServices(): Promise<void> {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    await fs.chmod(dataDir, 0o700);
    // One token per profile, shared by every window (followers authenticate to the leader with it).
    token = ensureTokenFile(tokenFile);
    refreshTerminalEnv();
    refreshLauncher();
    const l = new Leadership({
      log,
      token,
      startLeader: leaderStarter({
        dataDir, distDir, token, log, version, getSettings: () => settings,
        forwardHeaders: (names) => readForwardHeaders(context.secrets, names, tagged(log, 'forward')),
      }),
      classifyFailure: classifyLeadFailure,
      onProblem,
    });
    leadership = l;
    l.onDidChangeState(() => {
      const kind = l.receiverState.kind;
      if (kind === 'listening' || kind === 'follower') walkthroughEvent('receiverReady');
      statusBar.render();
      statusBar.refresh();
      endpointChanged.fire();
      startHistoryImport();
    });
    l.onDidChangeData((v) => {
      statusBar.refresh();
      dataChanged.fire(v);
    });
    // Before the port is bound, so VS Code's first port scan already ignores it (no "Open in Browser").
    await ignoreReceiverPorts(receiverPorts(settings.port, settings.grpcPort), tagged(log, 'ports'));
    l.start(settings.port);
  }

  // Each new leader reads what is new in the transcript history (the whole history on the first start),
  // with a progress notification when there is something to read; following continues in the store.
  let historyFor: unknown;
  function startHistoryImport(): void {
    const history = leadership?.transcripts();
    if (!history || historyFor === history) return;
    historyFor = history;
    history.onDidImport((s) => maybeOfferCoverageHint(context.globalState, s, tagged(log, 'transcripts')));
    runHistoryImport(history, tagged(log, 'transcripts'), { userAsked: false }).then(
      (s) => maybeOfferCoverageHint(context.globalState, s, tagged(log, 'transcripts')),
      (err: unknown) => log.error(`transcript import failed: ${(err as Error)?.stack ?? String(err)}`),
    );
  }

  const services = startServices().catch((err: unknown) => {
    log.error(`starting the services failed: ${(err as Error)?.stack ?? String(err)}`);
    void vscode.window.showErrorMessage(`Claude Code Ledger could not start: ${(err as Error)?.message ?? String(err)}`, 'Show Log').then((c) => {
      if (c === 'Show Log') channel.show();
    });
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      const impact = configImpact(e);
      if (!impact.restart && !impact.terminalEnv && !impact.statusBar) return;
      settings = readConfig(log);
      if (impact.terminalEnv) refreshTerminalEnv();
      if (impact.restart) refreshLauncher();
      if (impact.restart && leadership) {
        log.info('receiver settings changed; restarting the receiver');
        void ignoreReceiverPorts(receiverPorts(settings.port, settings.grpcPort), tagged(log, 'ports'));
        leadership.start(settings.port);
      }
      if (impact.statusBar) statusBar.render();
    }),
  );

  // A forwarding header's secret value changed: the leader restarts its receiver scope to send it.
  context.subscriptions.push(
    context.secrets.onDidChange((e) => {
      if (!isForwardSecret(e.key) || !leadership || leadership.role !== 'leader' || settings.forwardEndpoint === '') return;
      log.info('a forwarding header changed; restarting the receiver');
      leadership.start(settings.port);
    }),
  );

  const dashboard = registerDashboard(context, {
    api: { query: (m, p) => requireLeadership().query(m, p) },
    onDidChange: (fn) => dataChanged.event(() => fn()),
    log,
    workspaceFolders: () => vscode.workspace.workspaceFolders,
    budgets: () => ({ dailyUsd: settings.budgetDailyUsd || null, monthlyUsd: settings.budgetMonthlyUsd || null }),
  });
  const openDashboard = (): void => {
    dashboard.open();
    walkthroughEvent('dashboardOpened');
  };
  // MCP: VS Code's chat finds the leader's /mcp through this provider; Claude Code in a terminal through
  // the user-scope registration that "Connect Claude Code to MCP" writes (${CLAUDE_LEDGER_TOKEN} reference).
  const mcpEndpoint = () => (settings.mcpEnabled ? leadership?.endpoint() : undefined);
  registerMcp(context, { getEndpoint: mcpEndpoint, onDidChangeEndpoint: endpointChanged.event, log: tagged(log, 'mcp') });
  const connectClaude = async (): Promise<void> => {
    await connectClaudeCode({ getEndpoint: mcpEndpoint, log: tagged(log, 'mcp'), terminalEnvEnabled: () => settings.terminalEnvEnabled });
    walkthroughEvent('mcpConnected');
  };

  const setupDeps = { log: tagged(log, 'setup'), getSettings: () => settings, port: () => settings.port, get token() {
    if (token === undefined) throw new Error('Claude Code Ledger is still starting');
    return token;
  } };

  const command = (id: string, fn: () => unknown) =>
    vscode.commands.registerCommand(id, async () => {
      try {
        await services;
        await fn();
      } catch (err) {
        log.error(`${id} failed: ${(err as Error)?.stack ?? String(err)}`);
        void vscode.window.showErrorMessage(`Claude Code Ledger: ${(err as Error)?.message ?? String(err)}`);
      }
    });

  context.subscriptions.push(
    vscode.commands.registerCommand('claudeLedger.openDashboard', openDashboard),
    command('claudeLedger.exportCsv', () => exportCsvCommand({ log: tagged(log, 'export'), rows: (d, r) => requireLeadership().rows(d, r) })),
    command('claudeLedger.importHistory', async () => {
      if (!settings.transcriptsEnabled) {
        const c = await vscode.window.showInformationMessage(
          'Claude Ledger: transcript import is turned off (claudeLedger.transcripts.enabled).',
          'Open Setting',
        );
        if (c === 'Open Setting') void vscode.commands.executeCommand('workbench.action.openSettings', 'claudeLedger.transcripts');
        return;
      }
      const history = leadership?.transcripts();
      if (!history) {
        void vscode.window.showInformationMessage(
          'Claude Ledger: the VS Code window that receives the telemetry imports and follows Claude Code’s history; run this command there.',
        );
        return;
      }
      await runHistoryImport(history, tagged(log, 'transcripts'), { userAsked: true });
    }),
    command('claudeLedger.showPrices', () => showPricesCommand({ api: { query: (m, p) => requireLeadership().query(m, p) }, log: tagged(log, 'prices') })),
    command('claudeLedger.setupEverywhere', () => setupEverywhere(setupDeps)),
    command('claudeLedger.removeSetup', () => removeSetup(setupDeps)),
    command('claudeLedger.copyShellSetup', () => copyShellSetup(setupDeps)),
    command('claudeLedger.setupStatusLine', () => setupStatusLine(statusLineDeps)),
    command('claudeLedger.removeStatusLine', () => removeStatusLineCommand(statusLineDeps)),
    command('claudeLedger.connectClaudeCode', connectClaude),
    command('claudeLedger.setForwardHeader', () => setForwardHeaderCommand(context.secrets, settings.forwardHeaders, tagged(log, 'forward'))),
    vscode.commands.registerCommand('claudeLedger.showLog', () => channel.show()),
    command('claudeLedger.restartReceiver', () => {
      log.info('restart requested');
      requireLeadership().start(settings.port);
    }),
    command('claudeLedger.clearData', async () => {
      const ok = await vscode.window.showWarningMessage(
        'Delete all Claude Code usage data stored by Claude Code Ledger?',
        { modal: true, detail: 'Every request, session, file and rollup is removed from the local database. This cannot be undone. Claude Code itself is not affected.' },
        'Delete All Data',
      );
      if (ok !== 'Delete All Data') return;
      await requireLeadership().clearAll();
      log.info('all data cleared');
      void vscode.window.showInformationMessage('Claude Code Ledger: all usage data deleted.');
    }),
  );

  shutdown = async () => {
    await services;
    await leadership?.dispose();
  };
}

export function deactivate(): Promise<void> | undefined {
  return shutdown?.();
}

/** A free loopback port to suggest (the OS picks one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}
