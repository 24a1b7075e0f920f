// Keeps the status bar's time-relative text current between data changes: it re-renders statusView()
// with the latest snapshot and a new `now` on a timer while the item is visible (a focused window),
// never querying the store (the snapshot has what the time-relative parts need: statusForecast.ts).
// The view is handed on only when it changed, so a tick that changes nothing costs one string build.
// The clock is injected: the unit test drives it with a fake clock, the host passes the real one.
import { statusView, type StatusInput, type StatusView } from './statusText';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** How often the time-relative text is recomputed, by the age of the last event. */
export const TICK = {
  /** Last event within the burn-rate hour: "34 s ago", the rate and forecasts move. */
  recentMs: 15_000,
  recentWindowMs: 3_600_000,
  /** Older (or plan limits shown, whose "resets in 43 min" moves): minutes are enough. */
  idleMs: 60_000,
  /** After a day without events only plan limits (if any) still move. */
  idleWindowMs: 86_400_000,
} as const;

/** Milliseconds to the next recompute, or undefined when nothing on screen depends on the clock. */
export function nextTickMs(input: Pick<StatusInput, 'snapshot' | 'limits'>, nowMs: number): number | undefined {
  const last = input.snapshot?.lastEventAt ? Date.parse(input.snapshot.lastEventAt) : NaN;
  const age = Number.isFinite(last) ? nowMs - last : Infinity;
  if (age < TICK.recentWindowMs) return TICK.recentMs;
  if (age < TICK.idleWindowMs || input.limits) return TICK.idleMs;
  return undefined;
}

export type PresenterInput = Omit<StatusInput, 'now'>;

export class StatusPresenter {
  private timer: unknown;
  private visible = true;
  private last: StatusView | undefined;
  private disposed = false;
  /** Renders done (statusView calls), for tests: a tick costs one render and no query. */
  renders = 0;

  constructor(
    private readonly clock: Clock,
    /** The current data and settings (the host's latest snapshot, limits, receiver state, settings). */
    private readonly input: () => PresenterInput,
    /** Called with a view that differs from the previous one (text, tooltip or colour). */
    private readonly onView: (view: StatusView, changed: boolean) => void,
  ) {}

  /** Data, state or settings changed, or a tick is due: render now and schedule the next tick. */
  render(): StatusView {
    const input = this.input();
    const nowMs = this.clock.now();
    const view = statusView({ ...input, now: new Date(nowMs) });
    this.renders++;
    const changed = !this.last || this.last.text !== view.text || this.last.tooltip !== view.tooltip || this.last.background !== view.background;
    this.last = view;
    this.onView(view, changed);
    this.schedule(input, nowMs);
    return view;
  }

  /** The item can be seen (window focused) or not: ticks run only while visible; becoming visible renders at once. */
  setVisible(visible: boolean): void {
    if (this.visible === visible) return;
    this.visible = visible;
    if (visible) this.render();
    else this.cancel();
  }

  private schedule(input: PresenterInput, nowMs: number): void {
    this.cancel();
    if (this.disposed || !this.visible) return;
    const ms = nextTickMs(input, nowMs);
    if (ms !== undefined) this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.disposed) this.render();
    }, ms);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.cancel();
  }
}
