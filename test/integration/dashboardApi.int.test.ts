/**
 * The dashboard's HTTP API and stream against a real Redis and PostgreSQL, wired the way
 * `chatflow run` wires them (runtime + control bus + metrics sink + API routes on one server
 * with `server.token`): auth, two instances in the aggregate, history from system_metrics,
 * questions, control actions reaching a running `control` node, the rate limit, the stream,
 * and Redis going away and coming back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Observable, Subject } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { type Resources, defineSource } from '../../src/core/component.js';
import { CONTROL_BUS, ControlBus } from '../../src/core/controlBus.js';
import { provide, Services } from '../../src/core/services.js';
import type { ChatflowEvent, MetricEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { buildRegistry } from '../../src/core/registry.js';
import { operatorComponents } from '../../src/operators/index.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { freePort, startEmbeddedRedis } from '../../src/resources/embedded.js';
import { createRedis } from '../../src/resources/redisClient.js';
import { apiRoutes } from '../../src/server/apiRoutes.js';
import type {
  AggregatedResponse,
  DashboardMessage,
  GraphView,
  HealthView,
  HistoricalResponse,
  PerformanceView,
  QuestionView,
  StatsView,
  VariableView,
} from '../../src/server/dashboardWire.js';
import { createHttpServer } from '../../src/server/httpServer.js';
import { MetricsConfig, MetricsSink } from '../../src/sinks/metrics/index.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { sourceComponents } from '../../src/sources/index.js';
import { chat } from '../support/events.js';
import { startTestPostgres, startTestRedis, type TestServer } from '../support/servers.js';

const TOKEN = 'sesame';
const auth = { authorization: `Bearer ${TOKEN}` };

let redisServer: TestServer;
let pgServer: TestServer;
let redis: Redis;
let db: pg.Client;

beforeAll(async () => {
  [redisServer, pgServer] = await Promise.all([startTestRedis(), startTestPostgres()]);
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await db?.end();
  await redisServer?.destroy();
  await pgServer?.destroy();
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Polls `check` every 100 ms: 10 requests/s when it asks the API, under its rate limit. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A source that emits what the test pushes into `feeds[name]`. */
function feedRegistry(feeds: Map<string, Subject<ChatflowEvent>>) {
  const feed = defineSource({
    type: 'feed',
    summary: 'Events pushed by the test.',
    config: z.strictObject({ name: z.string().describe('Which feed.') }),
    examples: ['name: a'],
    create: (config) =>
      new Observable<ChatflowEvent>((subscriber) => {
        let subject = feeds.get(config.name);
        if (!subject) {
          subject = new Subject<ChatflowEvent>();
          feeds.set(config.name, subject);
        }
        return subject.subscribe(subscriber);
      }),
  });
  return buildRegistry([...sourceComponents, feed], operatorComponents, sinkComponents);
}

const PIPELINE = `version: 1
sources:
  stats: { type: feed, name: metrics }
  chat: { type: feed, name: chat }
operators:
  cmds:
    type: parse_command
    inputs: [chat]
    commands:
      cv: { args: [name, "value:number(0..1)"] }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
sinks:
  metrics:
    type: metrics
    inputs: [stats, cv]
    instance: alpha
    heartbeat: 200ms
    instance_ttl: 3s
    stream_every: 100ms
  history: { type: postgres, inputs: [stats], batch: { timeout: 0ms } }
`;

interface App {
  readonly base: string;
  readonly port: number;
  readonly runtime: PipelineRuntime;
  readonly push: (feed: string, event: ChatflowEvent) => void;
}

/** `chatflow run`'s wiring, with a token, on 127.0.0.1:0. */
async function startApp(yaml = PIPELINE, options: { rateLimit?: { ratePerSec: number; burst: number } } = {}): Promise<App> {
  const feeds = new Map<string, Subject<ChatflowEvent>>();
  const result = buildGraph(loadText(yaml, { file: 'test.yaml', env: {} }), feedRegistry(feeds));
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  const logger = silentLogger();
  const http = createHttpServer({ listen: '127.0.0.1:0', token: TOKEN }, logger, {
    ...(options.rateLimit ? { rateLimit: { ...options.rateLimit, maxClients: 100 } } : {}),
  });
  const controlBus = new ControlBus();
  const resources: Resources = {
    baseDir: tmpdir(),
    instance: 'alpha',
    http,
    services: new Services([provide(CONTROL_BUS, controlBus)]),
    redis: { url: redisServer.url },
    postgres: { url: pgServer.url },
  };
  const runtime = await startPipeline(result.graph, { logger, resources });
  http.register(apiRoutes({ pipeline: runtime, instance: 'alpha', controlBus, postgresUrl: pgServer.url, wallClock: Date.now, logger }));
  const address = await http.listen();
  cleanup.push(async () => {
    await runtime.stop();
    await http.close();
  });
  const port = address?.port ?? 0;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    runtime,
    push: (feed, event) => feeds.get(feed)?.next(event),
  };
}

const metric = (name: string, value: number, labels: Record<string, string> = {}, ts = Date.now()): MetricEvent => ({
  kind: 'metric',
  name,
  labels,
  value,
  instance: 'alpha',
  ts,
  receivedAt: performance.now(),
});

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: auth });
  return { status: res.status, body: (await res.json()) as T };
}

async function post<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method: 'POST', headers: auth });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * Every token-protected route of docs/api.md, as `[method, path]` (`/api/stream`, a WebSocket,
 * is checked in the stream test).
 */
const PROTECTED_ROUTES: readonly (readonly ['GET' | 'POST', string])[] = [
  ['GET', '/health'],
  ['GET', '/api/graph'],
  ['GET', '/api/metrics/realtime'],
  ['GET', '/api/metrics/aggregated'],
  ['GET', '/api/metrics/historical?name=chatflow_messages_total'],
  ['GET', '/api/alerts'],
  ['GET', '/api/variables'],
  ['GET', '/api/performance'],
  ['GET', '/api/stats'],
  ['GET', '/api/questions?answered=false'],
  ['POST', '/api/questions/1/answer'],
  ['GET', '/api/moderation'],
  ['POST', '/api/control/pause'],
  ['POST', '/api/control/resume'],
  ['POST', '/api/control/panic'],
  ['GET', '/metrics'],
];

describe('dashboard API: auth and routes', () => {
  it('answers 401 without the token and 200 with it; the overlay page stays public', async () => {
    const { base } = await startApp();
    for (const [method, path] of PROTECTED_ROUTES) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate'), `${method} ${path}`).toBe('Bearer realm="chatflow"');
      expect(await res.json(), `${method} ${path}`).toEqual({ error: 'unauthorized', message: 'This route needs server.token.' });
    }
    // The token check answers 401 for unknown paths too: with the token, each route exists.
    for (const [method, path] of PROTECTED_ROUTES) {
      if (method !== 'GET') continue;
      const res = await fetch(`${base}${path}`, { headers: auth });
      await res.arrayBuffer();
      expect([401, 404], `${method} ${path} with the token`).not.toContain(res.status);
    }
    expect((await fetch(`${base}/api/graph`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const graph = await get<GraphView>(`${base}/api/graph`);
    expect(graph.status).toBe(200);
    expect(graph.body.nodes.map((n) => n.id).sort()).toEqual(['chat', 'cmds', 'cv', 'history', 'metrics', 'stats']);
    expect(graph.body.edges).toContainEqual({ from: 'cmds', port: 'cv', to: 'cv', count: 0 });
    expect((await fetch(`${base}/api/graph?token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${base}/overlay`)).status).toBe(200);
  });

  it('reports health per source and sink', async () => {
    const { base, runtime, push } = await startApp();
    // Nothing has come from the sources yet: they are still connecting, so not healthy.
    const starting = await get<HealthView>(`${base}/health`);
    expect(starting.status).toBe(503);
    expect(starting.body).toMatchObject({ status: 'degraded', instance: 'alpha' });
    expect(starting.body.sources).toEqual([
      { id: 'stats', type: 'feed', status: 'connecting' },
      { id: 'chat', type: 'feed', status: 'connecting' },
    ]);
    // A first event from each makes it live.
    push('metrics', metric('events_in', 1, { node: 'chat' }));
    push('chat', chat('hello', { id: 'h1', receivedAt: performance.now() }));
    await until(async () => (await fetch(`${base}/health`, { headers: auth })).status === 200);
    const health = await get<HealthView>(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(health.body.sources.map((s) => [s.id, s.status]).sort()).toEqual([
      ['chat', 'live'],
      ['stats', 'live'],
    ]);
    expect(health.body.sinks.map((s) => [s.id, s.type, s.status]).sort()).toEqual([
      ['history', 'postgres', 'running'],
      ['metrics', 'metrics', 'running'],
    ]);
    expect(health.body.uptimeS).toBeGreaterThanOrEqual(0);
    (runtime.metrics.get('chat') as NodeMetrics).status = 'failed';
    const degraded = await get<HealthView>(`${base}/health`);
    expect(degraded.status).toBe(503);
    expect(degraded.body.status).toBe('degraded');
  });

  it('counts messages per source type and commands per command in /api/stats, with active chatters from PostgreSQL', async () => {
    const { base, push } = await startApp();
    await db.query('DELETE FROM chat_messages');
    await db.query(
      `INSERT INTO chat_messages (platform, message_id, channel, author_id, author_login, author_name, text, ts, instance)
       VALUES ('twitch', 's1', 'chan', 'a', 'ann', 'ann', 'hi', now(), 'alpha'),
              ('twitch', 's2', 'chan', 'a', 'ann', 'ann', 'again', now(), 'alpha'),
              ('kick', 's3', 'chan', 'b', 'bob', 'bob', 'yo', now() - interval '1 minute', 'alpha'),
              ('kick', 's4', 'chan', 'c', 'cat', 'cat', 'old', now() - interval '10 minutes', 'alpha')`,
    );
    cleanup.push(async () => {
      await db.query('DELETE FROM chat_messages');
    });
    push('chat', chat('!cv cutoff 0.9', { id: 'st1', user: 'ann', receivedAt: performance.now() }));
    push('chat', chat('!cv cutoff 0.8', { id: 'st2', user: 'bob', receivedAt: performance.now() }));
    push('chat', chat('hello', { id: 'st3', user: 'cat', receivedAt: performance.now() }));
    await until(async () => (await get<StatsView>(`${base}/api/stats`)).body.commands.total === 2);

    const stats = await get<StatsView>(`${base}/api/stats`);
    expect(stats.status).toBe(200);
    const { uptimeS, ...rest } = stats.body;
    expect(uptimeS).toBeGreaterThanOrEqual(0);
    // Both sources are of type `feed`; only the chat feed sent anything. Distinct authors of
    // the last 5 minutes: ann, bob (cat wrote 10 minutes ago).
    expect(rest).toEqual({
      instance: 'alpha',
      messages: { total: 3, byPlatform: { feed: 3 } },
      commands: { total: 2, byName: { cv: 2 } },
      activeChatters: { count: 2, windowS: 300 },
    });
  });

  it('reports sink latency, processing time, event-loop lag and memory in /api/performance', async () => {
    const { base, push } = await startApp();
    const pushedAt = performance.now();
    push('chat', chat('!cv cutoff 0.7', { id: 'p1', receivedAt: pushedAt }));
    await until(async () => {
      const perf = await get<PerformanceView>(`${base}/api/performance`);
      return (perf.body.sinks.find((s) => s.id === 'metrics')?.latencyMs.count ?? 0) >= 1;
    });

    const perf = await get<PerformanceView>(`${base}/api/performance`);
    const readAt = performance.now();
    expect(perf.status).toBe(200);
    expect(perf.body.instance).toBe('alpha');
    expect(perf.body.sinks.map((s) => [s.id, s.type]).sort()).toEqual([
      ['history', 'postgres'],
      ['metrics', 'metrics'],
    ]);
    expect(perf.body.nodes.map((n) => [n.id, n.kind, n.type]).sort()).toEqual([
      ['chat', 'source', 'feed'],
      ['cmds', 'operator', 'parse_command'],
      ['cv', 'operator', 'control'],
      ['stats', 'source', 'feed'],
    ]);
    // The command reached the metrics sink as a control event: its latency was measured there.
    const latency = perf.body.sinks.find((s) => s.id === 'metrics')?.latencyMs;
    expect(latency?.count).toBeGreaterThanOrEqual(1);
    expect(latency?.max).toBeGreaterThanOrEqual(0);
    // Measured on the runtime's clock from receivedAt: never more than the time since the push.
    expect(latency?.max).toBeLessThanOrEqual(readAt - pushedAt);
    expect(latency?.p99).toBeLessThanOrEqual(latency?.max ?? 0);
    expect(perf.body.sinks.find((s) => s.id === 'history')?.latencyMs.count).toBe(0);
    const cmds = perf.body.nodes.find((n) => n.id === 'cmds')?.processingMs;
    expect(cmds).toEqual(expect.objectContaining({ count: expect.any(Number), p99: expect.any(Number) }));
    const lag = perf.body.eventLoopLagMs;
    for (const v of [lag.mean, lag.p50, lag.p99, lag.max]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(lag.p50).toBeLessThanOrEqual(lag.max);
    const { memory } = perf.body;
    expect(memory.rss).toBeGreaterThan(0);
    expect(memory.heapUsed).toBeGreaterThan(0);
    expect(memory.heapUsed).toBeLessThanOrEqual(memory.heapTotal);
    expect(memory.external).toBeGreaterThanOrEqual(0);
  });

  it('streams hello then metrics over /api/stream, with the token in the query', async () => {
    const { port, push } = await startApp();
    const refused = new WebSocket(`ws://127.0.0.1:${port}/api/stream`);
    cleanup.push(() => refused.terminate());
    const status = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('error', () => {});
    });
    expect(status).toBe(401);

    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream?token=${TOKEN}`);
    cleanup.push(() => ws.terminate());
    const messages: DashboardMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as DashboardMessage));
    await until(() => messages.length > 0);
    expect(messages[0]?.type).toBe('hello');
    push('metrics', metric('events_in', 7, { node: 'chat' }));
    await until(() => messages.some((m) => m.type === 'metrics'));
    const tick = messages.find((m) => m.type === 'metrics');
    if (tick?.type !== 'metrics') throw new Error('no metrics message');
    expect(tick.metrics).toContainEqual(expect.objectContaining({ name: 'events_in', value: 7 }));
    expect(tick.graph.nodes.find((n) => n.id === 'stats')?.metrics.eventsOut['']).toBeGreaterThanOrEqual(1);
  });

  it('serves Prometheus text with chatflow_ names', async () => {
    const { base, push } = await startApp();
    push('metrics', metric('events_in', 3, { node: 'cmds' }));
    await until(async () => (await (await fetch(`${base}/metrics`, { headers: auth })).text()).includes('chatflow_events_in'));
    const text = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(text).toContain('chatflow_events_in{node="cmds"} 3');
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      // Values as Prometheus parses them (Go's ParseFloat: NaN and Inf in any case).
      expect(line).toMatch(/^chatflow_[a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|nan|[+-]inf)$/i);
    }
  });
});

describe('dashboard API: Redis', () => {
  it('shows two instances on one Redis in /api/metrics/aggregated, with totals', async () => {
    const { base, push } = await startApp();
    push('metrics', metric('events_in', 10, { node: 'chat' }));
    // A second process: its own server and metrics sink, the same Redis.
    const otherHttp = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const other = new MetricsSink('metrics', MetricsConfig.parse({ instance: 'beta' }), {
      http: otherHttp,
      instance: 'beta',
      redis: () => createRedis(redisServer.url, 'chatflow-test-beta'),
    });
    cleanup.push(() => other.stop());
    other.write([{ ...metric('events_in', 5, { node: 'chat' }), instance: 'beta' }]);
    await until(async () => {
      await other.beatNow();
      return other.redisUp === true;
    });
    await until(async () => {
      const agg = await get<AggregatedResponse>(`${base}/api/metrics/aggregated`);
      return agg.body.instances.length === 2 && agg.body.totals.series.some((s) => s.value === 15);
    });
    const agg = await get<AggregatedResponse>(`${base}/api/metrics/aggregated`);
    expect(agg.body.source).toBe('redis');
    expect(agg.body.instances.map((i) => i.instance).sort()).toEqual(['alpha', 'beta']);
    expect(agg.body.totals).toEqual({ instances: 2, series: [{ name: 'events_in', labels: { node: 'chat' }, value: 15 }] });
    expect(await redis.ttl('chatflow:metrics:beta')).toBeGreaterThan(0);

    // A clean stop leaves the registry at once.
    await other.stop();
    const after = await get<AggregatedResponse>(`${base}/api/metrics/aggregated`);
    expect(after.body.instances.map((i) => i.instance)).toEqual(['alpha']);
  });

  it('publishes alerts on chatflow:alerts', async () => {
    const { push } = await startApp();
    const sub = new Redis(redisServer.url);
    cleanup.push(() => sub.disconnect());
    const received: string[] = [];
    await sub.subscribe('chatflow:alerts');
    sub.on('message', (_channel, message: string) => received.push(message));
    push('metrics', {
      kind: 'alert',
      rule: 'lag',
      severity: 'critical',
      state: 'firing',
      message: 'event loop lag over 100 ms',
      value: 140,
      threshold: 100,
      instance: 'alpha',
      ts: Date.now(),
      receivedAt: performance.now(),
    });
    await until(() => received.length === 1);
    expect(JSON.parse(received[0] as string)).toMatchObject({ rule: 'lag', state: 'firing', value: 140 });
  });

  it('reads the variables redis_state keeps when no control events reach the sink', async () => {
    await redis.hset('chatflow:variables', {
      cutoff: JSON.stringify({ value: 0.3, previous: 0.5, origin: 'command', by: { login: 'ann', platform: 'twitch' }, at: 42 }),
      pitch: JSON.stringify({ value: -1, previous: 0, origin: 'vote', by: null, at: 43 }),
    });
    cleanup.push(async () => {
      await redis.del('chatflow:variables');
    });
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const sink = new MetricsSink('metrics', MetricsConfig.parse({ instance: 'delta' }), {
      http,
      instance: 'delta',
      redis: () => createRedis(redisServer.url, 'chatflow-test-delta'),
    });
    cleanup.push(() => sink.stop());
    await sink.start();
    expect(await sink.variables()).toEqual([
      { name: 'cutoff', value: 0.3, by: { login: 'ann', platform: 'twitch' }, at: 42 },
      { name: 'pitch', value: -1, at: 43 },
    ]);
  });

  it('keeps going while Redis is down, counts it, and resyncs when it is back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-metrics-redis-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const own = await startEmbeddedRedis(join(dir, 'r'), { persist: false, port });
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const counts = new NodeMetrics('metrics', 'sink', 'metrics');
    const sink = new MetricsSink('metrics', MetricsConfig.parse({ instance: 'gamma' }), {
      http,
      instance: 'gamma',
      redis: () => createRedis(own.url, 'chatflow-test-gamma'),
      drops: counts,
    });
    cleanup.push(() => sink.stop());
    sink.write([{ ...metric('events_in', 1), instance: 'gamma' }]);
    await until(async () => {
      await sink.beatNow();
      return sink.redisUp === true;
    });
    await own.stop();
    sink.write([{ ...metric('events_in', 2), instance: 'gamma' }]);
    await sink.beatNow();
    expect(sink.redisUp).toBe(false);
    expect(counts.snapshot().counts?.redis_failed).toBeGreaterThanOrEqual(1);
    expect(sink.realtime().map((p) => p.value)).toEqual([2]);
    expect((await sink.aggregated()).source).toBe('local');

    const back = await startEmbeddedRedis(join(dir, 'r'), { persist: false, port });
    cleanup.push(() => back.stop());
    await until(async () => {
      await sink.beatNow();
      return sink.redisUp === true;
    }, 20_000);
    const check = new Redis(back.url);
    cleanup.push(() => check.disconnect());
    const stored = JSON.parse((await check.get('chatflow:metrics:gamma')) as string) as { metrics: { value: number }[] };
    expect(stored.metrics.map((p) => p.value)).toEqual([2]);
    expect(await check.zscore('chatflow:instances', 'gamma')).not.toBeNull();
  });
});

describe('dashboard API: PostgreSQL', () => {
  it('returns stored metrics from /api/metrics/historical, filtered by name, time and labels', async () => {
    const { base, push } = await startApp();
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) {
      push('metrics', metric('queue_depth', i, { node: 'synth' }, t0 + i * 1000));
      push('metrics', metric('queue_depth', 100 + i, { node: 'overlay' }, t0 + i * 1000));
    }
    await until(async () => {
      const { rows } = await db.query("SELECT count(*)::int AS n FROM system_metrics WHERE name = 'queue_depth'");
      return rows[0]?.n === 10;
    });
    const all = await get<HistoricalResponse>(
      `${base}/api/metrics/historical?name=queue_depth&from=${t0}&to=${t0 + 10_000}&labels=node=synth`,
    );
    expect(all.status).toBe(200);
    expect(all.body.points.map((p) => p.value)).toEqual([0, 1, 2, 3, 4]);
    expect(all.body.points[0]).toEqual({ name: 'queue_depth', labels: { node: 'synth' }, value: 0, instance: 'alpha', ts: t0 });
    expect(all.body.truncated).toBe(false);
    const some = await get<HistoricalResponse>(
      `${base}/api/metrics/historical?name=queue_depth&from=${t0 + 1000}&to=${t0 + 2000}&labels=${encodeURIComponent('{"node":"overlay"}')}&limit=1`,
    );
    expect(some.body.points.map((p) => p.value)).toEqual([101]);
    expect(some.body.truncated).toBe(true);
    expect((await get(`${base}/api/metrics/historical`)).status).toBe(400);
  });

  it('lists open questions and marks one answered', async () => {
    const { base } = await startApp();
    await db.query('DELETE FROM questions');
    await db.query(
      `INSERT INTO questions (platform, message_id, channel, author_login, text, ts, upvotes, instance)
       VALUES ('twitch', 'q1', 'chan', 'ann', 'what synth is this?', now(), 3, 'alpha'),
              ('kick', 'q2', 'chan', 'bob', 'favourite patch?', now(), 1, 'alpha')`,
    );
    const open = await get<QuestionView[]>(`${base}/api/questions?answered=false`);
    expect(open.body.map((q) => [q.login, q.text, q.upvotes, q.answered])).toEqual([
      ['ann', 'what synth is this?', 3, false],
      ['bob', 'favourite patch?', 1, false],
    ]);
    const id = open.body[0]?.id;
    const answered = await post<QuestionView>(`${base}/api/questions/${id}/answer`);
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ id, answered: true, platform: 'twitch' });
    const still = await get<QuestionView[]>(`${base}/api/questions?answered=false`);
    expect(still.body.map((q) => q.login)).toEqual(['bob']);
    expect((await post(`${base}/api/questions/999999/answer`)).status).toBe(404);
    expect((await post(`${base}/api/questions/abc/answer`)).status).toBe(400);
  });
});

describe('dashboard API: control and rate limit', () => {
  it('pause, resume and panic reach the running control node', async () => {
    const app = await startApp();
    const { base, push } = app;
    const cutoff = async () =>
      (await get<VariableView[]>(`${base}/api/variables`)).body.find((v) => v.name === 'cutoff')?.value;
    await until(async () => (await cutoff()) === 0.5);
    let n = 0;
    const say = (text: string) => {
      n += 1;
      push('chat', chat(text, { id: `c${n}`, user: `viewer${n}`, receivedAt: performance.now() }));
    };

    say('!cv cutoff 0.9');
    await until(async () => (await cutoff()) === 0.9);

    const paused = await post<{ verb: string; reached: number }>(`${base}/api/control/pause`);
    expect(paused).toEqual({ status: 200, body: { verb: 'pause', reached: 1 } });
    say('!cv cutoff 0.1');
    await until(() => app.runtime.metrics.get('cv')?.snapshot().dropped.paused?.count === 1);
    expect(await cutoff()).toBe(0.9);

    expect((await post(`${base}/api/control/resume`)).status).toBe(200);
    say('!cv cutoff 0.2');
    await until(async () => (await cutoff()) === 0.2);

    expect((await post(`${base}/api/control/panic`)).status).toBe(200);
    await until(async () => (await cutoff()) === 0.5);
    expect((await post(`${base}/api/control/explode`)).status).toBe(404);
  });

  it('answers 409 when no control node runs, and 404 for the sink routes without a metrics sink', async () => {
    const { base } = await startApp(`version: 1
sources:
  chat: { type: feed, name: chat }
sinks:
  out: { type: blackhole, inputs: [chat] }
`);
    expect((await post(`${base}/api/control/panic`)).status).toBe(409);
    const realtime = await get<{ error: string; message: string }>(`${base}/api/metrics/realtime`);
    expect(realtime.status).toBe(404);
    expect(realtime.body.error).toBe('no_metrics_sink');
    expect(realtime.body.message).toContain('type: metrics');
  });

  it('rate-limits the API per client with 429 and Retry-After', async () => {
    const { base } = await startApp(undefined, { rateLimit: { ratePerSec: 1, burst: 5 } });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/api/graph`, { headers: auth });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // The overlay page is public and not limited.
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/overlay`)).status).toBe(200);
  });
});
