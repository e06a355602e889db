/**
 * The client side of the overlay fan-out benchmark, run as its own process by
 * bench/overlayFanout.ts: `node --import tsx bench/overlayFanoutClients.ts <port> <clients> [browser|plain|deflate|lean]`.
 *
 * `browser` (what the bench's goal figures use): a `ws` WebSocket doing what a browser does
 * (masking, UTF-8 validation, permessage-deflate offered, `JSON.parse` of every message).
 * `plain`/`deflate`: each client is a `ws` WebSocket (deflate offers permessage-deflate, as
 * browsers do). `lean`: each client is a plain TCP socket that does the handshake and reads
 * RFC 6455 frames itself (answering pings), at about half the CPU per message: 10,000 clients
 * in this one process stand for 10,000 machines, and with `ws` this process alone needs about
 * as much CPU per update as the server, on the same cores.
 *
 * Opens the clients, prints `{"ready":…}`, then for every `bench` control message each client
 * receives records the delivery delay: now minus the message's value, which the server set to
 * `performance.timeOrigin + performance.now()` just before publishing (same machine, same
 * clock). On `stop` (stdin) it waits until every client has seen the `end` message, prints the
 * delay percentiles as one JSON line and exits.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

const [portArg, countArg, deflateArg = 'plain'] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
/** `deflate`: offer permessage-deflate, as browsers do, so a server with compression on uses it. */
const deflate = deflateArg === 'deflate';
/** `lean`: raw sockets and a minimal frame reader instead of `ws`. */
const lean = deflateArg === 'lean';
/**
 * `browser`: what an OBS browser source does with each message: a full WebSocket client (`ws`,
 * masking what it sends, validating UTF-8, offering permessage-deflate) and `JSON.parse` of
 * every message before reading it.
 */
const browser = deflateArg === 'browser';
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
const sockets: { terminate(): void }[] = [];

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

/** Records one received text message (a frame's payload, latin1). */
function onText(text: string, at: number, state: { sawEnd: boolean }): void {
  received += 1;
  if (text.includes('"n":"bench"')) {
    const v = benchValue(text);
    if (Number.isNaN(v)) parseErrors += 1;
    else {
      if (samples < MAX_SAMPLES) delays[samples] = at - v;
      samples += 1;
    }
  } else if (!state.sawEnd && text.includes('"n":"end"')) {
    state.sawEnd = true;
    ended += 1;
  }
}

/**
 * Records one frame the way a browser reads it: `JSON.parse`, then its fields. A frame holds
 * one message, or an array of them (one write's batch: a control change with the chat that
 * rides along, or what a frame interval gathered).
 */
function onParsed(text: string, at: number, state: { sawEnd: boolean }): void {
  received += 1;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parseErrors += 1;
    return;
  }
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) onMessage(message as { n?: unknown; v?: unknown }, at, state);
}

function onMessage(message: { n?: unknown; v?: unknown }, at: number, state: { sawEnd: boolean }): void {
  if (message.n === 'bench') {
    if (typeof message.v !== 'number') parseErrors += 1;
    else {
      if (samples < MAX_SAMPLES) delays[samples] = at - message.v;
      samples += 1;
    }
  } else if (!state.sawEnd && message.n === 'end') {
    state.sawEnd = true;
    ended += 1;
  }
}

/** A masked (all-zero key) control frame from the client: pong (0xA) or close (0x8). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  payload.copy(frame, 6);
  return frame;
}

/**
 * One client on a raw socket: the HTTP upgrade, then unmasked server frames (RFC 6455 §5.2):
 * text frames are recorded, pings answered, a close ends it.
 */
function openLean(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const state = { sawEnd: false };
    let open = false;
    let pending: Buffer | undefined;
    socket.once('connect', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET /overlay/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      const at = now();
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      if (!open) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) {
          pending = data;
          return;
        }
        if (!data.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) {
          reject(new Error(`handshake refused: ${data.toString('latin1', 0, end)}`));
          socket.destroy();
          return;
        }
        open = true;
        resolve();
        data = data.subarray(end + 4);
      }
      let offset = 0;
      while (data.length - offset >= 2) {
        const opcode = (data[offset] as number) & 0x0f;
        let length = (data[offset + 1] as number) & 0x7f;
        let head = 2;
        if (length === 126) {
          if (data.length - offset < 4) break;
          length = data.readUInt16BE(offset + 2);
          head = 4;
        } else if (length === 127) {
          if (data.length - offset < 10) break;
          length = data.readUInt32BE(offset + 6);
          head = 10;
        }
        if (data.length - offset < head + length) break;
        const start = offset + head;
        if (opcode === 0x1) onText(data.toString('latin1', start, start + length), at, state);
        else if (opcode === 0x9) socket.write(clientFrame(0xa, data.subarray(start, start + length)));
        else if (opcode === 0x8) socket.end(clientFrame(0x8, data.subarray(start, start + Math.min(2, length))));
        offset = start + length;
      }
      if (offset < data.length) pending = data.subarray(offset);
    });
    socket.once('error', (err) => {
      if (!open) reject(err);
    });
    socket.once('close', () => {
      if (!open) reject(new Error('closed before the handshake'));
      if (!state.sawEnd) closedEarly += 1;
    });
    sockets.push({ terminate: () => socket.destroy() });
  });
}

function open(): Promise<void> {
  if (lean) return openLean();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/overlay/ws`, {
      perMessageDeflate: deflate || browser,
      skipUTF8Validation: !browser,
    });
    const state = { sawEnd: false };
    ws.on('message', (data: Buffer) => {
      if (browser) {
        onParsed(data.toString('utf8'), now(), state);
        return;
      }
      // 10,000 clients share this one process (in real life, 10,000 machines): read the two
      // fields by hand rather than JSON.parse, so the client side stays cheap.
      onText(data.toString('latin1'), now(), state);
    });
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('close', () => {
      if (!state.sawEnd) closedEarly += 1;
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
