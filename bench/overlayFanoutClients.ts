/**
 * The client side of the overlay fan-out benchmark, run as its own process by
 * bench/overlayFanout.ts: `node --import tsx bench/overlayFanoutClients.ts <port> <clients> [deflate]`.
 *
 * Opens the clients, prints `{"ready":…}`, then for every `bench` control message each client
 * receives records the delivery delay: now minus the message's value, which the server set to
 * `performance.timeOrigin + performance.now()` just before publishing (same machine, same
 * clock). On `stop` (stdin) it waits until every client has seen the `end` message, prints the
 * delay percentiles as one JSON line and exits.
 */
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

const [portArg, countArg, deflateArg = 'plain'] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
/** `deflate`: offer permessage-deflate, as browsers do, so a server with compression on uses it. */
const deflate = deflateArg === 'deflate';
/** Clients connecting at once. */
const CONNECT_CONCURRENCY = 250;
/** Delays kept; beyond it, samples are counted but not stored. */
const MAX_SAMPLES = 2_000_000;

const delays = new Float64Array(MAX_SAMPLES);
let samples = 0;
let received = 0;
let parseErrors = 0;
let ended = 0;
let closedEarly = 0;
const sockets: WebSocket[] = [];

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The `v` of a control message `{"t":"c","n":…,"v":<number>,…}`. */
function benchValue(text: string): number {
  const at = text.indexOf('"v":');
  if (at < 0) return Number.NaN;
  const end = text.indexOf(',', at);
  return Number(text.slice(at + 4, end < 0 ? text.length - 1 : end));
}

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/overlay/ws`, { perMessageDeflate: deflate, skipUTF8Validation: true });
    let sawEnd = false;
    ws.on('message', (data: Buffer) => {
      const at = now();
      received += 1;
      // 10,000 clients share this one process (in real life, 10,000 machines): read the two
      // fields by hand rather than JSON.parse, so the client side stays cheap.
      const text = data.toString('latin1');
      if (text.includes('"n":"bench"')) {
        const v = benchValue(text);
        if (Number.isNaN(v)) parseErrors += 1;
        else {
          if (samples < MAX_SAMPLES) delays[samples] = at - v;
          samples += 1;
        }
      } else if (!sawEnd && text.includes('"n":"end"')) {
        sawEnd = true;
        ended += 1;
      }
    });
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('close', () => {
      if (!sawEnd) closedEarly += 1;
    });
    sockets.push(ws);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < count; i += CONNECT_CONCURRENCY) {
    const batch: Promise<void>[] = [];
    for (let k = i; k < Math.min(count, i + CONNECT_CONCURRENCY); k++) batch.push(open());
    await Promise.all(batch);
  }
  process.stdout.write(`${JSON.stringify({ ready: count, connectMs: Math.round(performance.now() - started) })}\n`);

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() !== 'stop') continue;
    const deadline = performance.now() + 15_000;
    while (ended + closedEarly < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const kept = delays.slice(0, Math.min(samples, MAX_SAMPLES)).sort();
    let sum = 0;
    for (const d of kept) sum += d;
    process.stdout.write(
      `${JSON.stringify({
        samples,
        frames: received,
        parseErrors,
        clientsEnded: ended,
        closedEarly,
        delayMs: {
          p50: round(percentile(kept, 50)),
          p90: round(percentile(kept, 90)),
          p99: round(percentile(kept, 99)),
          max: round(percentile(kept, 100)),
          mean: round(kept.length > 0 ? sum / kept.length : Number.NaN),
          min: round(percentile(kept, 0)),
        },
      })}\n`,
    );
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`overlay fan-out clients failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
