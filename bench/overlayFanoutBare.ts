/**
 * The machine's ceiling for overlay-fanout's work, run as its own process by
 * bench/overlayFanout.ts: a bare WebSocket server using only `ws` (no chatflow code) that
 * broadcasts the same frames (the overlay's control message, `{"t":"c","n":…,"v":…,"o":…,"r":…}`,
 * about 90 bytes) at the same rate to the same client process (bench/overlayFanoutClients.ts),
 * the way a `ws` server broadcasts: the message serialized once, `send` to every open client.
 *
 * `node --import tsx bench/overlayFanoutBare.ts <clients> <perSecond> <seconds> <warmupSeconds>`
 * prints `{"port":…}`; on `go` (stdin) it waits for its clients, publishes `warmup` updates for
 * the warm-up, `bench` updates (value: the time each was due, `performance.timeOrigin` based) for the
 * window on the same drift-free schedule as the chatflow side, then one `end`; it prints one
 * JSON line (its CPU, run-queue wait, event-loop delay and per-update broadcast time in the window) and waits
 * to be killed.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { WebSocket, WebSocketServer } from 'ws';

const [clientsArg, rateArg, secondsArg, warmupArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const perSecond = Number(rateArg);
const seconds = Number(secondsArg);
const warmupSeconds = Number(warmupArg);

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/overlay/ws', perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('connection', (ws) => {
  ws.on('error', () => {});
  // What the overlay sends a new client first (an empty snapshot).
  ws.send('{"t":"s","pv":1,"v":[],"h":[]}');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The overlay's message for a control change of `name` to `value` (its range grows to fit). */
function message(name: string, value: number): string {
  return JSON.stringify({ t: 'c', n: name, v: value, o: 'command', r: [Math.min(0, value), Math.max(1, value)] });
}

function broadcast(json: string): void {
  const data = Buffer.from(json);
  for (const ws of server.clients) if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: false });
}

/** Time this process was runnable but waited for a CPU, ms (/proc/self/schedstat; NaN elsewhere). */
function waitedMs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** As bench/overlayFanout.ts publishAt: each update carries the time it was due. */
async function publish(name: string, forSeconds: number): Promise<number[]> {
  const periodMs = 1000 / perSecond;
  const total = Math.round(perSecond * forSeconds);
  const took: number[] = [];
  const start = performance.now();
  for (let k = 0; k < total; k++) {
    const due = start + k * periodMs;
    await sleep(due - performance.now());
    const before = performance.now();
    broadcast(message(name, performance.timeOrigin + due));
    took.push(performance.now() - before);
  }
  return took;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number);
const round = (n: number) => Math.round(n * 100) / 100;

async function run(): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (server.clients.size < clients && performance.now() < deadline) await sleep(20);
  await publish('warmup', warmupSeconds);
  const cpuBefore = process.cpuUsage();
  const waitBefore = waitedMs();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const wallBefore = performance.now();
  const took = await publish('bench', seconds);
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  const waited = waitedMs() - waitBefore;
  loop.disable();
  broadcast(message('end', 1));
  const sorted = [...took].sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      clients: server.clients.size,
      updates: took.length,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: wall,
      waitedMs: waited,
      loopDelayMs: { p50: round(loop.percentile(50) / 1e6), p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) },
      fanoutMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(percentile(sorted, 100)) },
    })}\n`,
  );
}

server.on('listening', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'go') return;
  run().catch((err: unknown) => {
    process.stderr.write(`overlay fan-out bare server failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
});
lines.on('close', () => process.exit(0));
