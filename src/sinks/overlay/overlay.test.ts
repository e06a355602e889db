import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { chat } from '../../../test/support/events.js';
import { testContext } from '../../../test/support/context.js';
import { BEAT_CLOCK, type Beat, type BeatClock } from '../../core/beatClock.js';
import type { ControlEvent, ModerationEvent } from '../../core/events.js';
import { provide, Services } from '../../core/services.js';
import { silentLogger } from '../../core/logger.js';
import { NodeMetrics } from '../../core/metrics.js';
import { createHttpServer, type HttpServer } from '../../server/httpServer.js';
import { OverlayConfig, OverlaySink, overlayComponent } from './index.js';
import { CLOSE } from './hub.js';
import type { WireFrame, WireMessage, WireSnapshot } from './wire.js';
import { soon as until } from '../../../test/support/poll.js';

// --- harness -------------------------------------------------------------------------------------

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Setup {
  readonly http: HttpServer;
  readonly port: number;
  readonly metrics: NodeMetrics;
  readonly sinks: OverlaySink[];
}

/** A real server on 127.0.0.1:0 with one overlay sink per config. */
async function serve(...configs: Record<string, unknown>[]): Promise<Setup> {
  const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
  const metrics = new NodeMetrics('overlay', 'sink', 'overlay');
  const sinks = configs.map(
    (config, i) => new OverlaySink(`overlay${i}`, OverlayConfig.parse(config), { http, drops: metrics }),
  );
  const address = await http.listen();
  cleanup.push(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    await http.close();
  });
  return { http, port: address?.port ?? 0, metrics, sinks };
}

interface Client {
  readonly ws: WebSocket;
  /** Every message received, frames of several messages flattened. */
  readonly messages: WireMessage[];
  /** Raw frames, as received. */
  readonly frames: string[];
  closed: { code: number; reason: string } | undefined;
}

async function client(port: number, path = '/overlay/ws'): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const c: Client = { ws, messages: [], frames: [], closed: undefined };
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    c.frames.push(text);
    const frame = JSON.parse(text) as WireFrame;
    c.messages.push(...(Array.isArray(frame) ? frame : [frame as WireMessage]));
  });
  ws.on('close', (code, reason) => {
    c.closed = { code, reason: reason.toString() };
  });
  cleanup.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return c;
}

/**
 * A WebSocket client on a plain TCP socket: it does the handshake and then reads only when
 * told to, so a test can stall it (`socket.pause()`) the way a frozen browser tab does.
 */
async function rawClient(port: number, path = '/overlay/ws'): Promise<{ socket: Socket; text: () => string }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    bytes += chunk.length;
  });
  cleanup.push(() => {
    socket.destroy();
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const text = () => Buffer.concat(chunks, bytes).toString('latin1');
  await until(() => text().includes('{"t":"s"'));
  expect(text()).toMatch(/^HTTP\/1\.1 101 /);
  return { socket, text };
}

const control = (variable: string, value: number, extra: Partial<ControlEvent> = {}): ControlEvent => ({
  kind: 'control',
  variable,
  value,
  previous: 0,
  origin: 'command',
  ts: 0,
  receivedAt: 0,
  ...extra,
});

const snapshots = (c: Client) => c.messages.filter((m): m is WireSnapshot => m.t === 's');
const count = (text: string, needle: string) => text.split(needle).length - 1;

// --- tests ---------------------------------------------------------------------------------------

describe('overlay sink: snapshot and fan-out', () => {
  it('sends a new client every variable and the last `history` entries first', async () => {
    const { port, sinks } = await serve({ history: 3, ranges: { pitch: [-2, 3] } });
    const sink = sinks[0]!;
    sink.write([control('cutoff', 0.5, { origin: 'default' }), control('pitch', 0, { origin: 'default' })]);
    sink.write([control('cutoff', 0.7, { by: { login: 'alice', platform: 'twitch' } })]);
    for (const text of ['one', 'two', 'three', 'four']) sink.write([chat(text, { id: text })]);

    const c = await client(port);
    await until(() => c.messages.length > 0);
    const first = c.messages[0] as WireSnapshot;
    expect(first.t).toBe('s');
    expect(first.pv).toBe(1);
    expect(first.v).toEqual([
      ['pitch', 0, -2, 3],
      ['cutoff', 0.7, 0, 1],
    ]);
    expect(first.h.map((e) => (e.t === 'm' ? e.x : e.t))).toEqual(['two', 'three', 'four']);
  });

  it('spans each bar across the declared range and sends the declarations in the snapshot, `ranges` winning', async () => {
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const declarations = [
      { n: 'hz', r: [20, 2000] as const, k: 'raw' as const, d: 440, o: 1 },
      { n: 'pitch', r: [-2, 3] as const, k: 'note' as const, d: 0, o: 1 },
    ];
    const sink = new OverlaySink('overlay', OverlayConfig.parse({ ranges: { hz: [0, 4000] } }), { http, declarations });
    const address = await http.listen();
    cleanup.push(async () => {
      await sink.stop();
      await http.close();
    });
    sink.write([control('pitch', -1.5), control('hz', 440), control('other', 3)]);
    const c = await client(address?.port ?? 0);
    await until(() => c.messages.length > 0);
    const first = c.messages[0] as WireSnapshot;
    expect(first.v).toEqual([
      ['pitch', -1.5, -2, 3],
      ['hz', 440, 0, 4000],
      ['other', 3, 0, 3],
    ]);
    expect(first.d).toEqual([
      { n: 'hz', r: [0, 4000], k: 'raw', d: 440, o: 1 },
      { n: 'pitch', r: [-2, 3], k: 'note', d: 0, o: 1 },
    ]);
  });

  it('serializes each event once and sends every client the same frame, a batch as one array', async () => {
    const { port, sinks } = await serve({});
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => client(port)));
    await until(() => clients.every((c) => c.frames.length === 1));
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      sinks[0]!.write([
        control('cutoff', 0.25, { by: { login: 'bob', platform: 'kick' } }),
        chat('hello <b>world</b>', { id: 'm1', user: 'carol', platform: 'youtube' }),
      ]);
      // Two events: two serializations, whatever the number of clients.
      expect(stringify).toHaveBeenCalledTimes(2);
    } finally {
      stringify.mockRestore();
    }
    await until(() => clients.every((c) => c.frames.length === 2));
    const frames = new Set(clients.map((c) => c.frames[1]));
    expect(frames.size).toBe(1);
    expect(JSON.parse([...frames][0] as string)).toEqual([
      { t: 'c', n: 'cutoff', v: 0.25, o: 'command', r: [0, 1], u: 'bob', p: 'kick' },
      { t: 'm', i: 'm1', u: 'carol', l: 'carol', p: 'youtube', x: 'hello <b>world</b>' },
    ]);
  });

  it('sends a change at once, and what comes within frame_interval after it as one frame (one write per client); `0ms` sends each write as it comes', async () => {
    const { port, sinks } = await serve({}, { frame_interval: '0ms', room: 'each' });
    const batched = await client(port);
    const each = await client(port, '/overlay/ws/each');
    await until(() => batched.frames.length === 1 && each.frames.length === 1);
    for (const sink of sinks) {
      sink.write([control('a', 0.1)]);
      sink.write([control('b', 0.2)]);
      sink.write([chat('hi', { id: 'h1' })]);
    }
    await until(() => batched.messages.length === 4 && each.messages.length === 4);
    expect(batched.frames.slice(1).map((f) => JSON.parse(f))).toEqual([
      expect.objectContaining({ t: 'c', n: 'a', v: 0.1 }),
      [expect.objectContaining({ t: 'c', n: 'b', v: 0.2 }), expect.objectContaining({ t: 'm', i: 'h1' })],
    ]);
    expect(each.frames.length).toBe(4);
  });

  it('sends a new client what was pending to the others first, never after its snapshot', async () => {
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    // Virtual time up to 30 ms: the frame interval (20 ms) ends only when the test flushes it.
    const scheduler = new VirtualTimeScheduler(VirtualAction, 30);
    const sink = new OverlaySink('overlay', OverlayConfig.parse({ frame_interval: '20ms' }), { http, scheduler });
    const address = await http.listen();
    cleanup.push(async () => {
      await sink.stop();
      await http.close();
    });
    const port = address?.port ?? 0;
    const early = await client(port);
    await until(() => early.messages.length === 1);
    sink.write([chat('first', { id: 'p0' })]); // goes at once and opens the frame interval
    sink.write([chat('pending', { id: 'p1' })]); // waits for its end
    const late = await client(port);
    await until(() => late.messages.length === 1 && early.messages.length === 3);
    scheduler.flush(); // the interval ends: nothing left to send
    sink.write([chat('next', { id: 'p2' })]);
    await until(() => late.messages.length === 2 && early.messages.length === 4);
    const ids = (c: Client) =>
      c.messages.map((m) => (m.t === 'm' ? m.i : m.t === 's' ? `s:${m.h.map((e) => (e.t === 'm' ? e.i : e.t))}` : m.t));
    expect(ids(early)).toEqual(['s:', 'p0', 'p1', 'p2']);
    expect(ids(late)).toEqual(['s:p0,p1', 'p2']);
  });

  it('sends a range only when it changes, widening auto ranges to fit', async () => {
    const { port, sinks } = await serve({});
    const c = await client(port);
    sinks[0]!.write([control('drive', 0.5)]);
    sinks[0]!.write([control('drive', 0.6)]);
    sinks[0]!.write([control('drive', 4)]);
    await until(() => c.messages.length === 4);
    expect(c.messages.slice(1).map((m) => (m.t === 'c' ? m.r : 'other'))).toEqual([[0, 1], undefined, [0, 4]]);
  });

  it('takes down what moderation removed, in the history too', async () => {
    const { port, sinks } = await serve({});
    const sink = sinks[0]!;
    const bad = chat('spam', { id: 'bad', user: 'troll' });
    sink.write([chat('fine', { id: 'ok', user: 'viewer' }), bad, chat('more spam', { id: 'bad2', user: 'troll' })]);
    const c = await client(port);
    const ban: ModerationEvent = { kind: 'moderation', verdict: 'ban', reasons: ['spam'], points: 9, chat: bad, receivedAt: 0 };
    sink.write([ban]);
    await until(() => c.messages.length === 2);
    expect(c.messages[1]).toEqual({ t: 'd', l: 'troll', p: 'twitch' });
    const late = await client(port);
    await until(() => late.messages.length === 1);
    expect((late.messages[0] as WireSnapshot).h.map((e) => (e.t === 'm' ? e.i : e.t))).toEqual(['ok']);
  });

  it('counts events it does not show as intentional drops', async () => {
    const { sinks, metrics } = await serve({});
    sinks[0]!.write([
      { kind: 'reply', platform: 'twitch', channel: 'c', text: 'hi', receivedAt: 0 },
      control('cutoff', Number.NaN),
    ]);
    expect(metrics.snapshot().dropped).toEqual({
      not_shown: { count: 1, intentional: true },
      invalid_value: { count: 1, intentional: false },
    });
  });

  it('keeps rooms apart', async () => {
    const { port, sinks } = await serve({ room: 'left' }, { room: 'right' });
    const left = await client(port, '/overlay/ws/left');
    const right = await client(port, '/overlay/ws/right');
    sinks[0]!.write([control('a', 0.1)]);
    sinks[1]!.write([control('b', 0.2)]);
    await until(() => left.messages.length === 2 && right.messages.length === 2);
    expect(left.messages[1]).toMatchObject({ n: 'a' });
    expect(right.messages[1]).toMatchObject({ n: 'b' });
  });

  it('negotiates permessage-deflate only when compression is on', async () => {
    const off = await serve({});
    const plain = await client(off.port);
    expect(plain.ws.extensions).toBe('');
    // Without deflate, frames are framed once and written to the socket directly.
    expect(off.sinks[0]!.stats().direct).toBe(1);
    const on = await serve({ compression: true });
    const deflated = await client(on.port);
    expect(deflated.ws.extensions).toContain('permessage-deflate');
    expect(on.sinks[0]!.stats().direct).toBe(0);
    on.sinks[0]!.write([chat('x'.repeat(2000), { id: 'long' })]);
    await until(() => deflated.messages.length === 2);
    expect(deflated.messages[1]).toMatchObject({ t: 'm', x: 'x'.repeat(499) + '…' });
  });
});

describe('overlay sink: client limits', () => {
  it('refuses clients beyond max_clients with close code 1013, and counts them', async () => {
    const { port, sinks } = await serve({ max_clients: 2 });
    await client(port);
    await client(port);
    const third = await client(port);
    await until(() => third.closed !== undefined);
    expect(third.closed).toEqual({ code: CLOSE.tryAgainLater, reason: 'max_clients' });
    expect(sinks[0]!.stats()).toMatchObject({ clients: 2, accepted: 2, refused: 1 });
  });

  it('disconnects a client that does not answer pings', async () => {
    const { port, sinks } = await serve({ ping_interval: '100ms' });
    const responsive = await client(port);
    const silent = await rawClient(port); // never reads, so never answers
    silent.socket.pause();
    await until(() => sinks[0]!.stats().reaped === 1);
    expect(sinks[0]!.stats().clients).toBe(1);
    expect(responsive.closed).toBeUndefined();
  });

  it('bounds a stalled client by its buffered bytes, skips it, and resyncs it with a snapshot once it drains', async () => {
    const max = 64 * 1024;
    const { port, sinks, metrics } = await serve({ max_buffered_bytes: max, stuck_timeout: '30s', history: 2 });
    const sink = sinks[0]!;
    const healthy = await client(port);
    const stalled = await rawClient(port);
    stalled.socket.pause();
    const text = 'x'.repeat(480);
    let i = 0;
    // Enough to fill the kernel's socket buffers (a few MB on loopback) and then the cap.
    while (sink.stats().lagging === 0 && i < 400) {
      sink.write(Array.from({ length: 100 }, (_, k) => chat(text, { id: `m${i}-${k}` })));
      i += 1;
      await new Promise((r) => setImmediate(r));
    }
    expect(sink.stats().lagging).toBe(1);
    for (let k = 0; k < 5; k++) sink.write([control('marker', k)]);
    await until(() => healthy.messages.some((m) => m.t === 'c' && m.n === 'marker' && m.v === 4));
    const stats = sink.stats();
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(max);
    expect(metrics.snapshot().dropped.slow_client?.count).toBeGreaterThanOrEqual(5);
    expect(healthy.closed).toBeUndefined();

    stalled.socket.resume();
    await until(() => sink.stats().resynced === 1, 10_000);
    await until(() => count(stalled.text(), '{"t":"s"') === 2);
    expect(stalled.text()).toContain('["marker",4,0,4]');
    expect(sink.stats()).toMatchObject({ lagging: 0, clients: 2, stuck: 0 });
    expect(snapshots(healthy)).toHaveLength(1);
  });

  it('closes a client that stops reading with 1008 too_slow and counts it, though the kernel holds its backlog; the others get everything', async () => {
    const { port, sinks, metrics } = await serve({ stuck_timeout: '500ms', ping_interval: '60s' });
    const sink = sinks[0]!;
    const healthy = await client(port);
    const paused = await client(port);
    // It stops reading: its socket is paused, so the kernel's buffers take what it is sent.
    (paused.ws as unknown as { _socket: Socket })._socket.pause();
    let published = 0;
    // Steady chat, far less than the kernel's socket buffers hold: nothing ever waits in the
    // process (`bufferedAmount` stays 0), which is why a byte cap alone never fired.
    while (sink.stats().stuck === 0 && published < 2000) {
      sink.write([chat(`line ${published}`, { id: `slow-${published}` })]);
      published += 1;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(sink.stats()).toMatchObject({ stuck: 1, clients: 1, reaped: 0, peakBufferedBytes: 0 });
    expect(sink.stats().peakUnreadBytes).toBeGreaterThan(0);
    expect(metrics.snapshot().counts).toEqual({ slow_client_closed: 1 });
    for (let k = 0; k < 5; k++) sink.write([chat(`after ${k}`, { id: `after-${k}` })]);
    // The healthy client got the snapshot and every line, and stays.
    await until(() => healthy.messages.length === published + 5 + 1);
    expect(healthy.messages.filter((m) => m.t === 'm')).toHaveLength(published + 5);
    expect(healthy.closed).toBeUndefined();
    // When it reads again it finds what it was sent before the close, then the close.
    (paused.ws as unknown as { _socket: Socket })._socket.resume();
    await until(() => paused.closed !== undefined);
    expect(paused.closed).toEqual({ code: CLOSE.policy, reason: 'too_slow' });
    expect(paused.messages.length).toBeLessThanOrEqual(published + 1);
  });

  it('disconnects a client that stays stuck for stuck_timeout', async () => {
    const { port, sinks } = await serve({ max_buffered_bytes: 16 * 1024, stuck_timeout: '300ms' });
    const sink = sinks[0]!;
    const stalled = await rawClient(port);
    stalled.socket.pause();
    const text = 'y'.repeat(480);
    for (let i = 0; sink.stats().lagging === 0 && i < 400; i++) {
      sink.write(Array.from({ length: 100 }, (_, k) => chat(text, { id: `n${i}-${k}` })));
      await new Promise((r) => setImmediate(r));
    }
    expect(sink.stats().lagging).toBe(1);
    await until(() => sink.stats().stuck === 1);
    expect(sink.stats()).toMatchObject({ clients: 0, lagging: 0 });
  });

  it('closes its clients with 1001 when it stops', async () => {
    const { port, sinks } = await serve({});
    const c = await client(port);
    await sinks[0]!.stop();
    await until(() => c.closed !== undefined);
    expect(c.closed?.code).toBe(CLOSE.goingAway);
  });
});

describe('overlayComponent', () => {
  it('needs the HTTP server', () => {
    const ctx = testContext({ kind: 'sink', type: 'overlay' });
    expect(() => overlayComponent.create(OverlayConfig.parse({}), ctx)).toThrow(/needs the HTTP server/);
  });

  it('registers its route on the server it is given, and refuses a second node on the same path', () => {
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const base = testContext({ kind: 'sink', type: 'overlay' });
    const ctx = { ...base, resources: { ...base.resources, http } };
    const sink = overlayComponent.create(OverlayConfig.parse({ room: 'stage' }), ctx) as OverlaySink;
    expect(sink.endpoint).toBe('/overlay/ws/stage');
    expect(http.needed).toBe(true);
    expect(() => overlayComponent.create(OverlayConfig.parse({ room: 'stage' }), { ...ctx, id: 'other' })).toThrow(
      /already served/,
    );
  });

  it('defaults to low latency and keeps only the newest value per variable when full', () => {
    expect(overlayComponent.driver).toMatchObject({ batchTimeoutMs: 0, whenFull: 'latest_per_key' });
  });
});

describe('overlay beats (the pipeline clock)', () => {
  it('sends each beat of BEAT_CLOCK to every client as a b message, until the sink stops', async () => {
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const beats = new Subject<Beat>();
    const base = testContext({ type: 'overlay' });
    const clock: BeatClock = { grid: () => undefined, beats$: beats };
    const ctx = { ...base, resources: { ...base.resources, http, services: new Services([provide(BEAT_CLOCK, clock)]) } };
    const sink = overlayComponent.create(OverlayConfig.parse({}), ctx) as OverlaySink;
    const address = await http.listen();
    cleanup.push(() => http.close());
    const c = await client(address?.port ?? 0);
    await until(() => c.messages.length === 1); // the snapshot
    expect(beats.observed).toBe(true);
    beats.next({ at: 0, beat: 4, bpm: 119.96, beatsPerBar: 4 });
    beats.next({ at: 500, beat: 5, bpm: 120, beatsPerBar: 4 });
    await until(() => c.messages.length === 3);
    expect(c.messages.slice(1)).toEqual([
      { t: 'b', b: 4, m: 120, r: 4 },
      { t: 'b', b: 5, m: 120, r: 4 },
    ]);
    await sink.stop();
    expect(beats.observed).toBe(false);
  });
});
