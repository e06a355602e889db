/**
 * uPlot charts on the dashboard: a live chart fed one tick at a time from a bounded ring, and a
 * chart of fetched history. Both follow their container's width.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type ChartDef, type Extractor, SeriesRing, type Tick } from './dashboardSeries.js';

const PALETTE = ['#8b6cff', '#2fd6c4', '#ffb020', '#ff5d73', '#5aa9ff', '#9be15d', '#f78fb3', '#c0c6d4'];
/** Fixed colours for the series every user learns to recognise. */
const NAMED: Readonly<Record<string, string>> = {
  total: '#c0c6d4',
  twitch: '#9146ff',
  youtube: '#ff3b30',
  kick: '#3fbf14',
  rejected: '#ff5d73',
  p50: '#2fd6c4',
  p99: '#ffb020',
  rss: '#8b6cff',
  heap: '#2fd6c4',
};
const AXIS = '#9aa3b5';
const GRID = 'rgba(255,255,255,0.07)';

/** Losses only: shades of red, so the one alarming colour means one thing. */
const ALARM = ['#ff4d5e', '#ff8a5c', '#d62f6f', '#ff9eaa', '#b3202c'];

function colour(name: string, index: number, palette: ChartDef['palette']): string {
  if (palette === 'alarm') return ALARM[index % ALARM.length] ?? '#ff4d5e';
  return NAMED[name] ?? PALETTE[index % PALETTE.length] ?? '#c0c6d4';
}

function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function options(
  names: readonly string[],
  width: number,
  height: number,
  unit: string,
  palette?: ChartDef['palette'],
): uPlot.Options {
  return {
    width,
    height,
    pxAlign: false,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), (max ?? 0) > 0 ? (max as number) * 1.1 : 1] } },
    axes: [
      { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID }, space: 70, values: timeLabels },
      {
        stroke: AXIS,
        grid: { stroke: GRID },
        ticks: { stroke: GRID },
        size: 46,
        values: (_u, splits) => splits.map((v) => formatNumber(v)),
      },
    ],
    hooks: { ready: [legendAtNewest] },
    series: [
      { value: (_u, v) => (v === null ? '–' : clock(v, true)) },
      ...names.map((name, i) => ({
        label: name,
        stroke: colour(name, i, palette),
        width: name === 'total' ? 2 : 1.5,
        spanGaps: false,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${formatNumber(v)} ${unit}`),
      })),
    ],
  };
}

/** x-axis labels: clock times only (uPlot's default adds a date row that crowds a phone). */
function timeLabels(_u: uPlot, splits: number[], _axis: number, _space: number, step: number): string[] {
  // Splits closer than a second would repeat a label: show each time once.
  return splits.map((s, i) => {
    const label = clock(s, step < 60);
    return i > 0 && label === clock(splits[i - 1] as number, step < 60) ? '' : label;
  });
}

/** A time (epoch seconds) as 24-hour clock time, with or without seconds. */
function clock(s: number, seconds: boolean): string {
  return new Date(s * 1000).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hour12: false,
  });
}

/** Shows the newest values in the legend while the pointer is not on the chart. */
function legendAtNewest(plot: uPlot): void {
  const last = plot.data[0].length - 1;
  if (last >= 0 && (plot.cursor.left ?? -1) < 0) plot.setLegend({ idx: last });
}

function heightFor(width: number): number {
  return width < 480 ? 150 : 180;
}

/** One live chart: a title, a uPlot and a ring of the last minutes. */
export class LiveChart {
  readonly #def: ChartDef;
  readonly #target: HTMLElement;
  readonly #section: HTMLElement;
  readonly #ring = new SeriesRing();
  readonly #extract: Extractor;
  #plot: uPlot | undefined;
  #width = 0;

  constructor(def: ChartDef, section: HTMLElement) {
    this.#def = def;
    this.#section = section;
    this.#extract = def.extractor();
    const target = section.querySelector<HTMLElement>('.plot');
    if (!target) throw new Error(`chart ${def.id} has no .plot`);
    this.#target = target;
    section.dataset.points = '0';
  }

  /** Adds one tick and redraws. */
  push(tick: Tick): void {
    const grew = this.#ring.push(tick.ts, this.#extract(tick));
    this.#section.dataset.points = String(this.#ring.pointsWithValues());
    this.#section.dataset.series = this.#ring.names.join(',');
    if (grew || !this.#plot) this.#rebuild();
    else this.#plot.setData(this.#ring.data());
    if (this.#plot) legendAtNewest(this.#plot);
  }

  /** Follows the container's width. */
  resize(): void {
    const width = Math.floor(this.#target.clientWidth);
    if (width <= 0 || width === this.#width) return;
    this.#width = width;
    if (this.#plot) this.#plot.setSize({ width, height: heightFor(width) });
    else this.#rebuild();
  }

  #rebuild(): void {
    const width = Math.floor(this.#target.clientWidth);
    if (width <= 0) return;
    this.#width = width;
    this.#plot?.destroy();
    this.#plot = undefined;
    const names = this.#ring.names;
    if (names.length === 0) return;
    this.#plot = new uPlot(options(names, width, heightFor(width), this.#def.unit, this.#def.palette), this.#ring.data(), this.#target);
    legendAtNewest(this.#plot);
  }
}

/** A chart of fetched history, replaced on every fetch. */
export class HistoryChart {
  readonly #target: HTMLElement;
  #plot: uPlot | undefined;
  #last: { names: string[]; data: uPlot.AlignedData } | undefined;

  constructor(target: HTMLElement) {
    this.#target = target;
  }

  show(names: string[], data: uPlot.AlignedData): void {
    this.#last = { names, data };
    this.#draw();
  }

  resize(): void {
    const width = Math.floor(this.#target.clientWidth);
    if (this.#plot && width > 0 && width !== this.#plot.width) this.#plot.setSize({ width, height: heightFor(width) });
  }

  #draw(): void {
    this.#plot?.destroy();
    this.#plot = undefined;
    const last = this.#last;
    const width = Math.floor(this.#target.clientWidth);
    if (!last || last.names.length === 0 || width <= 0) return;
    this.#plot = new uPlot(options(last.names, width, heightFor(width), ''), last.data, this.#target);
    legendAtNewest(this.#plot);
  }
}
