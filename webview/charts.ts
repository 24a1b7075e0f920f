// Chart.js, tree-shaken: only the controllers, elements, scales and plugins these four charts use are
// registered (chart.js/auto would add ~40 KB gzip). Every chart is drawn next to a <table> with the same
// numbers (text alternative), the canvas has role=img and an aria-label, and colours come from the theme
// palette; `recolor` re-applies the palette after a theme change without refetching.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { ChartModel } from './model';
import { formatMs, formatPercent, scaleFormatter } from './format';
import type { Palette } from './theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Legend, Tooltip);

/** groupedBar: bars side by side (added vs removed lines), never stacked. */
export type ChartKind = 'stackedBar' | 'doughnut' | 'horizontalBar' | 'groupedBar';
/** seconds: durations (axis and tooltip as "1 h 30 m"); percent: rates 0..1 (axis 0-100 %). */
export type ValueKind = 'usd' | 'count' | 'seconds' | 'percent';

interface Live {
  chart: Chart;
  kind: ChartKind;
  model: ChartModel;
}
const live = new Set<Live>();

/**
 * The chart's one number format (axis ticks and tooltips alike), from the largest value the value axis
 * reaches: a stacked bar's tallest stack, else the largest value.
 */
function fmt(v: ValueKind, kind: ChartKind, model: ChartModel): (n: number) => string {
  if (v === 'seconds') return (n) => (n === 0 ? '0' : formatMs(n * 1000));
  if (v === 'percent') return formatPercent;
  const largest =
    kind === 'stackedBar'
      ? Math.max(0, ...model.labels.map((_, i) => model.series.reduce((n, s) => n + (s.values[i] ?? 0), 0)))
      : Math.max(0, ...model.series.flatMap((s) => s.values));
  return scaleFormatter(v, largest);
}

/** Round steps for a duration axis (seconds): 1 s ... 1 day, about five ticks. */
const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
function secondsStep(model: ChartModel, stacked: boolean): number {
  let max = 0;
  for (let i = 0; i < model.labels.length; i++) {
    const col = model.series.map((s) => (Number.isFinite(s.values[i]) ? s.values[i] : 0));
    max = Math.max(max, stacked ? col.reduce((a, b) => a + b, 0) : Math.max(0, ...col));
  }
  return SECOND_STEPS.find((s) => max / s <= 5) ?? SECOND_STEPS[SECOND_STEPS.length - 1];
}

function colorsFor(kind: ChartKind, model: ChartModel, p: Palette): string[][] {
  if (kind === 'doughnut') {
    return [model.labels.map((_, i) => p.series[i % p.series.length])];
  }
  return model.series.map((s) => model.labels.map(() => p.series[s.colorIndex % p.series.length]));
}

function config(kind: ChartKind, model: ChartModel, p: Palette, value: ValueKind): ChartConfiguration {
  const f = fmt(value, kind, model);
  const colors = colorsFor(kind, model, p);
  const hc = p.kind === 'high-contrast' || p.kind === 'high-contrast-light';
  const datasets = model.series.map((s, i) => ({
    label: s.label,
    data: s.values,
    backgroundColor: colors[i],
    borderColor: kind === 'doughnut' ? p.background : hc ? p.foreground : colors[i],
    borderWidth: kind === 'doughnut' ? 2 : hc ? 1 : 0,
  }));
  if (kind === 'stackedBar' && datasets[0]) {
    // A small non-zero bottom part of a stack (output tokens under cache reads) keeps a visible sliver;
    // only the bottom one (a minimum in the middle would overlap its neighbours), and zeros stay empty
    // (null: Chart.js would lengthen a zero too).
    Object.assign(datasets[0], { minBarLength: 3, data: datasets[0].data.map((v) => (v === 0 ? null : v)) });
  }
  const font = { family: p.fontFamily, size: p.fontSize - 1 };
  const common = {
    responsive: true,
    maintainAspectRatio: false,
    // No animation: a redraw after "changed" must not flicker, and reduced motion is respected for free.
    animation: false as const,
    color: p.foreground,
    font,
    plugins: {
      legend: { display: kind !== 'horizontalBar', position: 'bottom' as const, labels: { color: p.foreground, font, boxWidth: 10 } },
      tooltip: { callbacks: { label: (c: { dataset: { label?: string }; parsed: unknown; raw: unknown }) => `${c.dataset.label ?? ''}: ${f(Number(c.raw))}` } },
    },
  };
  if (kind === 'doughnut') {
    return { type: 'doughnut', data: { labels: model.labels, datasets }, options: { ...common, cutout: '55%' } } as ChartConfiguration;
  }
  const horizontal = kind === 'horizontalBar';
  const stacked = kind === 'stackedBar';
  const valueAxis = {
    stacked,
    beginAtZero: true,
    ...(value === 'percent' ? { max: 1 } : {}),
    ticks: {
      color: p.muted,
      font,
      callback: (v: string | number) => f(Number(v)),
      // Durations step in round minutes or hours (the count and money formats pick their own scale).
      ...(value === 'seconds' ? { stepSize: secondsStep(model, stacked) } : value === 'count' ? { precision: 0 } : {}),
    },
    grid: { color: p.grid },
  };
  const catAxis = { stacked, ticks: { color: p.muted, font }, grid: { display: false } };
  return {
    type: 'bar',
    data: { labels: model.labels, datasets },
    options: {
      ...common,
      indexAxis: horizontal ? 'y' : 'x',
      scales: horizontal ? { x: valueAxis, y: catAxis } : { x: catAxis, y: valueAxis },
    },
  } as ChartConfiguration;
}

/** Draws a chart in `canvas`; returns a disposer. */
export function drawChart(canvas: HTMLCanvasElement, kind: ChartKind, model: ChartModel, palette: Palette, value: ValueKind): () => void {
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${model.title}. The same numbers are in the table below.`);
  const chart = new Chart(canvas, config(kind, model, palette, value));
  ticksToDataset(chart, kind, canvas);
  const entry: Live = { chart, kind, model };
  (chart as unknown as { $ledgerValue: ValueKind }).$ledgerValue = value;
  live.add(entry);
  return () => {
    live.delete(entry);
    chart.destroy();
  };
}

/**
 * The value axis's tick labels as drawn, on the canvas (`data-value-ticks`, '|'-joined): what the
 * browser test reads (a canvas has no text to query) to hold every tick to one format.
 */
function ticksToDataset(chart: Chart, kind: ChartKind, canvas: HTMLCanvasElement): void {
  canvas.dataset.categories = String(chart.data.labels?.length ?? 0);
  if (kind === 'doughnut') return;
  const axis = chart.scales[kind === 'horizontalBar' ? 'x' : 'y'];
  if (axis) canvas.dataset.valueTicks = axis.ticks.map((t) => String(t.label)).join('|');
}

/** Re-applies a palette to every live chart (theme change). */
export function recolorAll(p: Palette): void {
  for (const l of live) {
    const value = (l.chart as unknown as { $ledgerValue: ValueKind }).$ledgerValue;
    const next = config(l.kind, l.model, p, value);
    l.chart.data = next.data;
    l.chart.options = next.options as never;
    l.chart.update('none');
  }
}

export function liveChartCount(): number {
  return live.size;
}
