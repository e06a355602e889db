/**
 * The receiving end of the OSC latency benchmark, run as its own process: binds a UDP port,
 * and for every message compares its arrival (process.hrtime, CLOCK_MONOTONIC, shared by every
 * process on the machine) with the chat message's `receivedAt` carried in the last argument
 * (a float64 of the sender's `performance.now()`, turned into the same clock with the sender's
 * offset). Talks to its parent over IPC: `{ port }` once bound; then it answers
 * `start` (reset, with the offset and the first `receivedAt` to count), `report` and `exit`.
 */
import { createSocket } from 'node:dgram';
import { Histogram } from '../src/core/histogram.js';

interface Start {
  readonly cmd: 'start';
  /** The sender's `process.hrtime.bigint()` at its `performance.now() === 0`, in ns, as text. */
  readonly offsetNs: string;
  /** Messages whose `receivedAt` is earlier (warm-up, defaults at start) are not counted. */
  readonly since: number;
}
type Command = Start | { readonly cmd: 'report' } | { readonly cmd: 'exit' };

const send = (message: unknown) => process.send?.(message);
const histogram = new Histogram();
let offsetNs = 0n;
let since = Number.POSITIVE_INFINITY;
let received = 0;
let counted = 0;

const socket = createSocket('udp4');
socket.on('message', (buf) => {
  const arrivedNs = process.hrtime.bigint();
  received += 1;
  if (buf.length < 8 || buf[0] !== 0x2f) return; // a message (not a bundle) ending in a float64
  const receivedAt = buf.readDoubleBE(buf.length - 8);
  if (!(receivedAt >= since)) return;
  counted += 1;
  histogram.record(Number(arrivedNs - offsetNs) / 1e6 - receivedAt);
});
socket.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
  // A large receive buffer, so a 10k/s stream is not lost to a full socket queue.
  try {
    socket.setRecvBufferSize(8 * 1024 * 1024);
  } catch {
    // The OS may cap it; the default still works at these rates.
  }
  send({ port: socket.address().port });
});

process.on('message', (raw) => {
  const command = raw as Command;
  switch (command.cmd) {
    case 'start':
      histogram.reset();
      offsetNs = BigInt(command.offsetNs);
      since = command.since;
      received = 0;
      counted = 0;
      send({ started: true });
      return;
    case 'report':
      send({ received, counted, summary: histogram.summary() });
      return;
    case 'exit':
      socket.close(() => process.exit(0));
      return;
  }
});
