// The one acquireVsCodeApi() call and the request/response client over postMessage. Replies are paired
// to requests by id; the host answers every request exactly once (result or error).
import type {
  DashboardAction,
  DashboardState,
  HostToWebview,
  ParamsOf,
  RequestMethod,
  ResultOf,
  WebviewToHost,
} from '../src/protocol/messages';
import { DASHBOARD_STATE_VERSION } from '../src/protocol/messages';

const vscode = acquireVsCodeApi<DashboardState>();

export class HostError extends Error {
  constructor(
    readonly method: RequestMethod,
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

let nextId = 1;
const pending = new Map<number, { method: RequestMethod; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const changeListeners = new Set<(what: 'usage' | 'config') => void>();

function post(msg: WebviewToHost): void {
  vscode.postMessage(msg);
}

window.addEventListener('message', (ev: MessageEvent<HostToWebview>) => {
  const msg = ev.data;
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'response') {
    const p = pending.get(msg.id);
    if (!p) return; // a reply to a request of a previous page load: nothing waits for it
    pending.delete(msg.id);
    if (msg.error !== undefined) p.reject(new HostError(p.method, msg.error));
    else p.resolve(msg.result);
  } else if (msg.type === 'changed') {
    for (const fn of changeListeners) fn(msg.what);
  }
});

export function request<M extends RequestMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const id = nextId++;
  return new Promise<ResultOf<M>>((resolve, reject) => {
    pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
    post({ type: 'request', id, method, params });
  });
}

export function onChanged(fn: (what: 'usage' | 'config') => void): void {
  changeListeners.add(fn);
}

export function sayReady(): void {
  post({ type: 'ready' });
}

export function openFile(path: string): void {
  post({ type: 'openFile', path });
}

export function runAction(action: DashboardAction): void {
  post({ type: 'action', action });
}

/** Saved state of a previous render, or undefined when absent or of another version. */
export function loadState(): DashboardState | undefined {
  const s = vscode.getState() as Partial<DashboardState> | undefined;
  return s && s.version === DASHBOARD_STATE_VERSION ? (s as DashboardState) : undefined;
}

export function saveState(s: DashboardState): void {
  vscode.setState(s);
}
