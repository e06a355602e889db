import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { type SchedulerLike, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { testContext } from '../../../test/support/context.js';
import type { AlertEvent, ControlEvent, MetricEvent, PlatformEvent } from '../../core/events.js';
import { silentLogger } from '../../core/logger.js';
import { NodeMetrics } from '../../core/metrics.js';
import type { RuntimeAlerts } from '../../core/pipelineView.js';
import type { DashboardMessage } from '../../server/dashboardWire.js';
import { createHttpServer } from '../../server/httpServer.js';
import { MetricsConfig, MetricsSink, metricsComponent } from './index.js';
import { soon as until } from '../../../test/support/poll.js';

// --- harness -------------------------------------------------------------------------------------

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(config: Record<string, unknown> = {}, extra: { runtimeAlerts?: RuntimeAlerts; scheduler?: SchedulerLike } = {}) {
  const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
  const metrics = new NodeMetrics('metrics', 'sink', 'metrics');
  const sink = new MetricsSink('metrics', MetricsConfig.parse({ instance: 'unit', ...config }), {
    http,
    instance: 'fallback',
    drops: metrics,
    ...extra,
  });
  await sink.start();
  const address = await http.listen();
  cleanup.push(async () => {
    await sink.stop();
    await http.close();
  });
  return { http, sink, metrics, port: address?.port ?? 0, base: `http://127.0.0.1:${address?.port ?? 0}` };
}

interface Client {
  readonly ws: WebSocket;
  readonly messages: DashboardMessage[];
}

async function client(port: number): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream`);
  const c: Client = { ws, messages: [] };
  ws.on('message', (data) => c.messages.push(JSON.parse(String(data)) as DashboardMessage));
  cleanup.push(() => ws.terminate());
  await until(() => c.messages.length > 0);
  return c;
}

/** A WebSocket client on a plain TCP socket that reads only when told to (a frozen tab). */
async function rawClient(port: number): Promise<{ socket: Socket; text: () => string }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  cleanup.push(() => {
    socket.destroy();
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const text = () => Buffer.concat(chunks).toString('latin1');
  await until(() => text().includes('"type":"hello"'));
  return { socket, text };
}

const metric = (name: string, value: number, labels: Record<string, string> = {}): MetricEvent => ({
  kind: 'metric',
  name,
  labels,
  value,
  instance: 'unit',
  ts: 1_700_000_000_000,
  receivedAt: 0,
});

const alert = (rule: string, state: AlertEvent['state'], message = 'queue is deep'): AlertEvent => ({
  kind: 'alert',
  rule,
  severity: 'warning',
  state,
  message,
  value: 12,
  threshold: 10,
  instance: 'unit',
  ts: 1_700_000_000_000,
  receivedAt: 0,
});

const control = (variable: string, value: number): ControlEvent => ({
  kind: 'control',
  variable,
  value,
  previous: 0,
  origin: 'command',
  by: { login: 'alice', platform: 'twitch' },
  ts: 0,
  receivedAt: 0,
});

// --- tests ---------------------------------------------------------------------------------------

const activity = (type: PlatformEvent['type'], id: string, data: PlatformEvent['data'], items: PlatformEvent['items'] = []): PlatformEvent => ({
  kind: 'platform',
  type,
  id,
  platform: 'twitch',
  channel: 'streamer',
  ts: 1_700_000_000_000,
  data,
  ...(items ? { items } : {}),
  receivedAt: 0,
});

describe('metrics sink: dashboard stream', () => {
  it('holds the latest poll, prediction and hype train per channel; sends them in hello and as they change', async () => {
    const { sink, port, metrics } = await serve();
    sink.write([
      activity('poll', 'poll:p1:begin', { phase: 'begin', title: 'Boss?' }, [{ title: 'Dragon' }, { title: 'Golem' }]),
      activity('hype_train', 'hype_train:t1:begin', { phase: 'begin', level: 1, progress: 100, goal: 4000 }),
      activity('follow', 'follow:1', {}),
    ]);
    const c = await client(port);
    const hello = c.messages[0];
    if (hello?.type !== 'hello') throw new Error('no hello');
    expect(hello.channel.map((a) => [a.type, a.data.phase])).toEqual([
      ['poll', 'begin'],
      ['hype_train', 'begin'],
    ]);
    expect(metrics.snapshot().dropped.not_shown?.count).toBe(1);
    sink.write([activity('poll', 'poll:p1:end', { phase: 'end', title: 'Boss?', status: 'completed' }, [{ title: 'Dragon', votes: 31 }, { title: 'Golem', votes: 14 }])]);
    await until(() => c.messages.some((m) => m.type === 'channel'));
    const update = c.messages.find((m) => m.type === 'channel');
    if (update?.type !== 'channel') throw new Error('no channel message');
    expect(update.channel.map((a) => [a.type, a.data.phase])).toEqual([
      ['hype_train', 'begin'],
      ['poll', 'end'],
    ]);
    expect(update.channel[1]?.items).toEqual([
      { title: 'Dragon', votes: 31 },
      { title: 'Golem', votes: 14 },
    ]);
  });

  it('sends hello first, with the instance, the latest metrics, alerts and variables', async () => {
    const { sink, port } = await serve();
    sink.write([metric('events_in', 5, { node: 'clean' }), alert('lag', 'firing'), control('cutoff', 0.7)]);
    const c = await client(port);
    const hello = c.messages[0];
    expect(hello?.type).toBe('hello');
    if (hello?.type !== 'hello') return;
    expect(hello.instance).toBe('unit');
    expect(hello.metrics).toEqual([
      { name: 'events_in', labels: { node: 'clean' }, value: 5, instance: 'unit', ts: 1_700_000_000_000 },
    ]);
    expect(hello.alerts.map((a) => [a.rule, a.state])).toEqual([['lag', 'firing']]);
    expect(hello.variables).toEqual([
      expect.objectContaining({ name: 'cutoff', value: 0.7, by: { login: 'alice', platform: 'twitch' } }),
    ]);
    expect(hello.graph).toEqual({ nodes: [], edges: [] });
  });

  it('coalesces metric events into one metrics message per stream_every, holding the newest point per series', async () => {
    const { sink, port } = await serve({ stream_every: '200ms' });
    const c = await client(port);
    for (let i = 1; i <= 50; i++) sink.write([metric('events_in', i, { node: 'a' }), metric('events_in', i * 2, { node: 'b' })]);
    await until(() => c.messages.some((m) => m.type === 'metrics'));
    const metrics = c.messages.filter((m) => m.type === 'metrics');
    expect(metrics).toHaveLength(1);
    const first = metrics[0];
    if (first?.type !== 'metrics') return;
    expect(first.metrics.map((p) => [p.labels.node, p.value])).toEqual([
      ['a', 50],
      ['b', 100],
    ]);
  });

  it('sends each alert at once and the variables when they change', async () => {
    const { sink, port } = await serve({ stream_every: '1h' });
    const c = await client(port);
    sink.write([alert('lag', 'firing'), alert('lag', 'resolved')]);
    sink.write([control('cutoff', 0.2), control('pitch', 1)]);
    await until(() => c.messages.length >= 4);
    expect(c.messages.slice(1).map((m) => m.type)).toEqual(['alert', 'alert', 'variables']);
    const vars = c.messages[3];
    if (vars?.type !== 'variables') return;
    expect(vars.variables.map((v) => [v.name, v.value])).toEqual([
      ['cutoff', 0.2],
      ['pitch', 1],
    ]);
    expect(sink.alerts().active).toEqual([]);
    expect(sink.alerts().recent.map((a) => a.state)).toEqual(['firing', 'resolved']);
  });

  it('sends the variables at most every 100 ms: the first change at once, those after it together at the end of the window', async () => {
    // Virtual time up to 150 ms: one window, and the next one opened but not ended.
    const scheduler = new VirtualTimeScheduler(VirtualAction, 150);
    const { sink, port } = await serve({ stream_every: '1h' }, { scheduler });
    const c = await client(port);
    for (let k = 1; k <= 5; k++) sink.write([control('cutoff', k / 10)]);
    await until(() => c.messages.length === 2);
    scheduler.flush();
    await until(() => c.messages.length === 3);
    sink.write([control('cutoff', 0.9)]); // inside the second window: waits for its end
    await new Promise((r) => setTimeout(r, 50));
    const values = c.messages.map((m) => (m.type === 'variables' ? m.variables.map((v) => v.value) : m.type));
    expect(values).toEqual(['hello', [0.1], [0.5]]);
  });

  it("shows the runtime's own alerts (data loss) from start, without any sample_metrics, and stops following them at stop", async () => {
    const listeners = new Set<(a: AlertEvent) => void>();
    const already = alert('data_loss:history', 'firing', 'history lost 5 events: buffer_full 5.');
    const runtimeAlerts: RuntimeAlerts = {
      active: () => [already],
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const { sink, port } = await serve({ stream_every: '1h' }, { runtimeAlerts });
    // Firing before the sink started (a reload rebuilt it): shown at once.
    expect(sink.alerts().active.map((a) => a.rule)).toEqual(['data_loss:history']);
    await sink.start();
    expect(listeners.size).toBe(1);
    const c = await client(port);
    const hello = c.messages[0];
    expect(hello?.type === 'hello' ? hello.alerts.map((a) => a.message) : []).toEqual(['history lost 5 events: buffer_full 5.']);
    for (const listener of listeners) listener(alert('data_loss:history', 'resolved', 'history has lost nothing for 1 min.'));
    await until(() => c.messages.length >= 2);
    const live = c.messages[1];
    expect(live?.type === 'alert' ? [live.alert.rule, live.alert.state] : []).toEqual(['data_loss:history', 'resolved']);
    expect(sink.alerts().active).toEqual([]);
    await sink.stop();
    expect(listeners.size).toBe(0);
  });

  it('bounds a stalled client by its buffered bytes and resyncs it with a fresh hello once it drains', async () => {
    const max = 64 * 1024;
    const { sink, port, metrics } = await serve({ max_buffered_bytes: max, stuck_timeout: '30s', alert_history: 5 });
    const healthy = await client(port);
    const stalled = await rawClient(port);
    stalled.socket.pause();
    const long = 'x'.repeat(4000);
    let i = 0;
    // Alerts go out at once: enough of them fill the kernel's socket buffers, then the cap.
    while (sink.stats().lagging === 0 && i < 4000) {
      sink.write(Array.from({ length: 20 }, (_, k) => alert(`r${i}-${k}`, 'firing', long)));
      i += 1;
      await new Promise((r) => setImmediate(r));
    }
    expect(sink.stats().lagging).toBe(1);
    sink.write([alert('marker', 'firing')]);
    await until(() => healthy.messages.some((m) => m.type === 'alert' && m.alert.rule === 'marker'));
    expect(sink.stats().peakBufferedBytes).toBeLessThanOrEqual(max);
    expect(metrics.snapshot().dropped.slow_client?.count).toBeGreaterThanOrEqual(1);

    stalled.socket.resume();
    await until(() => sink.stats().resynced === 1, 10_000);
    await until(() => stalled.text().split('"type":"hello"').length - 1 === 2);
    expect(sink.stats()).toMatchObject({ lagging: 0, clients: 2, stuck: 0 });
  });

  it('closes a dashboard that stops reading with 1008 too_slow and counts it; the others get every alert', async () => {
    const { sink, port, metrics } = await serve({ stuck_timeout: '500ms', ping_interval: '60s' });
    const healthy = await client(port);
    const paused = new WebSocket(`ws://127.0.0.1:${port}/api/stream`);
    cleanup.push(() => paused.terminate());
    let closed: { code: number; reason: string } | undefined;
    paused.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
    });
    await new Promise((resolve) => paused.once('message', resolve));
    (paused as unknown as { _socket: Socket })._socket.pause();
    let sent = 0;
    while (sink.stats().stuck === 0 && sent < 2000) {
      sink.write([alert(`slow-${sent}`, 'firing')]);
      sent += 1;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(sink.stats()).toMatchObject({ stuck: 1, clients: 1, peakBufferedBytes: 0 });
    expect(metrics.snapshot().counts?.slow_client_closed).toBe(1);
    await until(() => healthy.messages.filter((m) => m.type === 'alert').length === sent);
    (paused as unknown as { _socket: Socket })._socket.resume();
    await until(() => closed !== undefined);
    expect(closed).toEqual({ code: 1008, reason: 'too_slow' });
  });

  it('refuses clients beyond max_clients with 1013', async () => {
    const { port } = await serve({ max_clients: 1 });
    await client(port);
    const extra = new WebSocket(`ws://127.0.0.1:${port}/api/stream`);
    cleanup.push(() => extra.terminate());
    const code = await new Promise<number>((resolve) => extra.on('close', (c) => resolve(c)));
    expect(code).toBe(1013);
  });
});

describe('metrics sink: routes', () => {
  it('serves the latest points, alerts and variables as JSON', async () => {
    const { sink, base } = await serve();
    sink.write([metric('events_in', 1), metric('events_in', 2), alert('lag', 'firing'), control('cutoff', 0.4)]);
    const realtime = (await (await fetch(`${base}/api/metrics/realtime`)).json()) as { value: number }[];
    expect(realtime.map((p) => p.value)).toEqual([2]);
    const alerts = (await (await fetch(`${base}/api/alerts`)).json()) as { active: { rule: string }[] };
    expect(alerts.active.map((a) => a.rule)).toEqual(['lag']);
    const vars = (await (await fetch(`${base}/api/variables`)).json()) as { name: string; value: number }[];
    expect(vars.map((v) => [v.name, v.value])).toEqual([['cutoff', 0.4]]);
    const agg = (await (await fetch(`${base}/api/metrics/aggregated`)).json()) as {
      source: string;
      instances: { instance: string }[];
      totals: { series: { name: string; value: number }[] };
    };
    expect(agg.source).toBe('local');
    expect(agg.instances.map((i) => i.instance)).toEqual(['unit']);
    expect(agg.totals.series).toEqual([{ name: 'events_in', labels: {}, value: 2 }]);
  });

  it('serves Prometheus text with chatflow_ names in base units, gauges and histograms, and real HELP', async () => {
    const { sink, base } = await serve({ process_metrics: false });
    sink.write([
      metric('events_in', 42, { node: 'clean', 'bad-label': 'x' }),
      {
        kind: 'metric',
        name: 'latency_ms',
        labels: { node: 'synth' },
        summary: { count: 10, sum: 12.5, p50: 1, p95: 2, p99: 3, max: 4 },
        instance: 'unit',
        ts: 0,
        receivedAt: 0,
      },
    ]);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE chatflow_events_in gauge');
    expect(text).toContain('chatflow_events_in{node="clean",bad_label="x"} 42');
    // An interval summary without a histogram: gauges of its stats, in seconds; no _count.
    expect(text).toContain('# TYPE chatflow_latency_p99_seconds gauge');
    expect(text).toContain('chatflow_latency_p99_seconds{node="synth"} 0.003');
    expect(text).toContain('chatflow_latency_max_seconds{node="synth"} 0.004');
    expect(text).not.toMatch(/^(# TYPE )?chatflow_\w*_ms\b/m);
    expect(text).not.toContain('chatflow_latency_seconds_count');
    expect(text).not.toMatch(/# HELP chatflow_\w+ chatflow metric chatflow_/);
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      expect(line).toMatch(/^chatflow_[a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.e+]+$/);
    }
  });

  it('adds process metrics under chatflow_ and answers 404 when Prometheus is off', async () => {
    const on = await serve();
    expect(await (await fetch(`${on.base}/metrics`)).text()).toContain('chatflow_process_resident_memory_bytes');
    const off = await serve({ prometheus: false });
    expect((await fetch(`${off.base}/metrics`)).status).toBe(404);
  });
});

describe('metrics component', () => {
  it('refuses to start without the HTTP server', () => {
    const ctx = testContext({ kind: 'sink', type: 'metrics' });
    expect(() => metricsComponent.create(MetricsConfig.parse({}), ctx)).toThrow(/needs the HTTP server/);
  });

  it("stamps a variable's change with the context's wall clock", async () => {
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const base = testContext({ kind: 'sink', type: 'metrics' });
    const ctx = { ...base, wallClock: () => 1_234_567, resources: { ...base.resources, http } };
    const sink = metricsComponent.create(MetricsConfig.parse({}), ctx) as MetricsSink;
    cleanup.push(async () => {
      await sink.stop();
      await http.close();
    });
    sink.write([control('cutoff', 0.7)]);
    expect(sink.state().variables).toEqual([expect.objectContaining({ name: 'cutoff', at: 1_234_567 })]);
  });

  it('rejects an instance_ttl shorter than two heartbeats', () => {
    expect(MetricsConfig.safeParse({ heartbeat: '2s', instance_ttl: '3s' }).success).toBe(false);
    expect(MetricsConfig.safeParse({ heartbeat: '2s', instance_ttl: '4s' }).success).toBe(true);
  });
});
