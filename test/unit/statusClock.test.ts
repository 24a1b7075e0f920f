// The status bar's time-relative text recomputed on a FAKE clock (no sleeps): StatusPresenter re-renders
// from the snapshot it already has when the clock moves; no new data, no store query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusSnapshotDto } from '../../src/protocol/dto';
import { StatusPresenter, TICK, type Clock, type PresenterInput } from '../../src/core/statusPresenter';
import { FORECAST_MIN, lastHourRate, timeRelative } from '../../src/core/statusForecast';
import type { StatusView } from '../../src/core/statusText';
import { toLocalIso } from '../../src/core/time/range';

/** A clock whose time moves only when the test says so; due timers run in time order. */
class FakeClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  pending(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

// Local times (the tooltip shows local clock times): 2026-12-01 20:20:13, the first use of the month.
const T0 = new Date(2026, 11, 1, 20, 20, 13).getTime();
const BUCKET = 15 * 60_000;

function snapshotAt(nowMs: number, over: Partial<StatusSnapshotDto> = {}): StatusSnapshotDto {
  const bucket = Math.floor(nowMs / BUCKET) * BUCKET;
  return {
    todayUsd: 0.3, monthUsd: 0.3, currentSession: { sessionId: 's1', costUsd: 0.3 },
    todayTokens: { input: 10, output: 20, cacheRead: 0, cacheCreation: 0 }, cacheHitRateToday: 0, cacheSavingsTodayUsd: 0,
    lastHourUsdPerHour: 0.3, forecastTodayUsd: 0, forecastMonthUsd: 0, modelMixToday: [{ model: 'claude-opus-4-8', costUsd: 0.3 }],
    sessionsToday: 1, requestsToday: 3, lastEventAt: toLocalIso(nowMs), estimatedToday: false, dataVersion: 5,
    asOfMs: nowMs, recentBuckets: [{ startMs: bucket, costUsd: 0.3 }], firstUsageTodayMs: nowMs - 3 * 60_000, firstUsageMonthMs: nowMs - 3 * 60_000, otlpReceived: true,
    ...over,
  };
}

function setup(snapshot: StatusSnapshotDto, over: Partial<PresenterInput> = {}) {
  const clock = new FakeClock(T0);
  const views: StatusView[] = [];
  let inputReads = 0;
  const p = new StatusPresenter(
    clock,
    () => {
      inputReads++;
      return { state: { kind: 'listening', port: 4318 }, snapshot, show: 'today', budgets: { dailyUsd: 0, monthlyUsd: 0 }, limits: null, ...over };
    },
    (v, changed) => {
      if (changed) views.push(v);
    },
  );
  p.render();
  return { clock, views, p, inputReads: () => inputReads, last: () => views[views.length - 1] };
}

test('"0 s ago" becomes "2 min ago" when the clock advances, with no new data and no query', () => {
  const { clock, p, last, inputReads } = setup(snapshotAt(T0));
  assert.match(last().tooltip, /Last event: 20:20:13 \(0 s ago\)/);
  clock.advance(120_000);
  assert.match(last().tooltip, /Last event: 20:20:13 \(2 min ago\)/);
  // One render per 15-second tick, each from the held snapshot (the presenter has no store to query).
  assert.equal(p.renders, 1 + 120_000 / TICK.recentMs);
  assert.equal(inputReads(), p.renders);
  p.dispose();
  assert.equal(clock.pending(), 0, 'dispose stops the timer');
});

test('the last-hour burn rate falls to $0.00/h an hour after the last usage, without new data', () => {
  const { clock, p, last } = setup(snapshotAt(T0));
  assert.match(last().tooltip, /\| Burn rate \(last hour\) \| \$0\.30\/h \|/);
  clock.advance(75 * 60_000);
  assert.match(last().tooltip, /\| Burn rate \(last hour\) \| \$0\.00\/h \|/);
  assert.match(last().tooltip, /\(1 h ago\)/);
  p.dispose();
});

test('forecasts only when the data supports them; otherwise the reason, and they appear as the clock moves', () => {
  const { clock, p, last } = setup(snapshotAt(T0));
  assert.match(last().tooltip, /\| Forecast today \| _after 1 h of use today_ \|/);
  assert.match(last().tooltip, /\| Forecast month \| _after 3 days of use this month \(day 1 of 3\)_ \|/);
  assert.doesNotMatch(last().tooltip, /Forecast (today|month) \| \$/);
  clock.advance(FORECAST_MIN.todayMs);
  assert.match(last().tooltip, /\| Forecast today \| \$0\.\d+ \|/, 'an hour after the first use, today is forecast');
  assert.match(last().tooltip, /\| Forecast month \| _after 3 days/);
  p.dispose();
});

test('month forecast: the average of whole days since the first use, for the rest of the month', () => {
  // Used since the 1st (10 whole days before the 11th), $20 before today, $1 today since 09:00.
  const now = new Date(2026, 10, 11, 12, 0, 0).getTime(); // November: 30 days
  const s = snapshotAt(now, {
    todayUsd: 1, monthUsd: 21, recentBuckets: [], firstUsageTodayMs: new Date(2026, 10, 11, 9).getTime(), firstUsageMonthMs: new Date(2026, 10, 1, 9).getTime(),
  });
  const t = timeRelative(s, now);
  assert.deepEqual(t.today, { usd: 1 }, 'no usage in the last hour: today stays at what was spent');
  // $20 over 10 days = $2/day; 19 days after today: 20 + 1 + 2 * 19 = 59.
  assert.ok('usd' in t.month && Math.abs(t.month.usd - 59) < 1e-9, JSON.stringify(t.month));
  // Two whole days of history are not enough.
  const early = timeRelative({ ...s, firstUsageMonthMs: new Date(2026, 10, 9, 9).getTime() }, now);
  assert.deepEqual(early.month, { unavailable: 'after 3 days of use this month (day 3 of 3)' });
});

test('lastHourRate counts the oldest bucket by the fraction inside the hour', () => {
  const now = 10 * BUCKET + 5 * 60_000; // window starts 5 min into bucket 6
  assert.equal(lastHourRate([{ startMs: 6 * BUCKET, costUsd: 3 }, { startMs: 9 * BUCKET, costUsd: 1 }, { startMs: 5 * BUCKET, costUsd: 100 }], now), 3 * (10 / 15) + 1);
});

test('ticks run only while visible; becoming visible renders at once; idle data stops ticking', () => {
  const { clock, p, last, views } = setup(snapshotAt(T0));
  p.setVisible(false);
  assert.equal(clock.pending(), 0);
  clock.advance(10 * 60_000);
  assert.match(last().tooltip, /\(0 s ago\)/, 'nothing recomputed while hidden');
  p.setVisible(true);
  assert.match(last().tooltip, /\(10 min ago\)/);
  const n = views.length;
  p.dispose();
  assert.equal(views.length, n);

  // Last event two days ago, no plan limits: nothing on screen depends on the clock.
  const idle = setup(snapshotAt(T0 - 2 * 86_400_000));
  assert.equal(idle.clock.pending(), 0);
  idle.p.dispose();
});

test('a tick that changes nothing does not hand on a changed view', () => {
  // Last event 5 h ago: "5 h ago" stays the same over a few minute ticks.
  const { clock, p, views } = setup(snapshotAt(T0 - 5 * 3_600_000 - 60_000));
  const before = views.length;
  clock.advance(3 * TICK.idleMs);
  assert.equal(p.renders, 4);
  assert.equal(views.length, before, 'same text: the item is not touched');
  p.dispose();
});
