/**
 * A clock sender in its own process, as Max or Pd would be: `/clock/beat i <n>` to every
 * target at `start + n × period + jitter(n)`, each beat sent to all targets back to back. Run by
 * `fork` (with tsx); told what to play over IPC, it answers with every beat it sent
 * ({@link SentBeat}: its number, its jitter, how late it left on this process's own clock) when
 * done. Timing: a timer to just
 * before the beat, then a spin on `performance.now()`.
 */
import { createSocket } from 'node:dgram';
import osc from 'osc';

export interface BeatPlan {
  readonly ports: readonly number[];
  readonly periodMs: number;
  /** Each beat moves by up to ± this many ms (uniform, seeded). */
  readonly jitterMs: number;
  readonly seed: number;
  readonly count: number;
  /** Beats left out (not sent), by number. */
  readonly skip?: readonly number[];
}

export interface SentBeat {
  readonly n: number;
  /** Where it was meant against the steady grid (ms). */
  readonly jitterMs: number;
  /** How late it left against where it was meant (this process stalled). */
  readonly lateMs: number;
}

/** mulberry32 in [-1, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function play(plan: BeatPlan): Promise<SentBeat[]> {
  const socket = createSocket('udp4');
  const jitter = random(plan.seed);
  const start = performance.now() + 100;
  const sent: SentBeat[] = [];
  for (let n = 0; n < plan.count; n++) {
    const jitterMs = plan.jitterMs * jitter();
    const at = start + n * plan.periodMs + jitterMs;
    if (plan.skip?.includes(n)) continue;
    const early = at - performance.now() - 3;
    if (early > 0) await sleep(early);
    while (performance.now() < at) {
      // Spin the last few ms: a timer alone is a millisecond or more late.
    }
    const packet = osc.writePacket({ address: '/clock/beat', args: [{ type: 'i', value: n }] }, { metadata: true });
    for (const port of plan.ports) socket.send(packet, port, '127.0.0.1');
    sent.push({ n, jitterMs, lateMs: performance.now() - at });
  }
  await sleep(50);
  socket.close();
  return sent;
}

process.once('message', (plan: BeatPlan) => {
  play(plan).then(
    (beats) => process.send?.({ beats }, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
