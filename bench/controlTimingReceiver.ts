/**
 * The receiving end of the control-timing benchmark, its own process: two UDP sockets, one per
 * osc sink under test (the output stage on its worker thread, and the same sink on the main
 * event loop), each recording when every datagram arrived (process.hrtime, CLOCK_MONOTONIC,
 * shared with the sender). For the slewing address it keeps arrival times (step intervals);
 * for the others, the delay from the chat message's `receivedAt` (the message's last
 * argument, a float64 of the sender's `performance.now()`, moved onto this clock with the
 * sender's offset). IPC: `{ ports }` once bound; `start` (reset, offset, window start),
 * `report`, `exit`.
 */
import { createSocket, type Socket } from 'node:dgram';

const SLEWING = '/cv/sweep';
const TIMED: ReadonlySet<string> = new Set(['/cv/resonance', '/cv/pitch']);

interface Lane {
  readonly socket: Socket;
  /** Arrival times of the slewing address, ms on the sender's clock. */
  steps: number[];
  /** Chat → arrival, ms. */
  latency: number[];
  received: number;
}

let offsetNs = 0n;
let since = Number.POSITIVE_INFINITY;

/** Reads the OSC address (a NUL-terminated string at the start). */
function addressOf(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('latin1', 0, end < 0 ? buf.length : end);
}

function lane(): Lane {
  const l: Lane = { socket: createSocket('udp4'), steps: [], latency: [], received: 0 };
  l.socket.on('message', (buf) => {
    const at = Number(process.hrtime.bigint() - offsetNs) / 1e6;
    if (at < since || buf[0] !== 0x2f) return;
    l.received += 1;
    const address = addressOf(buf);
    if (address === SLEWING) l.steps.push(at);
    else if (TIMED.has(address) && buf.length >= 8) {
      const receivedAt = buf.readDoubleBE(buf.length - 8);
      if (receivedAt >= since) l.latency.push(at - receivedAt);
    }
  });
  return l;
}

const lanes = { worker: lane(), main: lane() };
const bind = (s: Socket) =>
  new Promise<number>((resolve) =>
    s.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
      try {
        s.setRecvBufferSize(8 * 1024 * 1024);
      } catch {
        // The OS may cap it.
      }
      resolve(s.address().port);
    }),
  );
const ports = { worker: await bind(lanes.worker.socket), main: await bind(lanes.main.socket) };
process.send?.({ ports });

process.on('message', (raw) => {
  const command = raw as { cmd: 'start'; offsetNs: string; since: number } | { cmd: 'report' } | { cmd: 'exit' };
  switch (command.cmd) {
    case 'start':
      offsetNs = BigInt(command.offsetNs);
      since = command.since;
      for (const l of Object.values(lanes)) {
        l.steps = [];
        l.latency = [];
        l.received = 0;
      }
      process.send?.({ started: true });
      return;
    case 'report':
      since = Number.POSITIVE_INFINITY;
      process.send?.(
        Object.fromEntries(
          Object.entries(lanes).map(([name, l]) => [name, { steps: l.steps, latency: l.latency, received: l.received }]),
        ),
      );
      return;
    case 'exit':
      for (const l of Object.values(lanes)) l.socket.close();
      process.exit(0);
  }
});
