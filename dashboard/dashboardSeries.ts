/**
 * The dashboard's numbers, without the DOM: `metric` points grouped into ticks, what each live
 * chart plots from a tick (rates summed over labels, drops per second from cumulative counts,
 * latency percentiles, memory), and a bounded ring of the last minutes of it.
 */
import type { MetricPoint } from '../src/server/dashboardWire.js';

/** How much a live chart keeps: the last 10 minutes, and never more than this many ticks. */
export const RING_WINDOW_MS = 10 * 60_000;
export const RING_MAX_POINTS = 1200;

/** Metric names `sample_metrics` emits (the dashboard reads these; see docs/dashboard.md). */
export const METRIC = {
  messages: 'chatflow_messages_per_second',
  commands: 'chatflow_commands_per_second',
  rejected: 'chatflow_commands_rejected_per_second',
  dropped: 'chatflow_node_dropped_total',
  latency: 'chatflow_end_to_end_latency_ms',
  intendedDelay: 'chatflow_intended_delay_ms',
  rss: 'chatflow_process_rss_bytes',
  heap: 'chatflow_process_heap_used_bytes',
  lag: 'chatflow_event_loop_lag_ms',
  chatters: 'chatflow_active_chatters',
  nodeStatus: 'chatflow_node_status',
} as const;

/** Every metric name the historical view offers. */
export const HISTORICAL_METRICS: readonly string[] = Object.values(METRIC);

/** The points of one `sample_metrics` tick. */
export interface Tick {
  /** Epoch ms. */
  readonly ts: number;
  readonly points: readonly MetricPoint[];
}

/** Groups points by their time, oldest tick first. */
export function ticksOf(points: readonly MetricPoint[]): Tick[] {
  const byTs = new Map<number, MetricPoint[]>();
  for (const p of points) {
    if (typeof p.ts !== 'number' || !Number.isFinite(p.ts)) continue;
    let list = byTs.get(p.ts);
    if (!list) {
      list = [];
      byTs.set(p.ts, list);
    }
    list.push(p);
  }
  return [...byTs.entries()].sort((a, b) => a[0] - b[0]).map(([ts, list]) => ({ ts, points: list }));
}

/**
 * A series whose newest point is this much older than the newest point of a snapshot is no
 * longer sampled (a channel that went quiet, a node that was removed) and is left out.
 */
export const STALE_MS = 10_000;

/**
 * One tick from a snapshot of the latest point of every series (what the stream's `hello` and
 * `metrics` messages carry): at the newest point's time, with the points that are not stale.
 * `undefined` for no points.
 */
export function latestTick(points: readonly MetricPoint[], staleMs = STALE_MS): Tick | undefined {
  let newest = Number.NEGATIVE_INFINITY;
  for (const p of points) if (typeof p.ts === 'number' && p.ts > newest) newest = p.ts;
  if (!Number.isFinite(newest)) return undefined;
  return { ts: newest, points: points.filter((p) => typeof p.ts === 'number' && p.ts >= newest - staleMs) };
}

/** Values of one tick, by series name; a series missing from a tick is a gap. */
export type TickValues = Map<string, number>;

function add(values: TickValues, key: string, v: number | undefined): void {
  if (v === undefined || !Number.isFinite(v)) return;
  values.set(key, (values.get(key) ?? 0) + v);
}

/**
 * What one live chart plots. `extract` is called once per tick, in order; it may keep state
 * (drop rates do), so each chart gets its own extractor from {@link chartExtractors}.
 */
export type Extractor = (tick: Tick) => TickValues;

/** Sum of `name` over all labels as `total`, plus one series per value of `label`. */
export function sumBy(name: string, label: string): Extractor {
  return (tick) => {
    const values: TickValues = new Map();
    for (const p of tick.points) {
      if (p.name !== name || p.value === undefined) continue;
      add(values, 'total', p.value);
      add(values, p.labels[label] ?? 'other', p.value);
    }
    return values;
  };
}

/** Commands per second by result, plus the rejected rate. */
export function commandRates(): Extractor {
  const byResult = sumBy(METRIC.commands, 'result');
  return (tick) => {
    const values = byResult(tick);
    values.delete('total');
    for (const p of tick.points) if (p.name === METRIC.rejected) add(values, 'rejected', p.value);
    return values;
  };
}

/**
 * Which drops a chart shows, by the `intentional` label the runtime puts on every drop
 * counter: `lost` (a full buffer, a failed write: something is wrong) or `intended` (policy
 * doing its job: a throttle, chat that is no command on `_unmatched`, the console's line
 * limit). A point without the label counts as lost, so nothing alarming is ever hidden.
 */
export type DropKind = 'lost' | 'intended';

function dropKind(p: MetricPoint): DropKind {
  return p.labels.intentional === 'true' ? 'intended' : 'lost';
}

/**
 * Drops of one {@link DropKind} per second by reason, from the cumulative
 * `chatflow_node_dropped_total` (summed over nodes): the difference from the reason's
 * previous total over the time between the two samples (the points' own times). A reason
 * seen for the first time has no rate yet; a total that went down (a restarted process)
 * counts from zero again.
 */
export function dropRates(kind: DropKind): Extractor {
  const previous = new Map<string, { ts: number; total: number }>();
  return (tick) => {
    const totals = new Map<string, { ts: number; total: number }>();
    for (const p of tick.points) {
      if (p.name !== METRIC.dropped || p.value === undefined || dropKind(p) !== kind) continue;
      const reason = p.labels.reason ?? 'unknown';
      const entry = totals.get(reason);
      if (entry) {
        entry.total += p.value;
        entry.ts = Math.max(entry.ts, p.ts);
      } else {
        totals.set(reason, { ts: p.ts, total: p.value });
      }
    }
    const values: TickValues = new Map();
    for (const [reason, now] of totals) {
      const before = previous.get(reason);
      if (before && now.ts <= before.ts) continue;
      if (before) {
        const delta = now.total >= before.total ? now.total - before.total : now.total;
        values.set(reason, (delta * 1000) / (now.ts - before.ts));
      }
      previous.set(reason, now);
    }
    return values;
  };
}

/** `p50` and `p99` (and `max` when asked) of a summary metric, the largest over labels. */
export function percentiles(name: string, keys: readonly ('p50' | 'p95' | 'p99' | 'max')[] = ['p50', 'p99']): Extractor {
  return (tick) => {
    const values: TickValues = new Map();
    for (const p of tick.points) {
      if (p.name !== name || !p.summary || p.summary.count === 0) continue;
      for (const key of keys) {
        const v = p.summary[key];
        if (Number.isFinite(v)) values.set(key, Math.max(values.get(key) ?? Number.NEGATIVE_INFINITY, v));
      }
    }
    return values;
  };
}

/** Resident set size and used heap, in MiB. */
export function memory(): Extractor {
  return (tick) => {
    const values: TickValues = new Map();
    for (const p of tick.points) {
      if (p.value === undefined) continue;
      if (p.name === METRIC.rss) add(values, 'rss', p.value / 1048576);
      else if (p.name === METRIC.heap) add(values, 'heap', p.value / 1048576);
    }
    return values;
  };
}

/** The live charts, in page order. */
export interface ChartDef {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly extractor: () => Extractor;
  /** `alarm`: every series in red shades (only losses); default: the usual colours. */
  readonly palette?: 'alarm';
}

export const CHARTS: readonly ChartDef[] = [
  { id: 'messages', title: 'Messages/s', unit: '/s', extractor: () => sumBy(METRIC.messages, 'platform') },
  { id: 'commands', title: 'Commands/s', unit: '/s', extractor: commandRates },
  { id: 'lost', title: 'Lost/s by reason', unit: '/s', extractor: () => dropRates('lost'), palette: 'alarm' },
  { id: 'filtered', title: 'Filtered/s by reason (intended)', unit: '/s', extractor: () => dropRates('intended') },
  { id: 'latency', title: 'End-to-end latency', unit: 'ms', extractor: () => percentiles(METRIC.latency) },
  { id: 'memory', title: 'Memory', unit: 'MiB', extractor: memory },
  { id: 'lag', title: 'Event-loop lag', unit: 'ms', extractor: () => percentiles(METRIC.lag) },
];

/**
 * A bounded ring of ticks for one chart: x in epoch seconds (uPlot's unit) and one column per
 * series, `null` where a tick lacked it. Older than {@link RING_WINDOW_MS} before the newest
 * tick, or beyond {@link RING_MAX_POINTS}, falls off.
 */
export class SeriesRing {
  readonly #xs: number[] = [];
  readonly #columns = new Map<string, (number | null)[]>();
  readonly #windowMs: number;
  readonly #max: number;

  constructor(windowMs = RING_WINDOW_MS, max = RING_MAX_POINTS) {
    this.#windowMs = windowMs;
    this.#max = max;
  }

  /** Series names, in the order they first appeared. */
  get names(): string[] {
    return [...this.#columns.keys()];
  }

  get length(): number {
    return this.#xs.length;
  }

  /** Appends a tick (epoch ms); a tick not newer than the last one is ignored. Returns whether a new series appeared. */
  push(ts: number, values: TickValues): boolean {
    const x = ts / 1000;
    const last = this.#xs[this.#xs.length - 1];
    if (last !== undefined && x <= last) return false;
    let grew = false;
    for (const name of values.keys()) {
      if (!this.#columns.has(name)) {
        this.#columns.set(name, new Array<number | null>(this.#xs.length).fill(null));
        grew = true;
      }
    }
    this.#xs.push(x);
    for (const [name, column] of this.#columns) column.push(values.get(name) ?? null);
    const oldest = x - this.#windowMs / 1000;
    let cut = 0;
    while (cut < this.#xs.length && (this.#xs[cut] as number) < oldest) cut++;
    cut = Math.max(cut, this.#xs.length - this.#max);
    if (cut > 0) {
      this.#xs.splice(0, cut);
      for (const column of this.#columns.values()) column.splice(0, cut);
    }
    return grew;
  }

  /** uPlot's data: `[xs, ...columns]` in {@link names} order. */
  data(): [number[], ...(number | null)[][]] {
    return [this.#xs, ...this.#columns.values()];
  }

  /** Number of ticks in which at least one series had a value. */
  pointsWithValues(): number {
    let n = 0;
    for (let i = 0; i < this.#xs.length; i++) {
      for (const column of this.#columns.values()) {
        if (column[i] !== null && column[i] !== undefined) {
          n++;
          break;
        }
      }
    }
    return n;
  }
}

/**
 * Historical points as chart data: one series per label set (value metrics) or per percentile
 * (summaries), x in epoch seconds.
 */
export function historicalSeries(points: readonly MetricPoint[]): { names: string[]; data: [number[], ...(number | null)[][]] } {
  const ring = new SeriesRing(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
  for (const tick of ticksOf(points)) {
    const values: TickValues = new Map();
    for (const p of tick.points) {
      const labels = Object.entries(p.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      if (p.summary) {
        for (const key of ['p50', 'p95', 'p99'] as const) add(values, labels ? `${key} ${labels}` : key, p.summary[key]);
      } else {
        add(values, labels || 'value', p.value);
      }
    }
    ring.push(tick.ts, values);
  }
  return { names: ring.names, data: ring.data() };
}
