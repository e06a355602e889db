/**
 * `/metrics` of the `metrics` sink: Prometheus text from the latest metric events, through
 * prom-client, following Prometheus's conventions (`promtool check metrics` is clean):
 *
 * - Base units: a chatflow `_ms` metric is exposed as `_seconds` (values ÷ 1000), a `_percent`
 *   one as `_ratio` (÷ 100). Names inside chatflow (events, the dashboard, the API, alert
 *   rules, `system_metrics`) keep their milliseconds; only the exposition converts.
 * - Latencies are histograms: a metric event that carries a `histogram` (cumulative buckets
 *   since its node started) becomes `_bucket{le}`, `_sum` and `_count`, which only grow, so
 *   `rate()` and `histogram_quantile()` work and instances add up. Its interval summary is for
 *   the dashboard and alerts and is not exposed.
 * - A summary without a histogram (the process's event-loop lag and GC pauses, per interval)
 *   becomes gauges `<name>_p50_seconds`, `_p95_`, `_p99_`, `_max_` (as prom-client's own
 *   `nodejs_eventloop_lag_p99_seconds`): no `_count`/`_sum` that would restart each sample.
 * - Values are gauges, counters when the name ends in `_total`. Every family has a real HELP
 *   (`METRIC_HELP`, help.ts).
 *
 * One collector object per family (made when a family is first seen at scrape time, removed
 * when it is gone), reading the snapshot rendered at that scrape: nothing is made per event.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricPoint } from '../../server/dashboardWire.js';
import { helpOf } from './help.js';

const PREFIX = 'chatflow_';
const INVALID_NAME = /[^a-zA-Z0-9_:]/g;
const INVALID_LABEL = /[^a-zA-Z0-9_]/g;

/**
 * prom-client's default metrics that break the conventions (gauges ending in `_total`); each
 * has a twin without the suffix (`nodejs_active_handles`), so they are left out.
 */
const NONCONFORMING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A Prometheus metric name for a chatflow metric: `events_in` → `chatflow_events_in`. */
export function promName(name: string): string {
  let out = name.replace(INVALID_NAME, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out.startsWith(PREFIX) ? out : `${PREFIX}${out}`;
}

/** Unit suffixes chatflow uses that Prometheus wants in base units: the suffix, its base and the factor. */
const UNIT_CONVERSIONS: readonly (readonly [suffix: string, base: string, factor: number])[] = [
  ['_ms', '_seconds', 1 / 1000],
  ['_percent', '_ratio', 1 / 100],
];

/**
 * Chatflow names Prometheus's linter refuses for another reason: `chatflow_node_gauge` names
 * its type ("metric name should not include type 'gauge'").
 */
const RENAMED: Readonly<Record<string, string>> = { chatflow_node_gauge: 'chatflow_node_value' };

/** The exposed name of a chatflow metric, in base units, and the factor its values take. */
export function exposedName(name: string): { name: string; factor: number } {
  const prom = RENAMED[promName(name)] ?? promName(name);
  for (const [suffix, base, factor] of UNIT_CONVERSIONS) {
    if (prom.endsWith(suffix)) return { name: prom.slice(0, -suffix.length) + base, factor };
  }
  return { name: prom, factor: 1 };
}

/**
 * A Prometheus label name: invalid characters become `_`; `instance` and `job` (set by
 * Prometheus itself) and names starting with `__` (reserved) get an `exported_` prefix, as
 * Prometheus would; `le` and `quantile` (reserved for histograms and summaries) too.
 */
export function promLabel(name: string): string {
  let out = name.replace(INVALID_LABEL, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  if (out === 'instance' || out === 'job' || out === 'le' || out === 'quantile' || out.startsWith('__')) {
    out = `exported_${out}`;
  }
  return out;
}

type PromValue = { value: number; labels: Record<string, string | number>; metricName?: string };
type FamilyType = 'gauge' | 'counter' | 'histogram';

/** One family as this scrape renders it. */
export interface Rendered {
  readonly type: FamilyType;
  readonly help: string;
  readonly values: PromValue[];
}

function labelsOf(point: MetricPoint): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(point.labels)) out[promLabel(k)] = v;
  return out;
}

/** A number scaled without binary noise in the text (`0.00025`, not `0.00025000000000000006`). */
function scaled(value: number, factor: number): number {
  return factor === 1 ? value : Number((value * factor).toPrecision(12));
}

/** The summary stats exposed as gauges when a summary has no histogram. */
const SUMMARY_GAUGES = [
  ['p50', 'p50 over the last sample interval'],
  ['p95', 'p95 over the last sample interval'],
  ['p99', 'p99 over the last sample interval'],
  ['max', 'largest over the last sample interval'],
] as const;

/**
 * The families of a snapshot, in Prometheus terms: name → type, HELP and every sample. Within
 * a name the first point decides the type; points of another shape are left out.
 */
export function render(points: readonly MetricPoint[]): Map<string, Rendered> {
  const out = new Map<string, Rendered>();
  const family = (name: string, type: FamilyType, help: string): PromValue[] | undefined => {
    let f = out.get(name);
    if (!f) {
      f = { type, help, values: [] };
      out.set(name, f);
    }
    return f.type === type ? f.values : undefined;
  };
  for (const point of points) {
    const { name, factor } = exposedName(point.name);
    const help = helpOf(promName(point.name));
    const labels = labelsOf(point);
    const h = point.histogram;
    if (h) {
      const values = family(name, 'histogram', help);
      if (!values) continue;
      for (let i = 0; i < h.le.length; i++) {
        values.push({ value: h.counts[i] ?? 0, labels: { ...labels, le: scaled(h.le[i] as number, factor) }, metricName: `${name}_bucket` });
      }
      values.push({ value: h.count, labels: { ...labels, le: '+Inf' }, metricName: `${name}_bucket` });
      values.push({ value: scaled(h.sum, factor), labels, metricName: `${name}_sum` });
      values.push({ value: h.count, labels, metricName: `${name}_count` });
      continue;
    }
    const s = point.summary;
    if (s) {
      const unit = factor === 1 ? '' : name.slice(name.lastIndexOf('_'));
      const stem = unit === '' ? name : name.slice(0, -unit.length);
      for (const [stat, what] of SUMMARY_GAUGES) {
        family(`${stem}_${stat}${unit}`, 'gauge', `${help} (${what})`)?.push({ value: scaled(s[stat], factor), labels });
      }
      continue;
    }
    if (point.value === undefined) continue;
    const type = name.endsWith('_total') ? 'counter' : 'gauge';
    family(name, type, help)?.push({ value: scaled(point.value, factor), labels });
  }
  return out;
}

/** What prom-client's registry calls: one metric family. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  get(): { name: string; help: string; type: string; values: PromValue[]; aggregator: 'sum' };
}

/**
 * The sink's own prom-client registry (never the global one): process metrics
 * (`chatflow_process_…`, `chatflow_nodejs_…`) when asked, and the latest metric events.
 */
export class PromExport {
  readonly registry = new Registry();
  readonly #latest: () => readonly MetricPoint[];
  readonly #families = new Map<string, Family>();
  #current = new Map<string, Rendered>();

  constructor(latest: () => readonly MetricPoint[], processMetrics: boolean) {
    this.#latest = latest;
    if (processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
      for (const name of NONCONFORMING_DEFAULTS) this.registry.removeSingleMetric(`${PREFIX}${name}`);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, from the snapshot as it is now. */
  async scrape(): Promise<string> {
    this.#current = render(this.#latest());
    for (const [name, family] of this.#families) {
      const now = this.#current.get(name);
      if (!now || now.type !== family.type || now.help !== family.help) {
        this.registry.removeSingleMetric(name);
        this.#families.delete(name);
      }
    }
    for (const [name, rendered] of this.#current) {
      if (this.#families.has(name) || this.registry.getSingleMetric(name)) continue;
      this.#register(name, rendered);
    }
    return this.registry.metrics();
  }

  #register(name: string, rendered: Rendered): void {
    const family: Family = {
      name,
      help: rendered.help,
      type: rendered.type,
      get: () => ({
        name,
        help: family.help,
        type: family.type,
        values: this.#current.get(name)?.values ?? [],
        aggregator: 'sum',
      }),
    };
    // prom-client takes any object with name, help, type and get(); see Registry.getMetricsAsString.
    this.registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0]);
    this.#families.set(name, family);
  }
}
