/**
 * The machine's ceiling for the control-timing and osc-latency benches: the same work as
 * chatflow's, done by a bare process with nothing else to do (no chatflow code), run in the
 * same window under the same load, sending to its own socket of the same kernel-timestamped
 * receiver.
 *
 * `step`: a loop stepping every 10 ms with the output stage's technique (a timer until 3 ms
 * before the step, then `Atomics.wait` for the rest; a step that could not run in time is
 * skipped; each step computed from the anchor), sending the stage's datagram (`/cv/sweep`,
 * a float32 and a float64: 28 bytes) whose float64 is the step's due time.
 * `chat`: chat lines at a rate (1,000 a second unless given), each stamped `receivedAt` when
 * made (as chatflow's `simulate` source does), parsed (`!cv resonance 0.42`) and sent as
 * `/cv/resonance f d` at once.
 *
 * argv: mode, UDP port, the bench process's `process.hrtime − performance.now()` offset (ns;
 * times are sent on that process's `performance.now()` clock), and the scheduling to take
 * (Linux): `fifo:<priority>` (real-time, as the output stage's thread gets where allowed),
 * `nice:<n>`, or `-` to leave it; and (`chat`) the chat lines a second. stdout: one JSON line
 * when running (`{ mode, scheduling }`, what it got); it stops on SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { setPriority } from 'node:os';

const [mode = 'step', portText = '0', offsetText = '0', schedulingText = '-', rateText = '1000'] = process.argv.slice(2);
const STEP_MS = 10;
const COARSE_MS = 3;
const CHAT_RATE = Number(rateText);
const offsetNs = BigInt(offsetText);
/** Now on the bench process's `performance.now()` clock. */
const now = () => Number(process.hrtime.bigint() - offsetNs) / 1e6;

/** Takes `fifo:<priority>` (util-linux chrt) or `nice:<n>`; returns what it got. */
function schedule(spec: string): string {
  const [policy, value] = spec.split(':');
  if (process.platform !== 'linux' || value === undefined) return 'normal';
  if (policy === 'fifo') {
    const done = spawnSync('chrt', ['--fifo', '--pid', value, String(process.pid)], { stdio: 'ignore' });
    return done.status === 0 ? spec : 'normal';
  }
  try {
    setPriority(0, Number(value));
    return spec;
  } catch {
    return 'normal';
  }
}
const scheduling = schedule(schedulingText);

const socket = createSocket('udp4');
await new Promise<void>((resolve, reject) => {
  socket.once('error', reject);
  socket.connect(Number(portText), '127.0.0.1', () => resolve());
});

/** `address` NUL-padded to 4, `,fd` padded, a float32 and a float64 (big-endian), as the osc encoder writes them. */
function datagram(address: string, value: number, last: number): Buffer {
  const a = Math.ceil((address.length + 1) / 4) * 4;
  const buf = Buffer.alloc(a + 4 + 4 + 8);
  buf.write(address, 0, 'latin1');
  buf.write(',fd', a, 'latin1');
  buf.writeFloatBE(value, a + 4);
  buf.writeDoubleBE(last, a + 8);
  return buf;
}

function stepLoop(): void {
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const anchor = now();
  let k = 1;
  const arm = () => {
    const due = anchor + k * STEP_MS;
    const remaining = due - now();
    if (remaining > COARSE_MS) {
      setTimeout(arm, Math.floor(remaining - COARSE_MS));
      return;
    }
    for (let left = due - now(); left > 0; left = due - now()) Atomics.wait(wake, 0, 0, left);
    socket.send(datagram('/cv/sweep', (k % 1000) / 1000, due));
    // The step after now, not after this one: a late step skips the missed ones, as the stage does.
    k = Math.max(k + 1, Math.floor((now() - anchor) / STEP_MS) + 1);
    setTimeout(arm, 0);
  };
  arm();
}

function chatLoop(): void {
  const start = now();
  let made = 0;
  const tick = () => {
    const due = Math.floor(((now() - start) * CHAT_RATE) / 1000);
    for (; made < due; made++) {
      const receivedAt = now();
      const line = `!cv resonance ${((made % 100) / 100).toFixed(2)}`;
      const [command, name, value] = line.slice(1).split(' ');
      if (command !== 'cv' || name === undefined) continue;
      socket.send(datagram(`/cv/${name}`, Math.min(1, Math.max(0, Number(value))), receivedAt));
    }
  };
  setInterval(tick, 1);
}

if (mode === 'chat') chatLoop();
else stepLoop();
process.on('SIGTERM', () => {
  socket.close();
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ mode, scheduling })}\n`);
