/**
 * `npm run bench storage-osc` (issue 6): do the storage sinks slow the show? Chat → OSC latency
 * (bench/oscLatency.ts's method and graph) at 5k messages/s with the `redis_state` and
 * `postgres` sinks on, against off, in the same run on the same private Redis and PostgreSQL,
 * alternating rounds so drift in the machine's load hits both alike. With storage on, every
 * chat line, command and control change is stored, as in the default pipeline.
 * Goal: p99 at the UDP send at most 0.5 ms apart.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, startEmbeddedRedis } from '../src/resources/embedded.js';
import { migrate } from '../src/resources/migrate.js';
import { hrtimeOffsetNs, runScenario, type Scenario, startReceiver } from './oscLatency.js';
import { median } from './pipelineRun.js';
import { writeResult } from './results.js';

const ROUNDS = Number(process.env.BENCH_STORAGE_OSC_ROUNDS ?? 3);
const RATE = 5000;
const GOAL_MS = 0.5;

const OFF: Scenario = { name: 'storage off', rate: RATE, maxRate: 'off' };
const ON: Scenario = {
  name: 'storage on',
  rate: RATE,
  maxRate: 'off',
  extraSinks: {
    state: { type: 'redis_state', inputs: ['cv'] },
    history: { type: 'postgres', inputs: ['once', 'cmds', 'cmds._invalid', 'cv'] },
  },
};

type Figures = { atUdpSend: { p99Ms: number; p50Ms: number }; atReceiverProcess: { p99Ms: number } };

export async function storageOsc(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-storage-osc-'));
  await chmod(root, 0o711);
  const redis = await startEmbeddedRedis(join(root, 'redis'));
  const postgres = await startEmbeddedPostgres(join(root, 'pg'));
  const receiver = await startReceiver();
  const rounds: { off: Figures; on: Figures; onDetail: Record<string, unknown> }[] = [];
  try {
    await migrate(postgres.url);
    const offsetNs = hrtimeOffsetNs();
    const resources = { redis: { url: redis.url }, postgres: { url: postgres.url } };
    for (let round = 0; round < ROUNDS; round++) {
      const off = (await runScenario(OFF, receiver, offsetNs, resources)) as unknown as Figures;
      const onDetail = await runScenario(ON, receiver, offsetNs, resources);
      rounds.push({ off, on: onDetail as unknown as Figures, onDetail });
    }
  } finally {
    await receiver.exit();
    await redis.stop();
    await postgres.stop();
    await rm(root, { recursive: true, force: true });
  }
  const p99 = (pick: (r: (typeof rounds)[number]) => number) => Math.round(median(rounds.map(pick)) * 1000) / 1000;
  const offP99 = p99((r) => r.off.atUdpSend.p99Ms);
  const onP99 = p99((r) => r.on.atUdpSend.p99Ms);
  const figures = {
    method:
      'osc-latency method (receivedAt → UDP send, and → a receiver in another process) at 5k messages/s of !cv/!pitch commands; storage on = redis_state on cv + postgres on chat, commands, rejected commands and control changes; rounds alternate off/on; medians of the rounds',
    rounds: ROUNDS,
    chatPerSec: RATE,
    storageOff: { p99AtUdpSendMs: offP99, p99AtReceiverMs: p99((r) => r.off.atReceiverProcess.p99Ms) },
    storageOn: { p99AtUdpSendMs: onP99, p99AtReceiverMs: p99((r) => r.on.atReceiverProcess.p99Ms) },
    p99DifferenceMs: Math.round((onP99 - offP99) * 1000) / 1000,
    goal: `p99 at the UDP send with storage on at most ${GOAL_MS} ms above storage off`,
    pass: onP99 - offP99 <= GOAL_MS,
    detail: rounds.map((r) => ({ off: r.off, on: r.onDetail })),
  };
  await writeResult('storage-osc', figures);
  return figures;
}
