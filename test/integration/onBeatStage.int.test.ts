/**
 * `on_beat` changes released by the osc output stage's own clock (issue 20), timed by a real
 * receiver: the real runtime (feed → parse_command → control with `on_beat: 1/8` → osc) with a
 * fixed 120 BPM clock and `DUE_CHANGES` as `chatflow run` provides them, and two osc sinks:
 * `synth` (the output stage, `thread: worker`) and `synth_main` (`thread: main`, which sends
 * when control emits at the beat, on the main loop's timer). Each sends to its own liblo
 * `oscdump` (what arrived, in order) and to its own socket of the control-timing bench's
 * receiver, another process (bench/controlTimingReceiver.py: the kernel's receive times, so
 * the receiver's own wake-up on this shared machine is not in the figures).
 *
 * To show what the stage is for, this process's main loop is kept busy from 6 ms before each
 * grid point to 12 ms after it (as a garbage collection or a storage batch would): control's
 * timer, and with it `synth_main`, can only land the change ≥ 12 ms late, while the stage,
 * told of the change when it was decided, sends it at the grid point on its own thread.
 * The grid (Date.now() based) is moved onto this process's performance.now() as the sinks do
 * (clockOffset), which is the receiver's time base.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startReceiver } from '../../bench/controlTimingProbe.js';
import { hrtimeOffsetNs } from '../../bench/oscLatency.js';
import { BEAT_CLOCK, fixedClock } from '../../src/core/beatClock.js';
import { defineSource } from '../../src/core/component.js';
import { DUE_CHANGES, DueChanges } from '../../src/core/dueChanges.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { provide, Services } from '../../src/core/services.js';
import { operatorComponents } from '../../src/operators/index.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { clockOffset } from '../../src/sinks/osc/clockOffset.js';
import { sourceComponents } from '../../src/sources/index.js';
import { chatflow } from '../support/cli.js';
import { chat } from '../support/events.js';
import { type OscDump, startOscDump, until } from './oscSupport.js';

/** `on_beat: 1/8` at 120 BPM. */
const GRID_MS = 250;
const CHANGES = 10;
/** The main loop is busy from this long before each grid point… */
const BUSY_BEFORE_MS = 6;
/** …to this long after it. */
const BUSY_AFTER_MS = 12;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const viewers = new Subject<ChatflowEvent>();
const feedSource = defineSource({
  type: 'feed',
  summary: 'Chat pushed by the test.',
  config: z.strictObject({}),
  examples: [''],
  create: () => viewers.asObservable(),
});

const pipeline = (stage: readonly number[], main: readonly number[]) => `
version: 1
sources:
  viewers: { type: feed }
operators:
  cmds:
    type: parse_command
    inputs: [viewers]
    prefix: "!"
    commands:
      cv:
        args: [name, "value:number(0..1)"]
        subcommands:
          panic: { roles: [mod] }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5, on_beat: 1/8 }
sinks:
  synth: { type: osc, inputs: [cv], targets: [${stage.map((p) => `"127.0.0.1:${p}"`).join(', ')}], address: "/cv/{{ variable }}", max_rate: "off" }
  synth_main: { type: osc, inputs: [cv], targets: [${main.map((p) => `"127.0.0.1:${p}"`).join(', ')}], address: "/cv/{{ variable }}", max_rate: "off", thread: main }
`;

async function start() {
  const stageDump: OscDump = await startOscDump();
  const mainDump: OscDump = await startOscDump();
  const receiver = await startReceiver(['stage', 'main']);
  cleanup.push(() => stageDump.stop(), () => mainDump.stop(), () => receiver.close());
  const ports = receiver.ports as { stage: number; main: number };
  const registry = buildRegistry([...sourceComponents, feedSource], operatorComponents, sinkComponents);
  const result = buildGraph(loadText(pipeline([stageDump.port, ports.stage], [mainDump.port, ports.main]), { file: 'beat.yaml', env: {} }), registry);
  const graph = result.graph;
  if (!graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  const clock = fixedClock(120, 4, asyncScheduler);
  const runtime = await startPipeline(graph, {
    logger: silentLogger(),
    resources: {
      baseDir: '.',
      instance: 'beat',
      services: new Services([provide(BEAT_CLOCK, clock), provide(DUE_CHANGES, new DueChanges())]),
    },
  });
  cleanup.push(async () => {
    await runtime.stop();
  });
  const defaultLine = '/cv/cutoff f 0.500000';
  await until(() => stageDump.lines().includes(defaultLine) && mainDump.lines().includes(defaultLine), 'the defaults');
  const grid = clock.grid();
  if (!grid) throw new Error('a fixed clock has a grid');
  /** Grid point n (epoch ms). */
  const point = (n: number) => grid.anchorAt + n * GRID_MS;
  const nextPoint = () => Math.floor((Date.now() - grid.anchorAt) / GRID_MS) + 1;
  // From now on the receiver times arrivals on this process's performance.now().
  await receiver.start(hrtimeOffsetNs(), performance.now());
  /** How late (ms, signed) each cutoff datagram after now arrived at the receiver's socket `lane`, against its grid point. */
  const late = async (lane: 'stage' | 'main') => {
    const report = await receiver.report();
    const wallMinusPerf = clockOffset(() => Date.now());
    const anchor = grid.anchorAt - wallMinusPerf;
    // The grid point at or before the arrival, give or take 5 ms of earliness.
    return (report.lanes[lane]?.landed ?? []).map((t) => t - (anchor + Math.floor((t - anchor + 5) / GRID_MS) * GRID_MS));
  };
  return { stageDump, mainDump, point, nextPoint, late, clock: receiver.clock };
}

/** Blocks this thread until epoch ms `until`. */
function busyUntil(end: number): void {
  while (Date.now() < end) {
    // A long task on the main loop.
  }
}

/** Resolves at epoch ms `at` (on this loop's timer). */
const at = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));

/** The cutoff changes oscdump printed, the defaults left out. */
const changes = (dump: OscDump) => dump.lines().filter((l) => l.startsWith('/cv/cutoff') && l !== '/cv/cutoff f 0.500000');

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const fixed = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' ');

describe('on_beat changes released by the output stage (oscdump)', () => {
  it('land on the grid point even while the main loop is busy around it; each is sent once', async () => {
    const { stageDump, mainDump, point, nextPoint, late, clock } = await start();
    let n = nextPoint() + 1;
    const values: string[] = [];
    for (let i = 0; i < CHANGES; i++, n++) {
      // A command well between two grid points…
      await at(point(n) - 150);
      const value = i % 2 === 0 ? 0.25 : 0.75;
      values.push(`/cv/cutoff f ${value.toFixed(6)}`);
      viewers.next(chat(`!cv cutoff ${value}`, { id: `c${i}`, user: 'viewer' }));
      // …then the main loop is busy over the grid point it lands on.
      await at(point(n) - BUSY_BEFORE_MS);
      busyUntil(point(n) + BUSY_AFTER_MS);
    }
    const arrived = (dump: OscDump) => changes(dump).length >= CHANGES;
    await until(() => arrived(stageDump) && arrived(mainDump), 'every change at both receivers');
    await at(Date.now() + 2 * GRID_MS);
    const stageLate = await late('stage');
    const mainLate = await late('main');
    console.info(
      `on_beat landing − grid point (ms, ${clock} receive times), main loop busy ${BUSY_BEFORE_MS} ms before to ${BUSY_AFTER_MS} ms after each: ` +
        `stage ${fixed(stageLate)} (median ${median(stageLate).toFixed(2)}); main-loop sink ${fixed(mainLate)} (median ${median(mainLate).toFixed(2)})`,
    );
    // Every change exactly once, in order: the event control emits at the beat adds nothing to what the stage sent.
    expect(changes(stageDump)).toEqual(values);
    expect(changes(mainDump)).toEqual(values);
    expect([stageLate.length, mainLate.length]).toEqual([CHANGES, CHANGES]);
    // The stall is real: the main loop's timer cannot land before it ends.
    expect(Math.min(...mainLate)).toBeGreaterThanOrEqual(BUSY_AFTER_MS - 1);
    // The stage is not held by it: on the grid point, within a few ms as oscdump sees it.
    expect(Math.abs(median(stageLate))).toBeLessThanOrEqual(2);
    expect(stageLate.filter((late) => late < -1 || late >= BUSY_AFTER_MS - 1)).toEqual([]);
  }, 30_000);

  it('a panic before the beat drops the held change: only defaults arrive, at either sink', async () => {
    const { stageDump, mainDump, point, nextPoint } = await start();
    const n = nextPoint() + 1;
    await at(point(n) - 200);
    viewers.next(chat('!cv cutoff 0.9', { id: 'p1', user: 'viewer' }));
    await at(point(n) - 100);
    viewers.next(chat('!cv panic', { id: 'p2', user: 'moddy', roles: ['mod'] }));
    await until(() => stageDump.lines().length >= 2 && mainDump.lines().length >= 2, 'the panic defaults');
    await at(point(n + 1) + 50);
    expect(stageDump.lines()).toEqual(['/cv/cutoff f 0.500000', '/cv/cutoff f 0.500000']);
    expect(mainDump.lines()).toEqual(['/cv/cutoff f 0.500000', '/cv/cutoff f 0.500000']);
  }, 30_000);
});

describe('`chatflow run` with a clock', () => {
  it('announces on_beat changes early (DUE_CHANGES): the held change takes its id when decided, before a later change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-beat-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const line = (id: string, text: string, ts: number) =>
      JSON.stringify({
        kind: 'chat',
        id,
        platform: 'twitch',
        channel: 'beat',
        author: { id: `id-${id}`, login: id, displayName: id, roles: [], badges: {} },
        text,
        emotes: [],
        ts,
        action: false,
        firstMessage: false,
        receivedAt: 0,
      });
    await writeFile(join(dir, 'chat.jsonl'), `${line('a', '!cv cutoff 0.7', 1_718_000_000_000)}\n${line('b', '!cv resonance 0.9', 1_718_000_000_010)}\n`);
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
clock: { bpm: 120 }
sources:
  chat: { type: replay, path: chat.jsonl }
operators:
  cmds: { type: parse_command, inputs: [chat], prefix: "!", commands: { cv: { args: [name, "value:number(0..1)"] } } }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5, on_beat: bar }
      resonance: { range: [0, 1], default: 0.2 }
sinks:
  changes: { type: file, inputs: [cv], path: changes.jsonl }
`,
    );
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    cleanup.push(() => {
      if (run.child.exitCode === null) run.child.kill('SIGTERM');
    });
    const written = async () => {
      const text = await readFile(join(dir, 'changes.jsonl'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { variable: string; origin: string; id: string; value: number });
    };
    // The replay ends after its two lines: the run stops by itself once the held change has landed.
    const finished = await run.finished;
    expect(finished.code, finished.stderr).toBe(0);
    const events = await written();
    const seq = (variable: string) => Number(events.find((e) => e.variable === variable && e.origin === 'command')?.id.split('/').at(-1));
    // resonance applied at once, cutoff at the next bar (up to 2 s later), yet cutoff's id is the
    // earlier: it was made (and announced) when the command came, not when the bar came.
    expect(events.filter((e) => e.origin === 'command').map((e) => e.variable)).toEqual(['resonance', 'cutoff']);
    expect(seq('cutoff')).toBeLessThan(seq('resonance'));
  }, 30_000);
});
