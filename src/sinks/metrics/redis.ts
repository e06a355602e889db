/**
 * The `metrics` sink's Redis side: each instance's latest metrics under
 * `<prefix>metrics:<instance>` (JSON, with a TTL), an instance registry (`<prefix>instances`, a
 * sorted set scored by last heartbeat, stale entries trimmed), and alerts published on
 * `<prefix>alerts`. Best effort: while Redis is down nothing waits on it; failures are counted,
 * alerts wait in a small bounded queue, and the next heartbeat after a reconnect rewrites the
 * whole state (nothing to replay).
 */
import type { Redis } from 'ioredis';
import { type Logger, silentLogger } from '../../core/logger.js';
import { whenReady } from '../../resources/redisClient.js';
import type { AlertView, InstanceView, MetricPoint } from '../../server/dashboardWire.js';

/** Keys of the metrics state in Redis, from the prefix. */
export function metricsKeys(prefix: string) {
  return {
    instances: `${prefix}instances`,
    alerts: `${prefix}alerts`,
    metrics: (instance: string) => `${prefix}metrics:${instance}`,
  };
}

/** What one instance stores (the value of `<prefix>metrics:<instance>`). */
export interface StoredInstance {
  readonly instance: string;
  readonly lastSeen: number;
  readonly metrics: readonly MetricPoint[];
}

/** Alerts kept for Redis while it is down; older ones are dropped (and counted) beyond it. */
export const MAX_PENDING_ALERTS = 100;

export interface MetricsRedisDeps {
  /** The client, opened once (connecting in the background). */
  readonly client: () => Redis;
  readonly prefix: string;
  readonly instance: string;
  /** Life of the metrics key and of a registry entry without a heartbeat. */
  readonly ttlMs: number;
  /** Wall clock (ms). */
  readonly now: () => number;
  /** `redis_failed` (heartbeats and publishes that failed), `alerts_dropped` counts. */
  readonly count?: (name: string, n?: number) => void;
  readonly logger?: Logger;
}

/** Keeps this instance's state in Redis; see the module comment. */
export class MetricsRedis {
  readonly #deps: MetricsRedisDeps;
  readonly #keys: ReturnType<typeof metricsKeys>;
  readonly #log: Logger;
  #client: Redis | undefined;
  #pending: AlertView[] = [];
  #up: boolean | undefined;
  #beating = false;
  /** Heartbeats written. */
  beats = 0;
  /** Heartbeats and publishes that failed. */
  failures = 0;

  constructor(deps: MetricsRedisDeps) {
    this.#deps = deps;
    this.#keys = metricsKeys(deps.prefix);
    this.#log = deps.logger ?? silentLogger();
  }

  /** Whether the last heartbeat reached Redis (`undefined` before the first). */
  get up(): boolean | undefined {
    return this.#up;
  }

  /** The client (opened on first use), for the API's reads. */
  client(): Redis {
    this.#client ??= this.#deps.client();
    return this.#client;
  }

  /** Opens the client and waits up to `timeoutMs` for it to be ready; never throws. */
  async connect(timeoutMs: number): Promise<void> {
    await whenReady(this.client(), timeoutMs).catch(() => undefined);
  }

  /**
   * Writes this instance's latest metrics (with the TTL), refreshes its registry entry, trims
   * stale entries and publishes waiting alerts. Never throws: a failure is counted and the
   * next beat writes everything again. Overlapping calls are skipped.
   */
  async beat(metrics: readonly MetricPoint[]): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    const client = this.client();
    try {
      if (client.status !== 'ready') throw new Error(`Redis not ready (status ${client.status}).`);
      const now = this.#deps.now();
      const stored: StoredInstance = { instance: this.#deps.instance, lastSeen: now, metrics };
      const alerts = this.#pending;
      this.#pending = [];
      const tx = client
        .multi()
        .set(this.#keys.metrics(this.#deps.instance), JSON.stringify(stored), 'PX', this.#deps.ttlMs)
        .zadd(this.#keys.instances, now, this.#deps.instance)
        .zremrangebyscore(this.#keys.instances, '-inf', now - this.#deps.ttlMs);
      for (const alert of alerts) tx.publish(this.#keys.alerts, JSON.stringify(alert));
      try {
        await tx.exec();
      } catch (err) {
        this.#requeue(alerts);
        throw err;
      }
      this.beats += 1;
      this.#setUp(true);
    } catch (err) {
      this.failures += 1;
      this.#deps.count?.('redis_failed');
      this.#setUp(false, err);
    } finally {
      this.#beating = false;
    }
  }

  /**
   * Publishes an alert on `<prefix>alerts` at once when Redis is ready; otherwise (or when the
   * publish fails) it waits for the next heartbeat that reaches Redis.
   */
  publishAlert(alert: AlertView): void {
    const client = this.client();
    if (client.status !== 'ready') {
      this.#requeue([alert]);
      return;
    }
    client.publish(this.#keys.alerts, JSON.stringify(alert)).catch(() => {
      this.failures += 1;
      this.#deps.count?.('redis_failed');
      this.#requeue([alert]);
    });
  }

  /** Takes this instance out of the registry (a clean stop) and closes the client. */
  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (client.status === 'ready') {
      await client
        .multi()
        .zrem(this.#keys.instances, this.#deps.instance)
        .del(this.#keys.metrics(this.#deps.instance))
        .exec()
        .catch(() => undefined);
      await client.quit().catch(() => client.disconnect());
    } else {
      client.disconnect();
    }
  }

  #requeue(alerts: readonly AlertView[]): void {
    const merged = [...alerts, ...this.#pending];
    const over = merged.length - MAX_PENDING_ALERTS;
    if (over > 0) this.#deps.count?.('alerts_dropped', over);
    this.#pending = over > 0 ? merged.slice(over) : merged;
  }

  #setUp(up: boolean, err?: unknown): void {
    if (this.#up === up) return;
    const was = this.#up;
    this.#up = up;
    if (!up) this.#log.warn({ err }, 'Redis unavailable; metrics stay local until it is back.');
    else if (was === false) this.#log.info({}, 'Redis back; instance metrics resynced.');
  }
}

/** Totals across instances: each series' values summed (meaningful for counts and rates). */
export interface AggregatedTotals {
  readonly instances: number;
  readonly series: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}

/**
 * Every live instance in the registry (heartbeat within `ttlMs` and its metrics key still
 * there), most recently seen first, and their totals.
 */
export async function readInstances(
  client: Redis,
  prefix: string,
  now: number,
  ttlMs: number,
): Promise<{ instances: InstanceView[]; totals: AggregatedTotals }> {
  const keys = metricsKeys(prefix);
  const ids = await client.zrevrangebyscore(keys.instances, '+inf', now - ttlMs);
  const raw = ids.length === 0 ? [] : await client.mget(ids.map((id) => keys.metrics(id)));
  const instances: InstanceView[] = [];
  for (const json of raw) {
    if (json === null) continue;
    try {
      const stored = JSON.parse(json) as StoredInstance;
      instances.push({ instance: stored.instance, lastSeen: stored.lastSeen, metrics: stored.metrics });
    } catch {
      // A foreign or corrupt value: not one of ours, not shown.
    }
  }
  return { instances, totals: aggregate(instances) };
}

/** Sums each series' `value` across instances. */
export function aggregate(instances: readonly InstanceView[]): AggregatedTotals {
  const sums = new Map<string, { name: string; labels: Readonly<Record<string, string>>; value: number }>();
  for (const inst of instances) {
    for (const point of inst.metrics) {
      if (point.value === undefined || !Number.isFinite(point.value)) continue;
      const key = `${point.name}\u0000${JSON.stringify(Object.entries(point.labels).sort())}`;
      const entry = sums.get(key);
      if (entry) entry.value += point.value;
      else sums.set(key, { name: point.name, labels: point.labels, value: point.value });
    }
  }
  return { instances: instances.length, series: [...sums.values()] };
}
