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

type Figures = { atUdpSend: { p99Ms: number }; atReceiverProcess: { p99Ms: number } };

export async function storageOsc(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-storage-osc-'));
  await chmod(root, 0o711);
  const storage = await startBenchStorage(root);
  const receiver = await startLatencyReceiver();
  const rounds: { off: Figures; on: Figures; order: string; detail: Record<string, unknown>[] }[] = [];
  try {
    const offsetNs = hrtimeOffsetNs();
    let seed = 1000;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [OFF, ON] : [ON, OFF];
      const got: Record<string, Record<string, unknown>> = {};
      for (const scenario of order) got[scenario.name] = await runScenario(scenario, receiver, offsetNs, { storage, seed: seed++ });
      rounds.push({
        off: got[OFF.name] as unknown as Figures,
        on: got[ON.name] as unknown as Figures,
        order: order.map((s) => s.name).join(' → '),
        detail: order.map((s) => got[s.name] as Record<string, unknown>),
      });
    }
  } finally {
    await receiver.close();
    await storage.stop();
    await rm(root, { recursive: true, force: true });
  }
  const p99 = (pick: (r: (typeof rounds)[number]) => number) => Math.round(median(rounds.map(pick)) * 1000) / 1000;
  const offP99 = p99((r) => r.off.atReceiverProcess.p99Ms);
  const onP99 = p99((r) => r.on.atReceiverProcess.p99Ms);
  const figures = {
    method:
      'osc-latency method (receivedAt → a receiver in another process; also → the UDP send) at 5k messages/s of !cv/!pitch commands through pipeline.yaml operators; storage on = redis_state on cv + postgres on chat, commands, rejected commands and control changes; rounds alternate which goes first; a fresh simulate seed (fresh message ids) for every run; medians of the rounds',
    rounds: ROUNDS,
    chatPerSec: RATE,
    storageOff: { p99AtReceiverMs: offP99, p99AtUdpSendMs: p99((r) => r.off.atUdpSend.p99Ms) },
    storageOn: { p99AtReceiverMs: onP99, p99AtUdpSendMs: p99((r) => r.on.atUdpSend.p99Ms) },
    p99DifferenceMs: Math.round((onP99 - offP99) * 1000) / 1000,
    goal: `p99 at the receiving process with storage on at most ${GOAL_MS} ms above storage off`,
    pass: onP99 - offP99 <= GOAL_MS,
    detail: rounds.map((r) => ({ order: r.order, runs: r.detail })),
  };
  await writeResult('storage-osc', figures);
  return figures;
}
