/**
 * The state behind the `metrics` sink and the dashboard stream (`/api/stream`): the latest
 * value of every metric series, active and recent alerts, the live control variables, and the
 * dashboard clients, fed through the shared fan-out (src/server/wsFanout.ts). Metric updates
 * are coalesced: at most one `metrics` message per `streamEveryMs`, holding the latest points.
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { defaultEventKey } from '../../core/eventKey.js';
import type { AlertEvent, ChatflowEvent, ControlEvent, MetricEvent, PlatformEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import {
  type AlertView,
  CHANNEL_ACTIVITY_TYPES,
  type ChannelActivityView,
  type DashboardMessage,
  type GraphView,
  type MetricPoint,
  type VariableView,
} from '../../server/dashboardWire.js';
import { type FanoutStats, Frame, WsFanout } from '../../server/wsFanout.js';

export interface MetricsHubOptions {
  /** Instance id put on the hello message. */
  readonly instance: string;
  /** Least time between two `metrics` messages. */
  readonly streamEveryMs: number;
  /**
   * Least time between two `variables` messages: the first change goes at once, those within
   * this long after it together at its end (default {@link VARIABLES_EVERY_MS}; 0: every batch).
   */
  readonly variablesEveryMs?: number;
  /** Metric series (name + labels) held; new series beyond it are dropped (`max_series`). */
  readonly maxSeries: number;
  /** Recent alerts held (firing and resolved). */
  readonly alertHistory: number;
  /** Variables held; the least recently changed one is forgotten beyond it. */
  readonly maxVariables: number;
  readonly pingIntervalMs: number;
  readonly maxBufferedBytes: number;
  readonly stuckTimeoutMs: number;
  readonly maxClients: number;
}

export interface MetricsHubDeps {
  /** The pipeline's graph with live counts, for hello and every metrics message. */
  readonly graph: () => GraphView;
  /** Timers (stream ticks, pings) and the clock of `stuck_timeout`. */
  readonly scheduler?: SchedulerLike;
  /** Wall clock (ms) for the `metrics` message's `ts`; the scheduler's `now()` when absent. */
  readonly now?: () => number;
  /** `max_series`, `slow_client`, `not_shown` drops; `slow_client_closed` (`count`). */
  readonly drops?: DropCounter & { count?(name: string, n?: number): void };
  readonly logger?: Logger;
}

/** The key of a metric series: its name and sorted labels. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return name;
  keys.sort();
  let out = `${name}{`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out += `${i > 0 ? ',' : ''}${k}=${labels[k]}`;
  }
  return `${out}}`;
}

/** A `metric` event as a {@link MetricPoint} (without `kind` and `receivedAt`). */
export function metricPoint(event: MetricEvent): MetricPoint {
  // Most samples are a plain value: one object literal, without a spread per optional field.
  if (event.value !== undefined && event.summary === undefined && event.histogram === undefined) {
    return { name: event.name, labels: event.labels, value: event.value, instance: event.instance, ts: event.ts };
  }
  return {
    name: event.name,
    labels: event.labels,
    ...(event.value === undefined ? {} : { value: event.value }),
    ...(event.summary === undefined ? {} : { summary: event.summary }),
    ...(event.histogram === undefined ? {} : { histogram: event.histogram }),
    instance: event.instance,
    ts: event.ts,
  };
}

/** The sink's key for `latest_per_key`: every alert is kept, metrics and variables by series. */
export function metricsEventKey(event: ChatflowEvent): string {
  if (event.kind === 'alert') return `alert:${event.rule}:${event.state}:${event.ts}`;
  return defaultEventKey(event) ?? event.kind;
}

/** An `alert` event as an {@link AlertView}. */
export function alertView(event: AlertEvent): AlertView {
  const { kind: _kind, receivedAt: _receivedAt, ...view } = event;
  return view;
}

/** A `control` event as a {@link VariableView}; `at` is the wall clock when it arrived. */
export function variableView(event: ControlEvent, at: number): VariableView {
  const origin = event.towards ?? event.origin;
  return { name: event.variable, value: event.value, ...(event.by ? { by: event.by } : {}), origin, at };
}

/**
 * How often the dashboard is sent the variables at most. A slew changes a variable 100 times a
 * second, and the page rebuilds its variables list for every message: ten a second is what a
 * person reads, at a tenth of the browser's work.
 */
export const VARIABLES_EVERY_MS = 100;

/** Channels whose activities are held, at most; the least recently active is forgotten beyond it. */
const MAX_ACTIVITIES = 3 * 16;

/** A poll, prediction or hype train event as a {@link ChannelActivityView}; undefined for other events. */
export function channelActivity(event: PlatformEvent): ChannelActivityView | undefined {
  const type = CHANNEL_ACTIVITY_TYPES.find((t) => t === event.type);
  if (type === undefined) return undefined;
  return { type, platform: event.platform, channel: event.channel, data: event.data, items: event.items ?? [], ts: event.ts };
}

/** What the hub holds now. */
export interface MetricsState {
  readonly metrics: readonly MetricPoint[];
  readonly active: readonly AlertView[];
  readonly recent: readonly AlertView[];
  readonly variables: readonly VariableView[];
}

/**
 * Holds the latest metrics, alerts and variables and streams them to dashboard clients:
 *
 * ```text
 * connect                    →  hello (instance, graph, metrics, alerts, variables)
 * publish([m1, m2, m3])      →  latest[m.series] = m   (nothing sent yet)
 * every streamEveryMs, dirty →  metrics (ts, every latest point, graph)   ← coalesced
 * publish([alert])           →  alert, at once
 * publish([control…])        →  variables, at once (one message per batch)
 * publish([control…]) within variablesEveryMs of it → one variables message at its end
 * publish([poll, prediction…]) → channel, at once (the latest of each per channel)
 * ```
 *
 * A slow client is bounded by the fan-out: skipped while it holds more than
 * `maxBufferedBytes`, resynced with a fresh hello when it drains, closed (1008 `too_slow`,
 * counted as `slow_client_closed`) when it has not read, `stuckTimeoutMs` later, what it was sent.
 */
export class MetricsHub {
  readonly #o: MetricsHubOptions;
  readonly #deps: MetricsHubDeps;
  readonly #scheduler: SchedulerLike;
  readonly #now: () => number;
  readonly #drops: DropCounter;
  readonly #fanout: WsFanout;
  readonly #latest = new Map<string, MetricPoint>();
  /** Firing alerts by rule. */
  readonly #active = new Map<string, AlertView>();
  #recent: AlertView[] = [];
  /** Insertion order = least recently changed first. */
  readonly #variables = new Map<string, VariableView>();
  /** The latest poll, prediction and hype train per channel, least recently changed first. */
  readonly #activities = new Map<string, ChannelActivityView>();
  #dirty = false;
  #tick: Subscription | undefined;
  /** Open while variables sent lately: changes wait for its end. */
  #variablesWindow: Subscription | undefined;
  #variablesDirty = false;
  #warnedSeries = false;
  readonly #log: Logger;

  constructor(options: MetricsHubOptions, deps: MetricsHubDeps) {
    this.#o = options;
    this.#deps = deps;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#now = deps.now ?? (() => this.#scheduler.now());
    this.#drops = deps.drops ?? NO_DROPS;
    this.#log = deps.logger ?? silentLogger();
    this.#fanout = new WsFanout(
      {
        pingIntervalMs: options.pingIntervalMs,
        maxBufferedBytes: options.maxBufferedBytes,
        stuckTimeoutMs: options.stuckTimeoutMs,
        maxClients: options.maxClients,
        compress: false,
        label: 'Dashboard',
      },
      {
        snapshot: () => this.#helloFrame(),
        logger: this.#log,
        scheduler: this.#scheduler,
        onTooSlow: () => deps.drops?.count?.('slow_client_closed'),
      },
    );
  }

  stats(): FanoutStats {
    return this.#fanout.stats();
  }

  /** Takes a dashboard connection (sent a hello first). */
  accept(ws: WebSocket): void {
    this.#fanout.accept(ws);
    this.#startTicking();
  }

  /** The live variables, least recently changed first (what a `variables` message carries). */
  variables(): VariableView[] {
    return [...this.#variables.values()];
  }

  /** The latest metric points, alerts and variables. */
  state(): MetricsState {
    return {
      metrics: [...this.#latest.values()],
      active: [...this.#active.values()],
      recent: [...this.#recent],
      variables: [...this.#variables.values()],
    };
  }

  /** Applies a batch: metrics are held for the next tick, alerts and variables sent at once. */
  publish(events: readonly ChatflowEvent[]): void {
    let variablesChanged = false;
    let channelChanged = false;
    const alerts: AlertView[] = [];
    for (const event of events) {
      switch (event.kind) {
        case 'metric':
          this.#applyMetric(event);
          break;
        case 'alert':
          alerts.push(this.#applyAlert(event));
          break;
        case 'control':
          this.#applyVariable(event);
          variablesChanged = true;
          break;
        case 'platform': {
          const activity = channelActivity(event);
          if (activity === undefined) {
            this.#drops.drop('not_shown', true);
            break;
          }
          const key = `${activity.platform}:${activity.channel}:${activity.type}`;
          this.#activities.delete(key);
          this.#activities.set(key, activity);
          if (this.#activities.size > MAX_ACTIVITIES) {
            const oldest = this.#activities.keys().next().value;
            if (oldest !== undefined) this.#activities.delete(oldest);
          }
          channelChanged = true;
          break;
        }
        default:
          this.#drops.drop('not_shown', true);
      }
    }
    if (this.#fanout.size === 0) return;
    for (const alert of alerts) this.#broadcast({ type: 'alert', alert });
    if (variablesChanged) this.#variablesChanged();
    if (channelChanged) this.#broadcast({ type: 'channel', channel: [...this.#activities.values()] });
  }

  /** Stops the stream timer and closes every client (1001). */
  async close(): Promise<void> {
    this.#tick?.unsubscribe();
    this.#tick = undefined;
    this.#variablesWindow?.unsubscribe();
    this.#variablesWindow = undefined;
    await this.#fanout.close();
  }

  #applyMetric(event: MetricEvent): void {
    const key = seriesKey(event.name, event.labels);
    if (!this.#latest.has(key) && this.#latest.size >= this.#o.maxSeries) {
      this.#drops.drop('max_series', false);
      if (!this.#warnedSeries) {
        this.#warnedSeries = true;
        this.#log.warn({ maxSeries: this.#o.maxSeries }, 'Metric series limit reached; new series are dropped.');
      }
      return;
    }
    this.#latest.set(key, metricPoint(event));
    this.#dirty = true;
  }

  #applyAlert(event: AlertEvent): AlertView {
    const view = alertView(event);
    if (view.state === 'firing') this.#active.set(view.rule, view);
    else this.#active.delete(view.rule);
    this.#recent.push(view);
    if (this.#recent.length > this.#o.alertHistory) this.#recent = this.#recent.slice(-this.#o.alertHistory);
    return view;
  }

  #applyVariable(event: ControlEvent): void {
    if (!Number.isFinite(event.value)) {
      this.#drops.drop('invalid_value', false);
      return;
    }
    this.#variables.delete(event.variable);
    this.#variables.set(event.variable, variableView(event, this.#now()));
    if (this.#variables.size > this.#o.maxVariables) {
      const oldest = this.#variables.keys().next().value;
      if (oldest !== undefined) this.#variables.delete(oldest);
    }
  }

  /** Sends the variables now, or at the end of the window a message sent lately opened. */
  #variablesChanged(): void {
    if (this.#variablesWindow) {
      this.#variablesDirty = true;
      return;
    }
    const every = this.#o.variablesEveryMs ?? VARIABLES_EVERY_MS;
    this.#broadcast({ type: 'variables', variables: [...this.#variables.values()] });
    if (every <= 0) return;
    const hub = this;
    this.#variablesWindow = this.#scheduler.schedule(function (this: SchedulerAction<unknown>) {
      if (!hub.#variablesDirty || hub.#fanout.size === 0) {
        hub.#variablesWindow = undefined;
        return;
      }
      hub.#variablesDirty = false;
      hub.#broadcast({ type: 'variables', variables: [...hub.#variables.values()] });
      this.schedule(undefined, every);
    }, every);
  }

  #broadcast(message: DashboardMessage): void {
    this.#fanout.broadcast(new Frame(JSON.stringify(message)), (skipped) => this.#drops.drop('slow_client', false, skipped));
  }

  #helloFrame(): Frame {
    const message: DashboardMessage = {
      type: 'hello',
      instance: this.#o.instance,
      graph: this.#deps.graph(),
      metrics: [...this.#latest.values()],
      alerts: this.#helloAlerts(),
      variables: [...this.#variables.values()],
      channel: [...this.#activities.values()],
    };
    return new Frame(JSON.stringify(message));
  }

  /**
   * The recent alerts, oldest first, preceded by any still-firing alert that has fallen out of
   * the recent list: a rule's last entry says whether it fires.
   */
  #helloAlerts(): AlertView[] {
    const recent = new Set(this.#recent);
    const older = [...this.#active.values()].filter((a) => !recent.has(a));
    return [...older, ...this.#recent];
  }

  /** One tick: a `metrics` message when something changed and someone listens. */
  #onTick(): void {
    if (this.#fanout.size === 0) {
      this.#tick?.unsubscribe();
      this.#tick = undefined;
      return;
    }
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#broadcast({
      type: 'metrics',
      ts: this.#now(),
      metrics: [...this.#latest.values()],
      graph: this.#deps.graph(),
    });
  }

  #startTicking(): void {
    if (this.#tick || this.#fanout.size === 0) return;
    const hub = this;
    const every = this.#o.streamEveryMs;
    this.#tick = this.#scheduler.schedule(function (this: SchedulerAction<unknown>) {
      hub.#onTick();
      if (hub.#tick) this.schedule(undefined, every);
    }, every);
  }
}
