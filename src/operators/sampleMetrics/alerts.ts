/**
 * Alert rules of `sample_metrics`: a threshold on one metric with two severities, `for` (how
 * long a breach must last before it fires), a hysteresis margin and `clear_after` (how long the
 * value must stay back past the threshold minus the margin before it resolves).
 */
import { z } from 'zod';
import type { AlertEvent, MetricEvent } from '../../core/events.js';
import { duration } from '../../core/units.js';

export const ALERT_STATS = ['value', 'p50', 'p95', 'p99', 'max', 'count'] as const;
export type AlertStat = (typeof ALERT_STATS)[number];

export const AlertRuleConfig = z
  .strictObject({
    metric: z.string().min(1).describe('The metric the rule watches, e.g. `chatflow_end_to_end_latency_ms`.'),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Only series carrying these labels (a subset match), e.g. `{ node: history }`. When several series match, the worst value (highest; lowest with `below`) is the one compared.',
      ),
    stat: z
      .enum(ALERT_STATS)
      .optional()
      .describe('Which number of the metric to compare: `value`, or of a summary `p50`, `p95`, `p99`, `max`, `count`. Default: `value` for plain metrics, `p99` for summaries.'),
    warning: z.number().optional().describe('Threshold of the `warning` severity.'),
    critical: z.number().optional().describe('Threshold of the `critical` severity.'),
    below: z
      .boolean()
      .default(false)
      .describe('Fire when the value goes below the thresholds instead of above (e.g. a success rate).'),
    for: duration()
      .prefault('0ms')
      .describe('How long the value must stay past a threshold before that severity fires.'),
    clear_after: duration()
      .prefault('0ms')
      .describe('How long the value must stay back past the threshold minus `hysteresis` before the severity clears.'),
    hysteresis: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        "Margin, in the metric's units, the value must go back past a threshold to clear it, so a value hovering at the threshold does not flap. Default: 5% of the threshold.",
      ),
    message: z
      .string()
      .max(500)
      .optional()
      .describe(
        'Text of the alert. Placeholders: `{rule}`, `{metric}`, `{labels}` (of the worst series), `{label.<name>}`, `{stat}`, `{value}`, `{threshold}`, `{severity}`, `{state}`.',
      ),
  })
  .refine((r) => r.warning !== undefined || r.critical !== undefined, {
    message: 'An alert rule needs `warning`, `critical` or both',
  })
  .refine(
    (r) =>
      r.warning === undefined ||
      r.critical === undefined ||
      (r.below ? r.critical <= r.warning : r.critical >= r.warning),
    { message: '`critical` must be past `warning` (higher; lower with `below: true`)' },
  )
  .describe('An alert rule on one metric.');
export type AlertRuleConfig = z.output<typeof AlertRuleConfig>;

export const DEFAULT_ALERT_MESSAGE = '{rule} {state}: {metric}{labels} {stat} is {value} ({severity} threshold {threshold})';

/** Fraction of the threshold used as the hysteresis margin when none is given. */
export const DEFAULT_HYSTERESIS = 0.05;

const SEVERITIES = ['warning', 'critical'] as const;
type Level = 0 | 1 | 2;

/** Which number of a metric event the rule compares: `stat`, or the default for its shape. */
function effectiveStat(event: MetricEvent, stat: AlertStat | undefined): AlertStat {
  if (event.summary) return stat === undefined || stat === 'value' ? 'p99' : stat;
  return 'value';
}

/** The number of a metric event the rule compares, or undefined when it has none. */
function statOf(event: MetricEvent, stat: AlertStat | undefined): number | undefined {
  if (event.summary) return event.summary[effectiveStat(event, stat) as Exclude<AlertStat, 'value'>];
  return stat === undefined || stat === 'value' ? event.value : undefined;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${labels[k]}"`).join(',')}}`;
}

/**
 * One rule's state machine, per subscription of `sample_metrics`. Each tick it is given the
 * tick's metric events and returns the alert event of a change of state, if any:
 * firing (a new severity, up or down) or resolved.
 */
export class AlertRule {
  readonly #thresholds: readonly [number, number | undefined, number | undefined];
  readonly #margins: readonly [number, number, number];
  readonly #breachSince: (number | undefined)[] = [undefined, undefined, undefined];
  readonly #clearSince: (number | undefined)[] = [undefined, undefined, undefined];
  readonly #labelKeys: readonly string[];
  #level: Level = 0;
  #lastValue = 0;
  #lastLabels: Readonly<Record<string, string>> = {};
  #lastStat: AlertStat = 'value';

  constructor(
    readonly id: string,
    private readonly config: AlertRuleConfig,
    private readonly instance: string,
  ) {
    this.#thresholds = [Number.NaN, config.warning, config.critical];
    const margin = (t: number | undefined) =>
      t === undefined ? 0 : (config.hysteresis ?? Math.abs(t) * DEFAULT_HYSTERESIS);
    this.#margins = [0, margin(config.warning), margin(config.critical)];
    this.#labelKeys = Object.keys(config.labels ?? {});
  }

  /** The severity firing now, if any. */
  get severity(): 'warning' | 'critical' | undefined {
    return this.#level === 0 ? undefined : SEVERITIES[this.#level - 1];
  }

  /**
   * @param metrics The tick's metric events.
   * @param now Scheduler time of the tick (epoch ms), for `for` and `clear_after`.
   * @param receivedAt Clock reading for the alert's `receivedAt`.
   */
  evaluate(metrics: readonly MetricEvent[], now: number, receivedAt: number): AlertEvent | undefined {
    const value = this.#worst(metrics);
    const { below } = this.config;
    for (let s = 1; s <= 2; s++) {
      const threshold = this.#thresholds[s];
      if (threshold === undefined) continue;
      const margin = this.#margins[s] as number;
      const breach = value !== undefined && (below ? value < threshold : value > threshold);
      const clear = value === undefined || (below ? value > threshold + margin : value < threshold - margin);
      this.#breachSince[s] = breach ? (this.#breachSince[s] ?? now) : undefined;
      this.#clearSince[s] = clear ? (this.#clearSince[s] ?? now) : undefined;
    }
    let up: Level = 0;
    for (let s = 2; s >= 1; s--) {
      const since = this.#breachSince[s];
      if (this.#thresholds[s] !== undefined && since !== undefined && now - since >= this.config.for) {
        up = s as Level;
        break;
      }
    }
    if (up > this.#level) {
      this.#level = up;
      return this.#event('firing', up, receivedAt, now);
    }
    if (this.#level === 0 || !this.#clearedFor(this.#level, now)) return undefined;
    const was = this.#level;
    let next: Level = 0;
    for (let s = was - 1; s >= 1; s--) {
      if (this.#thresholds[s] !== undefined && !this.#clearedFor(s, now)) {
        next = s as Level;
        break;
      }
    }
    this.#level = next;
    return next === 0 ? this.#event('resolved', was, receivedAt, now) : this.#event('firing', next, receivedAt, now);
  }

  #clearedFor(level: number, now: number): boolean {
    const since = this.#clearSince[level];
    return since !== undefined && now - since >= this.config.clear_after;
  }

  /** The worst matching value; remembers it (and its labels) for the message. */
  #worst(metrics: readonly MetricEvent[]): number | undefined {
    const { metric, stat, below } = this.config;
    const wanted = this.config.labels;
    let worst: number | undefined;
    for (const event of metrics) {
      if (event.name !== metric) continue;
      if (wanted !== undefined) {
        let match = true;
        for (const key of this.#labelKeys) {
          if (event.labels[key] !== wanted[key]) {
            match = false;
            break;
          }
        }
        if (!match) continue;
      }
      const v = statOf(event, stat);
      if (v === undefined || Number.isNaN(v)) continue;
      if (worst === undefined || (below ? v < worst : v > worst)) {
        worst = v;
        this.#lastLabels = event.labels;
        this.#lastStat = effectiveStat(event, stat);
      }
    }
    if (worst !== undefined) this.#lastValue = worst;
    return worst;
  }

  #event(state: 'firing' | 'resolved', level: Level, receivedAt: number, ts: number): AlertEvent {
    const severity = SEVERITIES[level - 1] as 'warning' | 'critical';
    const threshold = this.#thresholds[level] as number;
    const labels = this.#lastLabels;
    const values: Record<string, string> = {
      rule: this.id,
      metric: this.config.metric,
      labels: formatLabels(labels),
      stat: this.#lastStat,
      value: formatNumber(this.#lastValue),
      threshold: formatNumber(threshold),
      severity,
      state,
    };
    const template = this.config.message ?? DEFAULT_ALERT_MESSAGE;
    const message = template.replace(/\{([a-z_]+(?:\.[A-Za-z0-9_]+)?)\}/g, (whole, key: string) => {
      if (key.startsWith('label.')) return labels[key.slice(6)] ?? '';
      return values[key] ?? whole;
    });
    return {
      kind: 'alert',
      rule: this.id,
      severity,
      state,
      message,
      value: this.#lastValue,
      threshold,
      instance: this.instance,
      ts,
      receivedAt,
    };
  }
}
