/**
 * `metrics`: the live side of monitoring. Takes `metric` and `alert` events (from
 * `sample_metrics`) and `control` events, and serves them: the dashboard's WebSocket stream,
 * `/api/metrics/realtime`, `/api/metrics/aggregated`, `/api/alerts`, `/api/variables` and
 * Prometheus `/metrics`; keeps each instance's latest metrics in Redis with a heartbeat so every
 * live instance shows up in the aggregate, and publishes alerts there. History is the postgres
 * sink's job: wire a `sample_metrics` node into it too (docs/api.md).
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Sink } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import type { createRedis } from '../../resources/redisClient.js';
import {
  type AggregatedResponse,
  type AlertsResponse,
  DASHBOARD_STREAM_PATH,
  type GraphView,
  type InstanceView,
  type MetricPoint,
  type VariableView,
} from '../../server/dashboardWire.js';
import type { HttpHost } from '../../core/http.js';
import { metricsRoutes } from '../../server/metricsRoutes.js';
import type { FanoutStats, WsFanout } from '../../server/wsFanout.js';
import { type MetricsState, MetricsHub, metricsEventKey } from './hub.js';
import { PromExport } from './prometheus.js';
import { aggregate, MetricsRedis, readInstances } from './redis.js';
import { redisStateKeys } from '../redisState.js';
import type { MetricsConfig } from './config.js';


/** Collaborators of {@link MetricsSink}. */
export interface MetricsDeps {
  /** The process's HTTP server, not listening yet. */
  readonly http: HttpHost;
  /** Instance id when the config has none. */
  readonly instance: string;
  /** The pipeline with live counts; an empty graph when absent (unit tests). */
  readonly graph?: () => GraphView;
  /** A Redis client for the registry and alerts; absent: local only. */
  readonly redis?: () => ReturnType<typeof createRedis>;
  /** Timers (stream, heartbeat, pings). */
  readonly scheduler?: SchedulerLike;
  /** Wall clock (ms): the context's `wallClock`; the scheduler's `now()` when absent (unit tests). */
  readonly now?: () => number;
  /** The node's metrics: drops (`slow_client`, `max_series`, `not_shown`) and counts (`redis_failed`). */
  readonly drops?: DropCounter & { count?(name: string, n?: number): void };
  readonly logger?: Logger;
}

const EMPTY_GRAPH: GraphView = { nodes: [], edges: [] };

/**
 * Holds the latest metrics, alerts and variables (see {@link MetricsHub}), streams them to the
 * dashboard, and keeps this instance's state in Redis (see {@link MetricsRedis}). `write` is
 * synchronous and never throws: Redis being down costs the stream nothing.
 */
export class MetricsSink implements Sink<ChatflowEvent> {
  readonly instance: string;
  readonly #config: MetricsConfig;
  readonly #hub: MetricsHub;
  readonly #redis: MetricsRedis | undefined;
  readonly #scheduler: SchedulerLike;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly prometheus: PromExport | undefined;
  #heartbeat: Subscription | undefined;
  #inflight: Promise<void> | undefined;
  #stopped = false;

  constructor(id: string, config: MetricsConfig, deps: MetricsDeps) {
    this.instance = config.instance ?? deps.instance;
    this.#config = config;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#now = deps.now ?? (() => this.#scheduler.now());
    this.#log = deps.logger ?? silentLogger();
    const graph = deps.graph ?? (() => EMPTY_GRAPH);
    this.#hub = new MetricsHub(
      {
        instance: this.instance,
        streamEveryMs: config.stream_every,
        maxSeries: config.max_series,
        alertHistory: config.alert_history,
        maxVariables: config.max_variables,
        pingIntervalMs: config.ping_interval,
        maxBufferedBytes: config.max_buffered_bytes,
        stuckTimeoutMs: config.stuck_timeout,
        maxClients: config.max_clients,
      },
      {
        graph,
        scheduler: this.#scheduler,
        now: this.#now,
        drops: deps.drops ?? NO_DROPS,
        logger: this.#log,
      },
    );
    const counts = deps.drops?.count?.bind(deps.drops);
    this.#redis = deps.redis
      ? new MetricsRedis({
          client: deps.redis,
          prefix: config.prefix,
          instance: this.instance,
          ttlMs: config.instance_ttl,
          now: this.#now,
          logger: this.#log,
          ...(counts ? { count: counts } : {}),
        })
      : undefined;
    this.prometheus = config.prometheus
      ? new PromExport(() => this.#hub.state().metrics, config.process_metrics)
      : undefined;
    deps.http.claimPath(DASHBOARD_STREAM_PATH, id);
    deps.http.register(metricsRoutes(this));
  }

  /**
   * Starts the Redis heartbeat: the first one once Redis is ready (waiting at most 2 s, so a
   * Redis that is down delays nothing). Never throws.
   */
  async start(): Promise<void> {
    if (!this.#redis || this.#heartbeat) return;
    await this.#redis.connect(2000);
    if (this.#heartbeat || this.#stopped) return;
    const sink = this;
    this.#heartbeat = this.#scheduler.schedule(function (this: SchedulerAction<unknown>) {
      sink.#beat();
      this.schedule(undefined, sink.#config.heartbeat);
    }, 0);
  }

  keyOf(event: ChatflowEvent): string {
    return metricsEventKey(event);
  }

  write(batch: readonly ChatflowEvent[]): void {
    this.#hub.publish(batch);
    if (!this.#redis) return;
    for (const event of batch) {
      if (event.kind === 'alert') {
        const { kind: _kind, receivedAt: _receivedAt, ...alert } = event;
        this.#redis.publishAlert(alert);
      }
    }
  }

  /** Closes the dashboard clients, stops the heartbeat and leaves the Redis registry. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#heartbeat?.unsubscribe();
    this.#heartbeat = undefined;
    await this.#hub.close();
    await this.#inflight;
    await this.#redis?.stop();
    const s = this.#hub.stats();
    this.#log.info({ accepted: s.accepted, refused: s.refused, stuck: s.stuck, resynced: s.resynced }, 'Dashboard stream closed.');
  }

  /** Dashboard connection counters (see {@link WsFanout}). */
  stats(): FanoutStats {
    return this.#hub.stats();
  }

  // --- what the routes read ------------------------------------------------------------------

  /** Takes a dashboard WebSocket. */
  accept(ws: Parameters<MetricsHub['accept']>[0]): void {
    this.#hub.accept(ws);
  }

  state(): MetricsState {
    return this.#hub.state();
  }

  /** The latest point of every series. */
  realtime(): readonly MetricPoint[] {
    return this.#hub.state().metrics;
  }

  alerts(): AlertsResponse {
    const s = this.#hub.state();
    return { active: s.active, recent: s.recent };
  }

  /**
   * The variables from the control events this sink sees; when it sees none, those
   * `redis_state` stores (`<prefix>variables`), when Redis is there.
   */
  async variables(): Promise<readonly VariableView[]> {
    const own = this.#hub.state().variables;
    if (own.length > 0 || !this.#redis) return own;
    const client = this.#redis.client();
    if (client.status !== 'ready') return own;
    const raw = await client.hgetall(redisStateKeys(this.#config.prefix).variables);
    const out: VariableView[] = [];
    for (const [name, json] of Object.entries(raw)) {
      try {
        const v = JSON.parse(json) as { value?: unknown; by?: VariableView['by'] | null; at?: unknown };
        if (typeof v.value !== 'number') continue;
        out.push({ name, value: v.value, ...(v.by ? { by: v.by } : {}), at: typeof v.at === 'number' ? v.at : 0 });
      } catch {
        // Not a redis_state value.
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every live instance from the Redis registry, or this one alone without Redis. */
  async aggregated(): Promise<AggregatedResponse> {
    const self: InstanceView = { instance: this.instance, lastSeen: this.#now(), metrics: this.realtime() };
    const client = this.#redis?.client();
    if (client?.status !== 'ready') {
      return { source: 'local', instances: [self], totals: aggregate([self]) };
    }
    const read = await readInstances(client, this.#config.prefix, this.#now(), this.#config.instance_ttl);
    return { source: 'redis', ...read };
  }

  /** Whether Redis took the last heartbeat (`undefined`: no Redis, or none yet). */
  get redisUp(): boolean | undefined {
    return this.#redis?.up;
  }

  /** Writes a heartbeat now and waits for it (tests, and the first beat). */
  async beatNow(): Promise<void> {
    await this.#inflight;
    this.#beat();
    await this.#inflight;
  }

  #beat(): void {
    const redis = this.#redis;
    if (!redis || this.#inflight) return;
    this.#inflight = redis.beat(this.realtime()).finally(() => {
      this.#inflight = undefined;
    });
  }
}
