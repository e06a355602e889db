/**
 * Loss is loud (issue #17): the runtime watches every node's unintentional drops (a full
 * buffer, retries exhausted, a flush deadline, a disk that is full, …; `intentional: false` in
 * {@link NodeMetrics}) whatever the pipeline's `sample_metrics` rules say, and for each node
 * that loses events:
 *
 * ```text
 * one event lost every second from 0 s to 179 s (the spec in lossMonitor.test.ts):
 *   0 s    warn + firing    history lost 1 event: buffer_full 1.
 *   60 s   warn + firing    history lost 60 events more in the last 1 min: buffer_full 60 (61 since the alert fired).
 *   120 s  warn + firing    … 60 more …
 *   180 s  warn + firing    … 59 more …
 *   239 s  info + resolved  history has lost nothing for 1 min (180 events lost while it lasted).
 * ```
 *
 * The first loss is reported at the next check (scheduled at once, off the hot path), then at
 * most once every `reportEveryMs` while it lasts, each time with what was lost since the last
 * report, by reason. The alert clears once the node has lost nothing for `quietMs`. A drop only
 * wakes the monitor (`NodeMetrics.onLoss`); it reads the counters on the scheduler, and only
 * while some node is losing, so a pipeline that loses nothing has no timer.
 *
 * The monitor also keeps the ledger of everything lost since start, by node and reason, removed
 * nodes included, which the runtime's stop report carries (the CLI's last line).
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { AlertEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { NodeKind, NodeMetrics } from '../core/metrics.js';
import { LOSS_RULE_PREFIX, type RuntimeAlerts } from '../core/pipelineView.js';

export interface LossMonitorOptions {
  /** Checks and their times. */
  readonly scheduler: SchedulerLike;
  /** Epoch ms for the alerts' `ts`. */
  readonly wallClock: () => number;
  /** Monotonic ms for the alerts' `receivedAt`. */
  readonly clock: () => number;
  /** The runtime's logger: `Events lost.` (warn) and `Events no longer lost.` (info). */
  readonly logger: Logger;
  /** Instance id on the alerts. */
  readonly instance: string;
  /** How often the counters are read while some node is losing events. Default 1 s. */
  readonly checkEveryMs?: number;
  /** Least time between two reports of one node's loss. Default 60 s. */
  readonly reportEveryMs?: number;
  /** How long a node must lose nothing before its alert clears. Default 60 s. */
  readonly quietMs?: number;
}

/** Events lost by one node for one reason. */
export interface LossEntry {
  readonly node: string;
  readonly type: string;
  readonly kind: NodeKind;
  readonly reason: string;
  readonly count: number;
}

/** Everything lost since start. */
export interface LossReport {
  readonly total: number;
  /** By node and reason, most first. */
  readonly entries: readonly LossEntry[];
}

interface Watched {
  readonly metrics: NodeMetrics;
  /** Counts by reason at the last check. */
  seen: Map<string, number>;
  /** Counts by reason at the last report. */
  reported: Map<string, number>;
  firing: boolean;
  /** Scheduler time of the last report. */
  reportedAt: number;
  /** Scheduler time of the last check that saw a count grow. */
  lostAt: number;
  /** Scheduler time the current alert first fired, and what it has counted since. */
  firedAt: number;
  episode: number;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `buffer_full 1,200, flush_timeout 34`, most first. */
export function formatReasons(lost: ReadonlyMap<string, number>): string {
  return [...lost.entries()]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${fmt.format(n)}`)
    .join(', ');
}

function plural(n: number): string {
  return `${fmt.format(n)} event${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** `current - base` by reason, only what grew. */
function since(current: ReadonlyMap<string, number>, base: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [reason, n] of current) {
    const d = n - (base.get(reason) ?? 0);
    if (d > 0) out.set(reason, d);
  }
  return out;
}

function sum(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

/**
 * Watches nodes' unintentional drops; raises a `data_loss:<node>` alert and logs `Events lost.`
 * as described in this file's header. Create one per runtime.
 */
export class LossMonitor implements RuntimeAlerts {
  readonly #o: LossMonitorOptions;
  readonly #checkEveryMs: number;
  readonly #reportEveryMs: number;
  readonly #quietMs: number;
  readonly #log: Logger;
  readonly #watched = new Map<NodeMetrics, Watched>();
  /** Losses of nodes no longer watched (removed by a reload), by `node\0reason`. */
  readonly #gone = new Map<string, LossEntry>();
  /** The latest firing alert of each node that is losing events. */
  readonly #active = new Map<string, AlertEvent>();
  readonly #listeners = new Set<(alert: AlertEvent) => void>();
  #timer: Subscription | undefined;
  #stopped = false;
  /** Bound once: every watched node's `onLoss`. */
  readonly #wake = (): void => {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#o.scheduler.schedule(() => this.#tick(), 0);
  };

  constructor(options: LossMonitorOptions) {
    this.#o = options;
    this.#checkEveryMs = options.checkEveryMs ?? 1000;
    this.#reportEveryMs = options.reportEveryMs ?? 60_000;
    this.#quietMs = options.quietMs ?? 60_000;
    this.#log = options.logger;
  }

  /** Starts watching a node's counters (from zero: what it lost before is reported as new). */
  watch(metrics: NodeMetrics): void {
    if (this.#watched.has(metrics)) return;
    const now = this.#o.scheduler.now();
    this.#watched.set(metrics, {
      metrics,
      seen: new Map(),
      reported: new Map(),
      firing: false,
      reportedAt: now,
      lostAt: now,
      firedAt: now,
      episode: 0,
    });
    metrics.onLoss = this.#wake;
    if (metrics.losses().size > 0) this.#wake();
  }

  /**
   * Stops watching a node's counters (its node was removed, or rebuilt as another type): what
   * it lost and was not reported yet is reported, its alert clears, and its counts stay in
   * the ledger. With `after` (a sink's drain), only once that has settled.
   */
  unwatch(metrics: NodeMetrics, after?: Promise<unknown>): void {
    if (after) {
      void after.then(
        () => this.unwatch(metrics),
        () => this.unwatch(metrics),
      );
      return;
    }
    const w = this.#watched.get(metrics);
    if (!w) return;
    this.#watched.delete(metrics);
    if (metrics.onLoss === this.#wake) metrics.onLoss = undefined;
    const current = metrics.losses();
    const now = this.#o.scheduler.now();
    if (sum(since(current, w.reported)) > 0) this.#report(w, current, now);
    // A node rebuilt under the same id (another type) may be losing too: the alert is one per
    // id, and it is the new node's to clear.
    const successorFiring = [...this.#watched.values()].some((o) => o.metrics.id === metrics.id && o.firing);
    if (w.firing && !this.#stopped && !successorFiring) this.#resolve(w, now, 'removed');
    for (const [reason, count] of current) {
      const key = `${metrics.id}\u0000${reason}`;
      const had = this.#gone.get(key)?.count ?? 0;
      this.#gone.set(key, { node: metrics.id, type: metrics.type, kind: metrics.kind, reason, count: had + count });
    }
  }

  active(): readonly AlertEvent[] {
    return [...this.#active.values()];
  }

  subscribe(listener: (alert: AlertEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Reads every watched node's counters now; reports and clears as due. Returns whether any node is losing. */
  check(): boolean {
    const now = this.#o.scheduler.now();
    let losing = false;
    for (const w of this.#watched.values()) {
      this.#checkOne(w, now);
      if (w.firing) losing = true;
    }
    return losing;
  }

  /**
   * The last check, at stop: what was lost and not reported yet is reported now (sooner than
   * `reportEveryMs`: there is no later); then no more checks. Returns everything lost since
   * start. Idempotent.
   */
  stop(): LossReport {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#timer?.unsubscribe();
      this.#timer = undefined;
      const now = this.#o.scheduler.now();
      for (const w of this.#watched.values()) {
        const current = w.metrics.losses();
        if (sum(since(current, w.reported)) > 0) this.#report(w, current, now);
      }
    }
    return this.report();
  }

  /** Everything lost since start, by node and reason (removed nodes included), most first. */
  report(): LossReport {
    const merged = new Map<string, LossEntry>(this.#gone);
    for (const w of this.#watched.values()) {
      const m = w.metrics;
      for (const [reason, count] of m.losses()) {
        const key = `${m.id}\u0000${reason}`;
        const had = merged.get(key)?.count ?? 0;
        merged.set(key, { node: m.id, type: m.type, kind: m.kind, reason, count: had + count });
      }
    }
    const entries = [...merged.values()]
      .filter((e) => e.count > 0)
      .sort((a, b) => b.count - a.count || a.node.localeCompare(b.node) || a.reason.localeCompare(b.reason));
    return { total: entries.reduce((t, e) => t + e.count, 0), entries };
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    if (this.check()) this.#timer = this.#o.scheduler.schedule(() => this.#tick(), this.#checkEveryMs);
  }

  #checkOne(w: Watched, now: number): void {
    const current = w.metrics.losses();
    const grew = sum(since(current, w.seen)) > 0;
    w.seen = current;
    if (grew) w.lostAt = now;
    if (!w.firing) {
      if (grew) this.#report(w, current, now);
      return;
    }
    const pending = sum(since(current, w.reported));
    if (pending > 0 && now - w.reportedAt >= this.#reportEveryMs) {
      this.#report(w, current, now);
    } else if (now - w.lostAt >= this.#quietMs) {
      if (pending > 0) this.#report(w, current, now);
      this.#resolve(w, now, 'quiet');
    }
  }

  /** Logs and raises (or raises again) the node's alert with what it lost since the last report. */
  #report(w: Watched, current: Map<string, number>, now: number): void {
    const lost = since(current, w.reported);
    const events = sum(lost);
    const m = w.metrics;
    const first = !w.firing;
    const periodMs = now - w.reportedAt;
    if (first) {
      w.firing = true;
      w.firedAt = now;
      w.episode = 0;
    }
    w.episode += events;
    w.reported = current;
    w.seen = current;
    w.reportedAt = now;
    const reasons = formatReasons(lost);
    this.#log.warn(
      {
        node: m.id,
        type: m.type,
        lost: Object.fromEntries(lost),
        events,
        ...(first ? {} : { periodMs }),
      },
      'Events lost.',
    );
    const message = first
      ? `${m.id} lost ${plural(events)}: ${reasons}.`
      : `${m.id} lost ${plural(events)} more in the last ${seconds(periodMs)}: ${reasons} (${fmt.format(w.episode)} since the alert fired).`;
    this.#publish(this.#alert(m, 'firing', message, events));
  }

  #resolve(w: Watched, now: number, why: 'quiet' | 'removed'): void {
    const m = w.metrics;
    w.firing = false;
    this.#log.info({ node: m.id, type: m.type, events: w.episode, durationMs: now - w.firedAt }, 'Events no longer lost.');
    const message =
      why === 'quiet'
        ? `${m.id} has lost nothing for ${seconds(this.#quietMs)} (${plural(w.episode)} lost while it lasted).`
        : `${m.id} was removed from the pipeline (${plural(w.episode)} lost while the alert fired).`;
    this.#publish(this.#alert(m, 'resolved', message, 0));
  }

  #alert(m: NodeMetrics, state: 'firing' | 'resolved', message: string, value: number): AlertEvent {
    return {
      kind: 'alert',
      rule: `${LOSS_RULE_PREFIX}${m.id}`,
      // Events a sink was given are what the pipeline promised to deliver; elsewhere (a
      // source's malformed input, an operator that failed on one event) it is a warning.
      severity: m.kind === 'sink' ? 'critical' : 'warning',
      state,
      message,
      value,
      threshold: 0,
      instance: this.#o.instance,
      ts: this.#o.wallClock(),
      receivedAt: this.#o.clock(),
    };
  }

  #publish(alert: AlertEvent): void {
    const node = alert.rule.slice(LOSS_RULE_PREFIX.length);
    if (alert.state === 'firing') this.#active.set(node, alert);
    else this.#active.delete(node);
    for (const listener of this.#listeners) {
      try {
        listener(alert);
      } catch (err) {
        this.#log.error({ err, rule: alert.rule }, 'Loss alert listener failed.');
      }
    }
  }
}
