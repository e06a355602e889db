/**
 * `metrics`: the live side of monitoring. Takes `metric` and `alert` events (from
 * `sample_metrics`) and `control` events, and serves them: the dashboard's WebSocket stream,
 * `/api/metrics/realtime`, `/api/metrics/aggregated`, `/api/alerts`, `/api/variables` and
 * Prometheus `/metrics`; keeps each instance's latest metrics in Redis with a heartbeat so every
 * live instance shows up in the aggregate, and publishes alerts there. History is the postgres
 * sink's job: wire a `sample_metrics` node into it too (docs/api.md).
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { defineSink, type Sink } from '../core/component.js';
import { PipelineError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { duration } from '../core/units.js';
import { createRedis } from '../resources/redisClient.js';
import {
  type AggregatedResponse,
  type AlertsResponse,
  DASHBOARD_STREAM_PATH,
  type GraphView,
  type InstanceView,
  type MetricPoint,
  type VariableView,
} from '../server/dashboardWire.js';
import { graphView } from '../server/graphView.js';
import type { HttpHost } from '../core/http.js';
import { metricsRoutes } from '../server/metricsRoutes.js';
import type { FanoutStats, WsFanout } from '../server/wsFanout.js';
import { type MetricsState, MetricsHub } from './metricsHub.js';
import { PromExport } from './metricsPromInternals.js';
import { aggregate, MetricsRedis, readInstances } from './metricsRedisInternals.js';
import { redisStateKeys } from './redisState.js';
import { defaultEventKey } from './writeBatches.js';

const INSTANCE = /^[A-Za-z0-9._:-]{1,64}$/;

export const MetricsConfig = z
  .strictObject({
    instance: z
      .string()
      .regex(INSTANCE, 'Expected 1–64 letters, digits, `.`, `_`, `:` or `-`')
      .optional()
      .describe(
        "This process's name in Redis and on the dashboard. Default: `CHATFLOW_INSTANCE`, else a random id per run.",
      ),
    stream_every: duration()
      .refine((ms) => ms >= 50, 'At least 50ms')
      .prefault('1s')
      .describe(
        'Least time between two `metrics` messages on the dashboard stream; metric events in between are coalesced (each series keeps its newest point).',
      ),
    prefix: z
      .string()
      .default('chatflow:')
      .describe(
        'Prefix of the Redis keys (`<prefix>metrics:<instance>`, `<prefix>instances`) and of the alert channel (`<prefix>alerts`); the same as redis_state\'s, whose variables `/api/variables` reads when no control events reach this sink.',
      ),
    heartbeat: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('2s')
      .describe("How often this instance's latest metrics and its registry entry are written to Redis."),
    instance_ttl: duration()
      .prefault('10s')
      .describe(
        'An instance without a heartbeat for this long leaves `/api/metrics/aggregated` (its key expires after it too). Keep it a few heartbeats long.',
      ),
    alert_history: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe('Recent alerts (firing and resolved) kept for `/api/alerts` and a new dashboard.'),
    max_series: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Metric series (name + labels) held; new series beyond it are dropped and counted as `max_series`.'),
    max_variables: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(200)
      .describe('Control variables held for the dashboard; the least recently changed is forgotten beyond it.'),
    prometheus: z.boolean().default(true).describe('Serve `/metrics` in the Prometheus text format.'),
    process_metrics: z
      .boolean()
      .default(true)
      .describe("Add prom-client's process metrics (`chatflow_process_…`, `chatflow_nodejs_…`: CPU, memory, event-loop lag) to `/metrics`."),
    max_clients: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe('Dashboard connections served at once; more are refused with close code 1013 and counted.'),
    max_buffered_bytes: z
      .number()
      .int()
      .min(4096)
      .default(1_048_576)
      .describe(
        'Unsent bytes one dashboard client may hold. One that falls behind further is sent nothing (counted as `slow_client`) until it drains, then gets a fresh `hello`.',
      ),
    ping_interval: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('15s')
      .describe('How often dashboard clients are pinged; one that has not answered the previous ping is disconnected.'),
    stuck_timeout: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('10s')
      .describe(
        'How far behind a dashboard client may fall: one that has not read, this long after, what it was sent is disconnected with close code 1008 `too_slow` and counted as `slow_client_closed`.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.instance_ttl < config.heartbeat * 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['instance_ttl'],
        message: '`instance_ttl` must be at least twice `heartbeat`, or live instances would blink out',
      });
    }
  })
  .describe('Live metrics, alerts and variables for the dashboard, Prometheus and other instances.');
export type MetricsConfig = z.output<typeof MetricsConfig>;

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
  /** Wall clock (ms). */
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
    this.#now = deps.now ?? Date.now;
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
    if (event.kind === 'alert') return `alert:${event.rule}:${event.state}:${event.ts}`;
    return defaultEventKey(event) ?? event.kind;
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

export const metricsComponent = defineSink({
  type: 'metrics',
  summary: 'Streams metrics, alerts and variables to the dashboard, serves /api/metrics and Prometheus /metrics, and registers the instance in Redis.',
  description:
    'Wire `sample_metrics` into it (and `control` nodes, for the dashboard\'s variables). Serves the dashboard\'s WebSocket (`/api/stream`: `hello`, then `metrics` at most every `stream_every`, `alert` and `variables` as they happen), `/api/metrics/realtime`, `/api/metrics/aggregated`, `/api/alerts`, `/api/variables` and `/metrics` (Prometheus text, `chatflow_` names). With `resources.redis`, every `heartbeat` it writes its latest metrics to `<prefix>metrics:<instance>` (expiring after `instance_ttl`) and refreshes `<prefix>instances`, so the aggregate shows every live instance; alerts are published on `<prefix>alerts`. Redis down: counted as `redis_failed`, everything else goes on, and the next heartbeat after it is back rewrites the state. History is the job of a `postgres` sink: feed it a `sample_metrics` node (the default pipeline samples every 10 s for it) and `/api/metrics/historical` reads it back. See docs/api.md.',
  config: MetricsConfig,
  driver: { batchTimeoutMs: 0, whenFull: 'latest_per_key', bufferMax: 20_000, batchMax: 1000 },
  examples: ['stream_every: 1s', 'instance: studio-a\nheartbeat: 1s\ninstance_ttl: 5s\nprometheus: false'],
  create: (config, ctx) => {
    const http = ctx.resources.http;
    if (!http) {
      throw new PipelineError('ERR_RESOURCE', 'config', `Sink "${ctx.id}" needs the HTTP server, and this process has none.`, {
        node: ctx.id,
      });
    }
    const pipeline = ctx.resources.pipeline;
    const url = ctx.resources.redis?.url;
    return new MetricsSink(ctx.id, config, {
      http,
      instance: ctx.resources.instance,
      ...(pipeline ? { graph: () => graphView(pipeline.graph, pipeline.snapshot()) } : {}),
      ...(url === undefined ? {} : { redis: () => createRedis(url, `chatflow-${ctx.id}`) }),
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      logger: ctx.logger,
    });
  },
});
