// The status bar item: `$(pulse) $3.42`, a Markdown tooltip, budget colours and notifications.
// Queries the store only when data changed (store.onDidChange / the leader's long poll), when the
// receiver state or the relevant settings change, and at local midnight (when "today" starts over).
// Between those, StatusPresenter (src/core/statusPresenter.ts) recomputes the time-relative parts
// ("2 min ago", the last-hour rate, forecasts) on a timer while the window is focused, from the last
// snapshot: no store query, and the item is touched only when its text changed.
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { LedgerSettings } from '../core/settings';
import { budgetMessage, pendingAlerts, type ReceiverState, type StatusView, type TooltipSection } from '../core/statusText';
import { StatusPresenter, realClock } from '../core/statusPresenter';
import type { QueryApi, StatusSnapshotDto } from '../protocol/dto';
import type { PlanLimitsDto } from '../protocol/limitsDto';
import { limitAlerts, limitMessage, pendingLimitAlerts, type LimitAlert } from '../core/limitsText';

export const STATUS_ITEM_ID = 'claudeLedger.status';
const NOTIFIED_KEY = 'claudeLedger.budgetAlertsNotified';
const LIMITS_NOTIFIED_KEY = 'claudeLedger.limitAlertsNotified';

/** Coalesces bursts of changes (one ingest per signal every second) into one status query. */
const REFRESH_DEBOUNCE_MS = 150;

export interface StatusBarDeps {
  api: QueryApi;
  log: Logger;
  getSettings(): LedgerSettings;
  getState(): ReceiverState;
  /** Budget notifications come from the leader window only, so several windows do not all notify. */
  isLeader(): boolean;
  globalState: vscode.Memento;
  /** Called with every new snapshot (the walkthrough ticks "Run claude" on the first OTLP data). */
  onSnapshot?(s: StatusSnapshotDto): void;
  /** More tooltip blocks (e.g. other listeners, forwarding), read at every render. */
  extraSections?(): TooltipSection[];
}

export class StatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private snapshot: StatusSnapshotDto | undefined;
  private limits: PlanLimitsDto | undefined;
  private timer: NodeJS.Timeout | undefined;
  private midnight: NodeJS.Timeout | undefined;
  private inFlight = false;
  private again = false;
  private disposed = false;
  private readonly presenter: StatusPresenter;
  private readonly windowState: vscode.Disposable;

  constructor(private readonly deps: StatusBarDeps) {
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Claude Code Ledger';
    this.item.command = 'claudeLedger.openDashboard';
    this.presenter = new StatusPresenter(realClock, () => this.input(), (view, changed) => this.apply(view, changed));
    // Ticks run while the window is focused (the item is in sight); focusing it again renders at once.
    this.presenter.setVisible(vscode.window.state.focused);
    this.windowState = vscode.window.onDidChangeWindowState((s) => this.presenter.setVisible(s.focused));
    this.render();
    this.item.show();
    this.scheduleMidnight();
  }

  /** Data or role changed: fetch a new snapshot soon. */
  refresh(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fetch(), REFRESH_DEBOUNCE_MS);
  }

  /** State or settings changed: redraw now from what we have. */
  render(): void {
    if (this.disposed) return;
    this.presenter.render();
  }

  private input() {
    const settings = this.deps.getSettings();
    const state = this.deps.getState();
    return {
      state,
      snapshot: state.kind === 'error' ? undefined : this.snapshot,
      show: settings.statusBarShow,
      budgets: { dailyUsd: settings.budgetDailyUsd, monthlyUsd: settings.budgetMonthlyUsd },
      limits: this.limits?.latest ?? null,
      extraSections: this.deps.extraSections?.() ?? [],
    };
  }

  private apply(view: StatusView, changed: boolean): void {
    if (changed) {
      this.item.text = view.text;
      const md = new vscode.MarkdownString(view.tooltip, true);
      md.isTrusted = { enabledCommands: ['claudeLedger.openDashboard', 'claudeLedger.showLog', 'workbench.action.openSettings'] };
      this.item.tooltip = md;
      this.item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
      this.item.accessibilityInformation = { label: `Claude Code Ledger: ${view.text.replace(/\$\([^)]*\)\s*/g, '')}`, role: 'button' };
    }
    const settings = this.deps.getSettings();
    if (this.deps.isLeader() && view.alerts.length > 0) this.notifyBudgets(view.alerts);
    if (this.deps.isLeader() && settings.limitsNotifications) {
      const la = limitAlerts(this.limits?.latest, new Date());
      if (la.length > 0) this.notifyLimits(la);
    }
  }

  private async fetch(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      this.snapshot = await this.deps.api.query('status', {});
      this.deps.onSnapshot?.(this.snapshot);
      try {
        this.limits = await this.deps.api.query('planLimits', {});
      } catch (err) {
        // A leader of an older build answers 400 for an unknown query: no limits then, spend still shows.
        this.deps.log.debug(`planLimits query failed: ${(err as Error)?.message ?? String(err)}`);
      }
      this.render();
    } catch (err) {
      // Shown as the state line in the tooltip by the receiver state; logged so it is never silent.
      this.deps.log.warn(`status query failed: ${(err as Error)?.message ?? String(err)}`);
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  }

  private notifyBudgets(alerts: Parameters<typeof pendingAlerts>[0]): void {
    const stored = this.deps.globalState.get<string[]>(NOTIFIED_KEY, []);
    const { notify, remember } = pendingAlerts(alerts, new Set(stored));
    if (notify.length === 0) return;
    // Keep only ids of the current periods (the ids embed day/month), so the list stays small.
    const current = new Set(alerts.map((a) => a.id.split(':').slice(0, 2).join(':')));
    const kept = stored.filter((id) => current.has(id.split(':').slice(0, 2).join(':')));
    void this.deps.globalState.update(NOTIFIED_KEY, [...new Set([...kept, ...remember])]);
    for (const a of notify) {
      const show = (m: string, ...items: string[]) =>
        a.percent === 100 ? vscode.window.showErrorMessage(m, ...items) : vscode.window.showWarningMessage(m, ...items);
      void show(budgetMessage(a), 'Open Dashboard', 'Budget Settings').then((choice) => {
        if (choice === 'Open Dashboard') void vscode.commands.executeCommand('claudeLedger.openDashboard');
        if (choice === 'Budget Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'claudeLedger.budget');
      });
    }
  }

  /** One notification per plan window instance and threshold (ids embed the window's reset time). */
  private notifyLimits(alerts: LimitAlert[]): void {
    const stored = this.deps.globalState.get<string[]>(LIMITS_NOTIFIED_KEY, []);
    const { notify, remember } = pendingLimitAlerts(alerts, new Set(stored));
    if (notify.length === 0) return;
    // Keep the ids of the current windows only, so the list stays small.
    const current = new Set(alerts.map((a) => a.id.split(':').slice(0, 3).join(':')));
    const kept = stored.filter((id) => current.has(id.split(':').slice(0, 3).join(':')));
    void this.deps.globalState.update(LIMITS_NOTIFIED_KEY, [...new Set([...kept, ...remember])]);
    for (const a of notify) {
      const show = (m: string, ...items: string[]) =>
        a.percent === 95 ? vscode.window.showErrorMessage(m, ...items) : vscode.window.showWarningMessage(m, ...items);
      void show(limitMessage(a, new Date()), 'Open Dashboard').then((choice) => {
        if (choice === 'Open Dashboard') void vscode.commands.executeCommand('claudeLedger.openDashboard');
      });
    }
  }

  private scheduleMidnight(): void {
    const now = new Date();
    const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 0, 1);
    this.midnight = setTimeout(() => {
      this.refresh();
      this.scheduleMidnight();
    }, next.getTime() - now.getTime());
  }

  dispose(): void {
    this.disposed = true;
    this.presenter.dispose();
    this.windowState.dispose();
    clearTimeout(this.timer);
    clearTimeout(this.midnight);
    this.item.dispose();
  }
}
