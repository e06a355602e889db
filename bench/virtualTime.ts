/**
 * Virtual-time speed (issue 16): simulated show seconds per wall second of `runVirtual` on the
 * default pipeline.yaml at 20 messages/s of realistic chat (the `simulate` source's own
 * generator: chat lines, `!cv`, `!pitch` and `!vote` commands with noise, Unicode tricks,
 * spam), a 10-minute show. Goal: ≥ 1,000× (a 10-minute show in under 0.6 s of wall time).
 * Baseline, in the same run: the same 10 minutes with no chat at all (timers only: the metric
 * samples, the vote windows), to show what the messages themselves cost.
 */
import { fileURLToPath } from 'node:url';
import { defaultRegistry } from '../src/components.js';
import type { ChatEvent } from '../src/core/events.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { SimulateConfig, createChatGenerator } from '../src/sources/simulate/index.js';
import { DEFAULT_START_WALL_CLOCK } from '../src/testing/events.js';
import { runVirtual, type VirtualInput, type VirtualRunResult } from '../src/testing/virtualRun.js';
import { writeResult } from './results.js';
import os from 'node:os';

const SHOW_SECONDS = Number(process.env.BENCH_SHOW_SECONDS ?? 600);
const RATE = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL = 1000;

/** 20 messages/s of the simulate source's chat, as virtual inputs. */
export function showInputs(seconds: number): VirtualInput[] {
  const config = SimulateConfig.parse({ rate: `${RATE}/s`, users: 200, seed: 1 });
  const next = createChatGenerator(config, { now: () => DEFAULT_START_WALL_CLOCK, clock: () => 0 });
  const inputs: VirtualInput[] = [];
  const count = seconds * RATE;
  for (let i = 0; i < count; i++) {
    const at = Math.round((i * 1000) / RATE);
    inputs.push({ at, event: next(DEFAULT_START_WALL_CLOCK + at, at) as ChatEvent });
  }
  return inputs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export async function virtualTime(): Promise<Record<string, unknown>> {
  const file = fileURLToPath(new URL('../pipeline.yaml', import.meta.url));
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
  const inputs = showInputs(SHOW_SECONDS);
  const until = SHOW_SECONDS * 1000;
  const commands = { cv: 0, pitch: 0, vote: 0 };
  for (const { event } of inputs) {
    const text = (event as ChatEvent).text.toLowerCase();
    if (text.startsWith('!cv')) commands.cv += 1;
    else if (text.startsWith('!pitch')) commands.pitch += 1;
    else if (text.startsWith('!vote')) commands.vote += 1;
  }
  const loadBefore = os.loadavg().map((n) => Math.round(n * 100) / 100);
  // One warm-up run of each, not counted: the first pays for compiling the code.
  await runVirtual({ graph, inputs, until });
  await runVirtual({ graph, inputs: [], until });
  const wall: number[] = [];
  const cpu: number[] = [];
  const idleWall: number[] = [];
  let last: VirtualRunResult | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    const usage = process.cpuUsage();
    last = await runVirtual({ graph, inputs, until });
    wall.push(performance.now() - started);
    const used = process.cpuUsage(usage);
    cpu.push((used.user + used.system) / 1000);
    started = performance.now();
    await runVirtual({ graph, inputs: [], until });
    idleWall.push(performance.now() - started);
  }
  const result = last as VirtualRunResult;
  const medianMs = median(wall);
  const speed = SHOW_SECONDS / (medianMs / 1000);
  const oscChanges = result.outputs.filter((o) => o.type === 'osc').length;
  const figures = {
    method:
      'runVirtual (src/testing/virtualRun.ts) on pipeline.yaml, every sink captured by its preview; inputs: the simulate generator (seed 1, 200 users, default mix) at 20 messages/s for the show; median wall time over rounds after one warm-up; speed = show seconds / wall seconds (pass), and per CPU second of the process (GC threads included), less sensitive to a shared machine. Baseline: the same show with no chat (timers only), run alternately in the same rounds.',
    showSeconds: SHOW_SECONDS,
    messagesPerSecond: RATE,
    messages: inputs.length,
    commands,
    rounds: ROUNDS,
    wallMs: wall.map(round1),
    medianWallMs: round1(medianMs),
    speed: Math.round(speed),
    cpuMs: cpu.map(round1),
    speedPerCpuSecond: Math.round(SHOW_SECONDS / (median(cpu) / 1000)),
    baseline: { what: 'the same show without chat', medianWallMs: round1(median(idleWall)), wallMs: idleWall.map(round1) },
    perRun: {
      outputs: result.outputs.length,
      oscMessages: oscChanges,
      instants: result.stats.instants,
      actions: result.stats.actions,
      eventLoopTurns: result.stats.settles,
    },
    loadavgBefore: loadBefore,
    loadavgAfter: os.loadavg().map((n) => Math.round(n * 100) / 100),
    goal: `speed >= ${GOAL} (a ${SHOW_SECONDS / 60}-minute show in < ${round1((SHOW_SECONDS / GOAL) * 1000)} ms)`,
    pass: speed >= GOAL,
  };
  await writeResult('virtual-time', figures);
  return figures;
}
