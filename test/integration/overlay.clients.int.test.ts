/**
 * 1,000 WebSocket clients on one overlay endpoint, one of them stalled (it stops reading, as a
 * frozen tab does): the others keep receiving every frame, the stalled one never holds more
 * than `max_buffered_bytes`, and it is resynced with a snapshot once it reads again.
 *
 * The stalled client is a small Python program: Node cannot shrink a socket's receive buffer
 * or segment size, and on loopback the kernel would otherwise absorb megabytes per client
 * before any byte waits in the server (1,000 × several MB is too much traffic for a test).
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ChatflowEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { createHttpServer } from '../../src/server/httpServer.js';
import { OverlayConfig, OverlaySink } from '../../src/sinks/overlay/index.js';
import { chat } from '../support/events.js';

const CLIENTS = 1000;
const MAX_BUFFERED = 64 * 1024;
/** Frames published while the stalled client lags. */
const FRAMES_WHILE_LAGGING = 20;

/**
 * Connects with a 4 KiB receive buffer and 536-byte segments, does the WebSocket handshake,
 * prints `open`, then reads nothing until told `drain` on stdin; then reads until the line is
 * quiet and prints `drained <snapshots seen> <bytes> <times the marker was seen>`.
 */
const STALLED_CLIENT = String.raw`
import base64, os, socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
s.connect(('127.0.0.1', port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(('GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (path, port, key)).encode())
head = b''
while b'\r\n\r\n' not in head:
    chunk = s.recv(4096)
    if not chunk:
        print('closed', flush=True)
        sys.exit(1)
    head += chunk
print('open ' + head.split(b'\r\n', 1)[0].decode(), flush=True)
for line in sys.stdin:
    if line.strip() != 'drain':
        break
    s.settimeout(1.0)
    data = b''
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    marker = data.count(b'["marker",42,') + data.count(b'"n":"marker","v":42')
    print('drained %d %d %d' % (data.count(b'{"t":"s"'), len(data), marker), flush=True)
    s.settimeout(None)
`;

/** The stalled client as a child process, with its stdout lines as a queue. */
function stalledClient(port: number, path: string) {
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-u', '-c', STALLED_CLIENT, String(port), path]);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let failure: Error | undefined;
  child.on('error', (err) => {
    failure = new Error(`The stalled client needs python3 (Debian: apt-get install -y python3): ${err.message}`);
    for (const w of waiters.splice(0)) w();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (ms = 15_000): Promise<string> => {
    const deadline = performance.now() + ms;
    while (lines.length === 0) {
      if (failure) throw failure;
      if (performance.now() > deadline) throw new Error('the stalled client said nothing');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return lines.shift() as string;
  };
  return { child, next, send: (cmd: string) => child.stdin.write(`${cmd}\n`) };
}

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('overlay with 1,000 clients, one stalled', () => {
  const teardown: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const fn of teardown.splice(0).reverse()) await fn();
  });

  it('keeps serving the 999, bounds and then resyncs the stalled one', async () => {
    // Both ends of 999 connections live in this process.
    const fds = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim().replace('unlimited', 'Infinity'));
    expect(fds, `this test needs ulimit -n of at least 2200 (it is ${fds}); raise it in CI`).toBeGreaterThanOrEqual(2200);
    const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, silentLogger());
    const metrics = new NodeMetrics('overlay', 'sink', 'overlay');
    const sink = new OverlaySink(
      'overlay',
      // No frame interval (`frame_interval: 0ms`): a write goes at once, or, while the last frame
      // is still on its way through the clients, with the others that came meanwhile.
      OverlayConfig.parse({ max_buffered_bytes: MAX_BUFFERED, stuck_timeout: '60s', ping_interval: '60s', history: 5, frame_interval: '0ms' }),
      { http, drops: metrics },
    );
    const port = (await http.listen())?.port as number;
    teardown.push(async () => {
      await sink.stop();
      await http.close();
    });

    // 999 ordinary clients, connected 100 at a time; each counts messages and keeps the last frame.
    const healthy: { ws: WebSocket; frames: number; messages: number; last: string; closed: boolean }[] = [];
    for (let i = 0; i < CLIENTS - 1; i += 100) {
      const batch = Array.from({ length: Math.min(100, CLIENTS - 1 - i) }, () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/overlay/ws`, { skipUTF8Validation: true });
        const c = { ws, frames: 0, messages: 0, last: '', closed: false };
        ws.on('message', (data: Buffer) => {
          c.frames += 1;
          c.last = data.toString();
          const frame = JSON.parse(c.last) as unknown;
          c.messages += Array.isArray(frame) ? frame.length : 1;
        });
        ws.on('close', () => {
          c.closed = true;
        });
        healthy.push(c);
        return new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
      });
      await Promise.all(batch);
    }
    teardown.push(() => {
      for (const c of healthy) c.ws.terminate();
    });

    const stalled = stalledClient(port, '/overlay/ws');
    teardown.push(() => {
      stalled.child.kill();
    });
    expect(await stalled.next()).toBe('open HTTP/1.1 101 Switching Protocols');
    await until(() => sink.stats().clients === CLIENTS && healthy.every((c) => c.frames === 1));

    // Publish until the stalled client's socket buffers are full and it starts to lag.
    const text = 'z'.repeat(480);
    let published = 0;
    const publish = (tag: string) => {
      const batch: ChatflowEvent[] = Array.from({ length: 10 }, (_, k) => chat(text, { id: `${tag}-${published}-${k}` }));
      sink.write(batch);
      published += 1;
    };
    while (sink.stats().lagging === 0) {
      if (published > 500) throw new Error('the stalled client never lagged');
      publish('fill');
      await tick();
    }
    // Keep publishing: it is skipped (or, whenever the kernel has taken what it held, resynced
    // and soon skipped again); nobody else is.
    for (let i = 0; i < FRAMES_WHILE_LAGGING; i++) {
      publish('lag');
      await tick();
    }
    sink.write([{ kind: 'control', variable: 'marker', value: 42, previous: 0, origin: 'command', ts: 0, receivedAt: 0 }]);
    published += 1;

    // Every ordinary client received every message (snapshot + 10 per batch + the marker), the
    // marker last.
    await until(() => healthy.every((c) => c.messages === 1 + (published - 1) * 10 + 1));
    expect(healthy.every((c) => !c.closed && c.last.includes('"n":"marker","v":42'))).toBe(true);

    const stats = sink.stats();
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED);
    expect(stats).toMatchObject({ clients: CLIENTS, stuck: 0, reaped: 0 });
    // What it was not sent is counted, per event.
    expect(metrics.snapshot().dropped.slow_client?.count).toBeGreaterThanOrEqual(10);

    // It reads again: it drains what the kernel and the capped buffer held, then gets a snapshot.
    stalled.send('drain');
    const drained = await stalled.next(30_000);
    const [, snapshots, bytes, withMarker] = drained.split(' ');
    expect(drained.startsWith('drained ')).toBe(true);
    expect(Number(snapshots)).toBeGreaterThanOrEqual(1);
    // It learns the marker: from the resync snapshot (or, had the kernel just taken what it
    // held, from the frame itself).
    expect(Number(withMarker)).toBeGreaterThanOrEqual(1);
    // What it got was bounded: the kernel's small buffers, the cap, one snapshot; never the
    // whole backlog (published × 5.4 kB).
    expect(Number(bytes)).toBeLessThan(published * 5000);
    await until(() => sink.stats().resynced >= 1);
    expect(sink.stats()).toMatchObject({ clients: CLIENTS, lagging: 0 });
  });
});
