import { asyncScheduler, interval, Observable, type OperatorFunction, type SchedulerLike, Subscriber } from 'rxjs';
import type { Routed } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type DropCounter, NO_DROPS, type NodeMetricsSnapshot } from '../../core/metrics.js';
import type { ReloadStatus } from '../../core/reloadStatus.js';
import { formatDuration } from '../../core/units.js';
import { AlertRule } from './alerts.js';
import { MetricBatch } from './batch.js';
import { ALERTS_PORT, HISTORY_PORT, type SampleMetricsConfig } from './config.js';
import { EventTap, type Interval } from './events.js';
import { NodeSampler, processMetrics } from './nodes.js';
import { type ProcessProbeFactory, realProcessProbe } from './process.js';

/** Collaborators of {@link sampleMetrics}. */
export interface SampleMetricsDeps {
  /** Ticks and `ts` of every sample; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock stamped as the metrics' `receivedAt`; defaults to `performance.now`. */
  readonly clock?: () => number;
  /** Instance id put on every metric and alert. */
  readonly instance?: string;
  /**
   * Every node's metrics now (the runtime's snapshot); without it no node metrics are sampled,
   * nor `chatflow_end_to_end_latency_ms`, which is read from the sinks.
   */
  readonly nodeMetrics?: () => readonly NodeMetricsSnapshot[];
  /** How `chatflow run`'s reloads went (core/reloadStatus.ts); without it, no reload metrics. */
  readonly reloadStatus?: () => ReloadStatus;
  /** Makes the process probe of a subscription; defaults to the real one. */
  readonly probe?: ProcessProbeFactory;
  /** Where a failed sample is counted (`sample_error`). */
  readonly drops?: DropCounter;
}

/**
 * Taps every event it is given and, every `every`, emits `metric` events: every node's
 * counters and timings, the end-to-end latency of the interval at each sink (and, apart, the
 * intended delay of slew steps and vote windows), the process's
 * memory, CPU, event-loop lag and GC, and what it saw of the chat (messages/s per channel,
 * active chatters, commands, moderation).
 * Its input events are not passed on. Alert rules are evaluated on each sample; an `alert`
 * event goes to the `alerts` port (and to the default output, after the sample's metrics)
 * when a rule fires, changes severity or resolves.
 *
 * ```text
 * every: 1s
 * source:   -a-b 1s --|
 * result:   1s m 5ms (m|)     m: the metric events of one sample (then its alerts)
 * ```
 *
 * When the input completes, a last sample is emitted (unless one was just emitted) and the
 * output completes. Counters, windows, alert states and the readers of the sinks' latency are per
 * subscription.
 *
 * End-to-end latency is read from the sinks, not from the events reaching this operator: with
 * `inputs: ["*"]` those are mostly fresh from the sources, so their age says nothing of when the
 * show's outputs got them.
 *
 * @param config The parsed {@link SampleMetricsConfig}.
 * @param deps Scheduler, clock, instance id, node snapshots and process probe.
 * @see AlertRule
 */
export function sampleMetrics(
  config: SampleMetricsConfig,
  deps: SampleMetricsDeps = {},
): OperatorFunction<ChatflowEvent, Routed> {
  const { scheduler = asyncScheduler, instance = 'local', nodeMetrics, reloadStatus, drops = NO_DROPS } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const createProbe = deps.probe ?? realProcessProbe;
  const windowLabel = formatDuration(config.window);
  const rules = Object.entries(config.alerts);

  return (source) =>
    new Observable<Routed>((subscriber) => {
      // Per-subscription state: counters, the chatters window, node baselines, alert states.
      const start = scheduler.now();
      const tap = new EventTap({
        windowMs: config.window,
        windowLabel,
        maxChatters: config.max_chatters,
        start,
      });
      const alerts = rules.map(([id, rule]) => new AlertRule(id, rule, instance));
      // One sampler per interval: node baselines, latency readers and process probe of its own.
      const sampler = (which: Interval) => {
        const nodes = new NodeSampler();
        if (nodeMetrics) nodes.baseline(nodeMetrics());
        const probe = config.process ? createProbe() : undefined;
        let last = start;
        return {
          /** The interval's metrics since its last sample; undefined when none is due or it failed. */
          take(): MetricBatch | undefined {
            const now = scheduler.now();
            if (now === last) return undefined;
            const batch = new MetricBatch(instance, now, clock(), now - last);
            last = now;
            try {
              const rejected = nodeMetrics ? nodes.collect(batch, nodeMetrics()) : 0;
              const accepted = tap.collect(batch, which);
              if (accepted + rejected > 0) {
                batch.value('chatflow_command_success_rate', undefined, accepted / (accepted + rejected));
              }
              if (probe) processMetrics(batch, probe.sample());
              if (reloadStatus) {
                const status = reloadStatus();
                batch.value('chatflow_config_valid', undefined, status.configValid ? 1 : 0);
                batch.value('chatflow_reload_failures_total', undefined, status.failures);
              }
            } catch {
              drops.drop('sample_error', false);
              return undefined;
            }
            return batch;
          },
          close(): void {
            probe?.close();
            nodes.close();
          },
        };
      };
      const main = sampler('sample');
      const history = config.history === undefined ? undefined : sampler('history');

      const sample = (): void => {
        const batch = main.take();
        if (!batch) return;
        for (const event of batch.events) subscriber.next({ port: '', event });
        for (const rule of alerts) {
          const alert = rule.evaluate(batch.events, batch.ts, batch.receivedAt);
          if (alert) subscriber.next({ port: ALERTS_PORT, event: alert });
        }
      };
      const sampleHistory = (): void => {
        const batch = history?.take();
        if (batch) for (const event of batch.events) subscriber.next({ port: HISTORY_PORT, event });
      };

      const ticks = interval(config.every, scheduler).subscribe(sample);
      const historyTicks = config.history === undefined ? undefined : interval(config.history, scheduler).subscribe(sampleHistory);
      const subscription = source.subscribe(
        new TapSubscriber(
          tap,
          (err) => subscriber.error(err),
          () => {
            ticks.unsubscribe();
            historyTicks?.unsubscribe();
            sample();
            sampleHistory();
            subscriber.complete();
          },
        ),
      );

      return () => {
        ticks.unsubscribe();
        historyTicks?.unsubscribe();
        subscription.unsubscribe();
        main.close();
        history?.close();
      };
    });
}

/**
 * The input side: hands every event to the tap. A `Subscriber` rather than an observer object,
 * which RxJS would wrap in two more layers, because it sees every event of the pipeline.
 */
class TapSubscriber extends Subscriber<ChatflowEvent> {
  constructor(
    private readonly tap: EventTap,
    private readonly onError: (err: unknown) => void,
    private readonly onComplete: () => void,
  ) {
    super();
  }

  /** The last event seen: a node that passes an event on unchanged sends the same object. */
  #last: ChatflowEvent | undefined;

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next(event: ChatflowEvent): void {
    if (event === this.#last || this.isStopped) return;
    this.#last = event;
    this.tap.observe(event);
  }

  protected override _error(err: unknown): void {
    try {
      this.onError(err);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.onComplete();
    } finally {
      this.unsubscribe();
    }
  }
}
