/**
 * `npm run bench storage-osc` (issue 6): do the storage sinks slow the show? Chat → OSC latency
 * (bench/oscLatency.ts's method) at 5k messages/s through pipeline.yaml's operators into the
 * osc sink, with the `redis_state` and `postgres` sinks on against off, in the same run on the
 * same private Redis and PostgreSQL. Rounds alternate which goes first (off on, on off, …), and
 * every run has a fresh simulate seed, so its message ids are new to PostgreSQL (the normal
 * COPY path, not the conflict-and-restage one). With storage on, every chat line, command and
 * control change is stored, as in the default pipeline.
 * Goal: p99 at the receiving process at most 0.5 ms apart.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchStorage } from './defaultGraph.js';
import { hrtimeOffsetNs, runScenario, type Scenario, startLatencyReceiver } from './oscLatency.js';
import { writeResult } from './results.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_STORAGE_OSC_ROUNDS ?? 4);
const RATE = 5000;
const GOAL_MS = 0.5;

const OFF: Scenario = { name: 'storage off', rate: RATE, maxRate: 'off', graph: 'operators' };
const ON: Scenario = {
  name: 'storage on',
  rate: RATE,
  maxRate: 'off',
  graph: 'operators',
  extraSinks: {
    state: { type: 'redis_state', inputs: ['cv'] },
    history: { type: 'postgres', inputs: ['once', 'cmds', 'cmds._invalid', 'cv'] },
  },
};

/** What a run's figures (bench/oscLatency.ts `runScenario`) give the comparison. */
export interface RunFigures {
  readonly atUdpSend: { readonly p99Ms: number };
  readonly atReceiverProcess: { readonly p99Ms: number };
  readonly mainThreadWaitingForCorePercent: number | null;
  readonly mainThreadRunningPercent: number | null;
  readonly processCpuPercent: number;
  readonly othersCpuPercent: number | null;
}

/** One variant (storage on, or off) over the rounds: the median of each figure; null where none was measured. */
export interface VariantFigures {
  readonly p99AtReceiverMs: number | null;
  readonly p99AtUdpSendMs: number | null;
  /** Its main thread runnable but waiting for a core, % of the window (Linux). */
  readonly mainThreadWaitingForCorePercent: number | null;
  /** Its main thread on a core, % of the window (Linux). */
  readonly mainThreadRunningPercent: number | null;
  /** This process (every thread: the osc stage's, the postgres writer's), % of one core. */
  readonly processCpuPercent: number | null;
  /** The rest of the machine (redis-server, PostgreSQL, the receiver, anyone else), % of one core. */
  readonly othersCpuPercent: number | null;
}

const KEYS = [
  ['p99AtReceiverMs', (r: RunFigures) => r.atReceiverProcess.p99Ms],
  ['p99AtUdpSendMs', (r: RunFigures) => r.atUdpSend.p99Ms],
  ['mainThreadWaitingForCorePercent', (r: RunFigures) => r.mainThreadWaitingForCorePercent],
  ['mainThreadRunningPercent', (r: RunFigures) => r.mainThreadRunningPercent],
  ['processCpuPercent', (r: RunFigures) => r.processCpuPercent],
  ['othersCpuPercent', (r: RunFigures) => r.othersCpuPercent],
] as const;

/** The medians of a variant's runs ({@link VariantFigures}). */
export function variantFigures(runs: readonly RunFigures[]): VariantFigures {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const out: Record<string, number | null> = {};
  for (const [key, pick] of KEYS) {
    const m = median(runs.map((run) => pick(run) ?? Number.NaN));
    out[key] = Number.isNaN(m) ? null : r3(m);
  }
  return out as unknown as VariantFigures;
}

/** On − off for every figure both have (null where either is missing): what the difference is made of. */
export function difference(on: VariantFigures, off: VariantFigures): VariantFigures {
  const out: Record<string, number | null> = {};
  for (const [key] of KEYS) {
    const a = on[key];
    const b = off[key];
    out[key] = a === null || b === null ? null : Math.round((a - b) * 1000) / 1000;
  }
  return out as unknown as VariantFigures;
}

export async function storageOsc(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-storage-osc-'));
  await chmod(root, 0o711);
  const storage = await startBenchStorage(root);
  const receiver = await startLatencyReceiver();
  const rounds: { off: RunFigures; on: RunFigures; order: string; detail: Record<string, unknown>[] }[] = [];
  try {
    const offsetNs = hrtimeOffsetNs();
    let seed = 1000;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [OFF, ON] : [ON, OFF];
      const got: Record<string, Record<string, unknown>> = {};
      for (const scenario of order) got[scenario.name] = await runScenario(scenario, receiver, offsetNs, { storage, seed: seed++ });
      rounds.push({
        off: got[OFF.name] as unknown as RunFigures,
        on: got[ON.name] as unknown as RunFigures,
        order: order.map((s) => s.name).join(' → '),
        detail: order.map((s) => got[s.name] as Record<string, unknown>),
      });
    }
  } finally {
    await receiver.close();
    await storage.stop();
    await rm(root, { recursive: true, force: true });
  }
  const off = variantFigures(rounds.map((r) => r.off));
  const on = variantFigures(rounds.map((r) => r.on));
  const onMinusOff = difference(on, off);
  const figures = {
    method:
      'osc-latency method (receivedAt → a receiver in another process; also → the UDP send) at 5k messages/s of !cv/!pitch commands through pipeline.yaml operators; storage on = redis_state on cv + postgres on chat, commands, rejected commands and control changes; rounds alternate which goes first; a fresh simulate seed (fresh message ids) for every run; medians of the rounds. Per run, over its window: the main thread on a core and runnable but waiting for one (/proc/thread-self/schedstat, % of the window), the CPU of this process and of the rest of the machine (busy share of all cores less this process), % of one core.',
    rounds: ROUNDS,
    chatPerSec: RATE,
    storageOff: off,
    storageOn: on,
    p99DifferenceMs: onMinusOff.p99AtReceiverMs,
    // What the difference is made of: more work on the main thread (running), longer waits
    // for a core (waiting: redis-server, PostgreSQL and the postgres writer thread compete for
    // the same cores), the process's and the rest of the machine's CPU.
    onMinusOff,
    goal: `p99 at the receiving process with storage on at most ${GOAL_MS} ms above storage off`,
    pass: on.p99AtReceiverMs !== null && off.p99AtReceiverMs !== null && on.p99AtReceiverMs - off.p99AtReceiverMs <= GOAL_MS,
    detail: rounds.map((r) => ({ order: r.order, runs: r.detail })),
  };
  await writeResult('storage-osc', figures);
  return figures;
}
