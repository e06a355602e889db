/**
 * `/metrics` of the `metrics` sink: Prometheus text from the latest metric events, through
 * prom-client. One collector object per metric name (made when a name is first seen at scrape
 * time, removed when it is gone), reading the latest snapshot at scrape time: nothing is made
 * per event. Values become gauges (counters when the name ends in `_total`); histogram summaries become summaries (quantiles 0.5, 0.95,
 * 0.99, plus `_sum` and `_count`) with a `_max` gauge beside them. Names are `chatflow_…`.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricPoint } from '../server/dashboardWire.js';

const PREFIX = 'chatflow_';
const INVALID_NAME = /[^a-zA-Z0-9_:]/g;
const INVALID_LABEL = /[^a-zA-Z0-9_]/g;

/** A Prometheus metric name for a chatflow metric: `events_in` → `chatflow_events_in`. */
export function promName(name: string): string {
  let out = name.replace(INVALID_NAME, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out.startsWith(PREFIX) ? out : `${PREFIX}${out}`;
}

/**
 * A Prometheus label name: invalid characters become `_`; `instance` and `job` (set by
 * Prometheus itself) and names starting with `__` (reserved) get an `exported_` prefix, as
 * Prometheus would.
 */
export function promLabel(name: string): string {
  let out = name.replace(INVALID_LABEL, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  if (out === 'instance' || out === 'job' || out.startsWith('__')) out = `exported_${out}`;
  return out;
}

type PromValue = { value: number; labels: Record<string, string>; metricName?: string };

/** What prom-client's registry calls: one metric family. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'summary';
  get(): { name: string; help: string; type: string; values: PromValue[]; aggregator: 'sum' };
}

function labelsOf(point: MetricPoint): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(point.labels)) out[promLabel(k)] = v;
  return out;
}

/** The families of a snapshot: name → its points and its type (first point decides). */
export function families(points: readonly MetricPoint[]): Map<string, { type: 'gauge' | 'summary'; points: MetricPoint[] }> {
  const out = new Map<string, { type: 'gauge' | 'summary'; points: MetricPoint[] }>();
  for (const point of points) {
    const name = promName(point.name);
    const type = point.summary ? 'summary' : 'gauge';
    let family = out.get(name);
    if (!family) {
      family = { type, points: [] };
      out.set(name, family);
    }
    if (family.type === type) family.points.push(point);
  }
  return out;
}

/**
 * The sink's own prom-client registry (never the global one): process metrics
 * (`chatflow_process_…`, `chatflow_nodejs_…`) when asked, and the latest metric events.
 */
export class PromExport {
  readonly registry = new Registry();
  readonly #latest: () => readonly MetricPoint[];
  readonly #families = new Map<string, Family>();
  #current = new Map<string, { type: 'gauge' | 'summary'; points: MetricPoint[] }>();

  constructor(latest: () => readonly MetricPoint[], processMetrics: boolean) {
    this.#latest = latest;
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, from the snapshot as it is now. */
  async scrape(): Promise<string> {
    this.#current = families(this.#latest());
    for (const [name, family] of this.#families) {
      const now = this.#current.get(name);
      if (!now || now.type !== family.type) {
        this.registry.removeSingleMetric(name);
        this.#families.delete(name);
        if (family.type === 'summary') {
          this.registry.removeSingleMetric(`${name}_max`);
          this.#families.delete(`${name}_max`);
        }
      }
    }
    for (const [name, family] of this.#current) {
      if (this.#families.has(name) || this.registry.getSingleMetric(name)) continue;
      this.#register(name, family.type);
    }
    return this.registry.metrics();
  }

  #register(name: string, type: 'gauge' | 'summary'): void {
    const current = () => this.#current.get(name)?.points ?? [];
    const family: Family = {
      name,
      help: `chatflow metric ${name}`,
      type: type === 'gauge' && name.endsWith('_total') ? 'counter' : type,
      get: () => {
        const values: PromValue[] = [];
        for (const point of current()) {
          const labels = labelsOf(point);
          if (type === 'gauge') {
            if (point.value !== undefined) values.push({ value: point.value, labels });
            continue;
          }
          const s = point.summary;
          if (!s) continue;
          values.push({ value: s.p50, labels: { ...labels, quantile: '0.5' } });
          values.push({ value: s.p95, labels: { ...labels, quantile: '0.95' } });
          values.push({ value: s.p99, labels: { ...labels, quantile: '0.99' } });
          values.push({ value: s.sum, labels, metricName: `${name}_sum` });
          values.push({ value: s.count, labels, metricName: `${name}_count` });
        }
        return { name, help: family.help, type: family.type, values, aggregator: 'sum' };
      },
    };
    // prom-client takes any object with name, help, type and get(); see Registry.getMetricsAsString.
    this.registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0]);
    this.#families.set(name, family);
    if (type !== 'summary') return;
    const maxName = `${name}_max`;
    if (this.registry.getSingleMetric(maxName)) return;
    const max: Family = {
      name: maxName,
      help: `Largest value of ${name} in the last sample`,
      type: 'gauge',
      get: () => ({
        name: maxName,
        help: max.help,
        type: 'gauge',
        values: current().flatMap((p) => (p.summary ? [{ value: p.summary.max, labels: labelsOf(p) }] : [])),
        aggregator: 'sum',
      }),
    };
    this.registry.registerMetric(max as unknown as Parameters<Registry['registerMetric']>[0]);
    this.#families.set(maxName, max);
  }
}
