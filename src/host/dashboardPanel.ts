// Host side of the dashboard webview: one panel (revealed if open), restored after a reload by a
// serializer, strict CSP with a nonce per render, resources only from dist/webview, no retained context
// (the page rebuilds from its saved state when shown again). One handler per request method: the
// mapped type below makes a missing handler a compile error. Requests are answered once (result or
// error); "changed" is throttled and sent only while the panel is visible (a hidden panel refetches
// when it becomes visible again).
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { RANGE_KEYS, SESSION_SORTS, type QueryApi, type RangeSpec } from '../protocol/dto';
import type {
  DashboardFileDto,
  DashboardAction,
  HostToWebview,
  ParamsOf,
  RequestMethod,
  ResultOf,
  WebviewToHost,
} from '../protocol/messages';
import { REQUEST_METHODS } from '../protocol/messages';
import { tagged, type Logger } from '../core/log';
import { dashboardHtml } from './dashboardHtml';
import { overviewOf } from '../core/dashboard/overview';

export const DASHBOARD_VIEW_TYPE = 'claudeLedger.dashboard';

/** Every limit of the dashboard host, with its reason. */
export interface DashboardLimits {
  /** Coalesces bursts of ingests into one refetch; ~5 redraws/s stays smooth and cheap. */
  changedThrottleMs: number;
  /** Upper bound on rows a view may ask for (sessions, files): the page draws every row it gets. */
  maxRows: number;
  /** Files checked on disk per answer (a stat each); more than the view shows is wasted work. */
  maxExistsChecks: number;
}
export const DEFAULT_DASHBOARD_LIMITS: DashboardLimits = { changedThrottleMs: 200, maxRows: 1000, maxExistsChecks: 1000 };

export interface DashboardDeps {
  api: QueryApi;
  /** Fires when stored data changed (ingest, clear, retention). */
  onDidChange: (fn: () => void) => vscode.Disposable;
  log: Logger;
  workspaceFolders: () => readonly vscode.WorkspaceFolder[] | undefined;
  /** Budgets for the burn-rate figures; absent = none configured. */
  budgets?: () => { dailyUsd: number | null; monthlyUsd: number | null };
  limits?: Partial<DashboardLimits>;
}

export class BadParamsError extends Error {
  constructor(method: string, what: string) {
    super(`${method}: ${what}`);
    this.name = 'BadParamsError';
  }
}

type Handlers = { [M in RequestMethod]: (params: unknown) => Promise<ResultOf<M>> };

function obj(method: string, p: unknown): Record<string, unknown> {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new BadParamsError(method, 'params must be an object');
  return p as Record<string, unknown>;
}
function range(method: string, p: Record<string, unknown>): RangeSpec {
  const r = p.range as { key?: unknown } | undefined;
  if (!r || typeof r !== 'object' || !RANGE_KEYS.includes(r.key as never)) throw new BadParamsError(method, `range.key must be one of ${RANGE_KEYS.join(', ')}`);
  return { key: r.key as RangeSpec['key'] };
}
function limit(method: string, p: Record<string, unknown>, max: number): number {
  const n = p.limit;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw new BadParamsError(method, `limit must be an integer in 1..${max}`);
  return n;
}
function optString(method: string, p: Record<string, unknown>, key: string): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 500) throw new BadParamsError(method, `${key} must be a non-empty string`);
  return v;
}

/** Where a file sits relative to the open workspace folders. */
export function relativeToWorkspace(file: string, folders: readonly { name: string; fsPath: string }[]): { displayPath: string; folder: string | null } {
  for (const f of folders) {
    const rel = path.relative(f.fsPath, file);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
      return { displayPath: folders.length > 1 ? `${f.name}/${rel.split(path.sep).join('/')}` : rel.split(path.sep).join('/'), folder: f.name };
    }
  }
  return { displayPath: file, folder: null };
}

async function exists(file: string): Promise<boolean | null> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    return null; // permission or I/O problem: unknown, not "missing"
  }
}

export function registerDashboard(context: vscode.ExtensionContext, deps: DashboardDeps): { open(): void } {
  const log = tagged(deps.log, 'dashboard');
  const limits = { ...DEFAULT_DASHBOARD_LIMITS, ...deps.limits };
  const root = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
  let current: vscode.WebviewPanel | undefined;

  const folders = () => (deps.workspaceFolders() ?? []).map((f) => ({ name: f.name, fsPath: f.uri.fsPath }));

  const handlers: Handlers = {
    'overview/get': async (raw) => {
      const p = obj('overview/get', raw);
      const r = range('overview/get', p);
      return overviewOf(deps.api, r, deps.budgets?.() ?? { dailyUsd: null, monthlyUsd: null });
    },
    'sessions/list': async (raw) => {
      const p = obj('sessions/list', raw);
      const sort = SESSION_SORTS.find((k) => k === p.sort);
      if (p.sort !== undefined && sort === undefined) throw new BadParamsError('sessions/list', 'bad sort');
      const repo = optString('sessions/list', p, 'repo');
      const model = optString('sessions/list', p, 'model');
      return deps.api.query('sessions', {
        range: range('sessions/list', p),
        limit: limit('sessions/list', p, limits.maxRows),
        ...(sort ? { sort } : {}),
        ...(repo ? { repo } : {}),
        ...(model ? { model } : {}),
      });
    },
    'sessions/timeline': async (raw) => {
      const p = obj('sessions/timeline', raw);
      const sessionId = optString('sessions/timeline', p, 'sessionId');
      if (!sessionId) throw new BadParamsError('sessions/timeline', 'sessionId is required');
      return deps.api.query('sessionTimeline', { sessionId });
    },
    'files/list': async (raw) => {
      const p = obj('files/list', raw);
      const dto = await deps.api.query('filesEdited', { range: range('files/list', p), limit: limit('files/list', p, limits.maxRows) });
      const fs = folders();
      const files = await Promise.all(
        dto.files.map(async (f, i): Promise<DashboardFileDto> => {
          const where = relativeToWorkspace(f.path, fs);
          return { ...f, displayPath: where.displayPath, workspaceFolder: where.folder, exists: i < limits.maxExistsChecks ? await exists(f.path) : null };
        }),
      );
      return { range: dto.range, files };
    },
    'acceptance/get': async (raw) => deps.api.query('acceptance', { range: range('acceptance/get', obj('acceptance/get', raw)) }),
    'tools/get': async (raw) => {
      const r = range('tools/get', obj('tools/get', raw));
      const [tools, errors] = await Promise.all([deps.api.query('toolStats', { range: r }), deps.api.query('apiErrors', { range: r })]);
      return { tools, errors };
    },
    'status/get': async () => deps.api.query('status', {}),
    'limits/get': async () => deps.api.query('planLimits', {}),
    'productivity/get': async (raw) => deps.api.query('productivity', { range: range('productivity/get', obj('productivity/get', raw)) }),
  };

  async function openFile(file: string): Promise<void> {
    const fs = folders();
    // Telemetry paths are absolute; a relative one is taken relative to the first workspace folder.
    const abs = path.isAbsolute(file) ? file : fs[0] ? path.join(fs[0].fsPath, file) : undefined;
    if (!abs) {
      void vscode.window.showWarningMessage(`Cannot open ${file}: no workspace folder to resolve it against.`);
      return;
    }
    const present = await exists(abs);
    if (present === false) {
      void vscode.window.showWarningMessage(`${relativeToWorkspace(abs, fs).displayPath} no longer exists.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(abs), { preview: true });
  }

  async function runAction(action: DashboardAction): Promise<void> {
    if (action === 'openReportingTerminal') {
      // Terminals created by VS Code carry the telemetry environment (terminalEnv.ts contributes it).
      vscode.window.createTerminal({ name: 'Claude Code' }).show();
    } else if (action === 'setupEverywhere') {
      await vscode.commands.executeCommand('claudeLedger.setupEverywhere');
    } else if (action === 'showPrices') {
      await vscode.commands.executeCommand('claudeLedger.showPrices');
    }
  }

  function attach(panel: vscode.WebviewPanel): void {
    current = panel;
    const subs: vscode.Disposable[] = [];
    let ready = false;
    let dirty = false;
    let timer: NodeJS.Timeout | undefined;

    const post = (m: HostToWebview) => {
      void panel.webview.postMessage(m).then(undefined, (e: unknown) => log.warn(`postMessage failed: ${String(e)}`));
    };
    const flushChanged = () => {
      timer = undefined;
      if (!ready || !panel.visible) {
        dirty = true;
        return;
      }
      dirty = false;
      post({ type: 'changed', what: 'usage' });
    };

    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
    const nonce = randomBytes(16).toString('base64');
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      nonce,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.css')).toString(),
    });

    subs.push(
      panel.webview.onDidReceiveMessage(async (msg: WebviewToHost) => {
        if (!msg || typeof msg !== 'object') return;
        switch (msg.type) {
          case 'ready':
            ready = true;
            dirty = false; // the page fetches everything right after ready
            return;
          case 'request': {
            const { id, method } = msg;
            if (typeof id !== 'number') return log.warn('request without a numeric id dropped');
            if (!REQUEST_METHODS.includes(method)) return post({ type: 'response', id, error: `unknown method ${String(method)}` });
            try {
              const result = await (handlers[method] as (p: unknown) => Promise<unknown>)(msg.params);
              post({ type: 'response', id, result });
            } catch (e) {
              const text = e instanceof Error ? e.message : String(e);
              log.warn(`${method} failed: ${text}`);
              post({ type: 'response', id, error: text });
            }
            return;
          }
          case 'openFile':
            if (typeof msg.path !== 'string' || msg.path.length === 0) return log.warn('openFile without a path dropped');
            return openFile(msg.path).catch((e: unknown) => {
              log.error(`openFile ${msg.path}: ${String(e)}`);
              void vscode.window.showErrorMessage(`Could not open ${msg.path}: ${String(e)}`);
            });
          case 'action':
            return runAction(msg.action).catch((e: unknown) => log.error(`action ${msg.action}: ${String(e)}`));
          default:
            log.warn(`unknown message from the dashboard: ${String((msg as { type?: unknown }).type)}`);
        }
      }),
      deps.onDidChange(() => {
        if (!timer) timer = setTimeout(flushChanged, limits.changedThrottleMs);
      }),
      panel.onDidChangeViewState(() => {
        // Without retained context a hidden page is torn down and rebuilt when shown; it then says
        // ready again and fetches everything, so nothing missed while hidden needs replaying.
        if (!panel.visible) ready = false;
        else if (dirty && ready) flushChanged();
      }),
    );
    panel.onDidDispose(() => {
      if (timer) clearTimeout(timer);
      for (const s of subs) s.dispose();
      if (current === panel) current = undefined;
    });
  }

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        // The page restores its own saved state (vscode.getState); the host only re-attaches.
        attach(panel);
      },
    }),
  );

  return {
    open(): void {
      if (current) {
        current.reveal();
        return;
      }
      const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Claude Code Ledger', vscode.ViewColumn.Active, {
        enableScripts: true,
        enableCommandUris: false,
        retainContextWhenHidden: false,
        localResourceRoots: [root],
      });
      panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
      attach(panel);
    },
  };
}
