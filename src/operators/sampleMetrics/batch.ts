/**
 * The metric events of one `sample_metrics` tick, built with the tick's instance, time and
 * `receivedAt` so each producer only names the metric, its labels and its number.
 */
import type { CumulativeHistogram, HistogramSummary, MetricEvent } from '../../core/events.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export class MetricBatch {
  readonly events: MetricEvent[] = [];

  /**
   * @param instance This process's instance id.
   * @param ts Scheduler time of the tick, epoch ms.
   * @param receivedAt Clock reading at the tick, for the events' `receivedAt`.
   * @param elapsedMs Time since the previous tick, for rates.
   */
  constructor(
    readonly instance: string,
    readonly ts: number,
    readonly receivedAt: number,
    readonly elapsedMs: number,
  ) {}

  value(name: string, labels: Readonly<Record<string, string>> | undefined, value: number): void {
    this.events.push({
      kind: 'metric',
      name,
      labels: labels ?? NO_LABELS,
      value,
      instance: this.instance,
      ts: this.ts,
      receivedAt: this.receivedAt,
    });
  }

  /**
   * A summary (for the dashboard and alerts) and, when given, the same measurements since the
   * node started in cumulative buckets (for Prometheus).
   */
  summary(
    name: string,
    labels: Readonly<Record<string, string>> | undefined,
    summary: HistogramSummary,
    histogram?: CumulativeHistogram,
  ): void {
    const event: MetricEvent = {
      kind: 'metric',
      name,
      labels: labels ?? NO_LABELS,
      summary,
      instance: this.instance,
      ts: this.ts,
      receivedAt: this.receivedAt,
    };
    this.events.push(histogram === undefined ? event : { ...event, histogram });
  }

  /** `count` over the interval, per second (0 for an empty interval). */
  perSecond(count: number): number {
    return this.elapsedMs > 0 ? (count * 1000) / this.elapsedMs : 0;
  }
}
