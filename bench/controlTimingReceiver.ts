/**
 * The control-timing receiver where kernel receive times are not available (not Linux, or no
 * python3; bench/controlTimingReceiver.py is used otherwise): one UDP socket per lane named in
 * argv, each datagram stamped with `process.hrtime` (CLOCK_MONOTONIC, shared with the sender)
 * when this process reads it, so this process's own wake-up delay is in its figures. Same
 * protocol and classification as the Python receiver: stdout gets `{ ports, clock }` once
 * bound, then one JSON line per command read on stdin (`start` resets and takes the sender's
 * clock offset and the window's start; `report`; `exit`). For the slewing address it keeps
 * arrival times (step intervals) and the last float64 argument (a step's due time, from the
 * ceiling); for the timed ones, the delay from the chat message's `receivedAt` (the last
 * argument, a float64 of the sender's `performance.now()`); for the on-beat one, arrival times.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';

const SLEWING = '/cv/sweep';
const TIMED: ReadonlySet<string> = new Set(['/cv/resonance', '/cv/pitch']);
const ON_BEAT = '/cv/cutoff';

interface Lane {
  readonly socket: Socket;
  steps: number[];
  stepTags: (number | null)[];
  latency: number[];
  landed: number[];
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
  const l: Lane = { socket: createSocket('udp4'), steps: [], stepTags: [], latency: [], landed: [], received: 0 };
  l.socket.on('message', (buf) => {
    const at = Number(process.hrtime.bigint() - offsetNs) / 1e6;
    if (at < since || buf[0] !== 0x2f) return;
    l.received += 1;
    const address = addressOf(buf);
    const last = buf.length >= 8 ? buf.readDoubleBE(buf.length - 8) : null;
    if (address === SLEWING) {
      l.steps.push(at);
      l.stepTags.push(last);
    } else if (TIMED.has(address) && last !== null) {
      if (last >= since) l.latency.push(at - last);
    } else if (address === ON_BEAT) l.landed.push(at);
  });
  return l;
}

const names = process.argv.slice(2);
const lanes = Object.fromEntries((names.length > 0 ? names : ['worker', 'main']).map((n) => [n, lane()]));
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
const reply = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
const ports: Record<string, number> = {};
for (const [name, l] of Object.entries(lanes)) ports[name] = await bind(l.socket);
reply({ ports, clock: 'userland' });

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as { cmd: 'start'; offsetNs: string; since: number } | { cmd: 'report' } | { cmd: 'exit' };
  switch (command.cmd) {
    case 'start':
      offsetNs = BigInt(command.offsetNs);
      since = command.since;
      for (const l of Object.values(lanes)) {
        l.steps = [];
        l.stepTags = [];
        l.latency = [];
        l.landed = [];
        l.received = 0;
      }
      reply({ started: true });
      return;
    case 'report':
      since = Number.POSITIVE_INFINITY;
      reply({
        clockDriftUs: 0,
        lanes: Object.fromEntries(
          Object.entries(lanes).map(([name, l]) => [
            name,
            { steps: l.steps, stepTags: l.stepTags, latency: l.latency, landed: l.landed, received: l.received, unstamped: 0 },
          ]),
        ),
      });
      return;
    case 'exit':
      for (const l of Object.values(lanes)) l.socket.close();
      process.exit(0);
  }
});
