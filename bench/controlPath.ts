/**
 * The control path (issue 3): events/s through normalize → parse_command → throttle → control,
 * fed by `simulate` at full speed, run by the runtime (a pipeline run), on one core; `pass` is
 * on that figure. The operators alone on a prebuilt array are reported beside it, to show
 * what the runtime and the generator add. Goal: at least 250k events/s.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, from, Observable, type OperatorFunction, pipe } from 'rxjs';
import { defaultRegistry } from '../src/components.js';
import type { ComponentContext, Routed } from '../src/core/component.js';
import type { ChatflowEvent } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { NodeMetrics } from '../src/core/metrics.js';
import { ClassifyConfig, classify } from '../src/operators/classify/index.js';
import { NormalizeConfig, normalize } from '../src/operators/normalize.js';
import { ParseCommandConfig, parseCommand } from '../src/operators/parseCommand/index.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { NodeState } from '../src/core/nodeState.js';
import { createChatGenerator, SimulateConfig } from '../src/sources/simulate/index.js';
import { median, runPipelineFile } from './pipelineRun.js';
import { writeResult } from './results.js';
import { HUGE_COMMAND_LINES, HUGE_LINE_COMMANDS } from '../test/fixtures/adversarial.js';
import { chat } from '../test/support/events.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** Realistic chat: the default mix (a quarter commands, the rest chat, emotes, spam, tricks). */
const pipeline = (mix: string) => `version: 1
sources:
  sim: { type: simulate, rate: max, count: ${EVENTS}, users: 5000, seed: 11${mix} }
operators:
  clean: { type: normalize, inputs: [sim] }
  cmds:
    type: parse_command
    inputs: [clean]
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      pitch: { args: ["note:note(C2..C6)"] }
      vote: { args: [name, "value:percent"] }
  fair: { type: throttle, inputs: [cmds.cv, cmds.pitch], per: user, rate: 10/s, burst: 20 }
  cv:
    type: control
    inputs: [fair]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
sinks:
  out: { type: blackhole, inputs: [cv] }
`;

/**
 * The four operators alone, as the registry builds them from the same file, fed synchronously
 * from events `simulate`'s generator made beforehand: what the chain costs without the load
 * generator sharing the core.
 */
function chainOnly(file: string, events: readonly ChatflowEvent[]): number {
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
  const stages: OperatorFunction<ChatflowEvent, ChatflowEvent>[] = [];
  for (const id of ['clean', 'cmds', 'fair', 'cv']) {
    const node = graph.nodes.get(id);
    if (node?.definition.kind !== 'operator') throw new Error(`no operator ${id}`);
    const ctx: ComponentContext = {
      id,
      logger: silentLogger(),
      scheduler: asyncScheduler,
      clock: () => performance.now(),
      wallClock: () => asyncScheduler.now(),
      metrics: new NodeMetrics(id, 'operator', node.type),
      resources: { baseDir: tmpdir(), instance: 'bench' },
      setHealth: () => {},
      state: new NodeState(),
    };
    const op = node.definition.create(node.config, ctx) as OperatorFunction<ChatflowEvent, ChatflowEvent | Routed>;
    // Ported operators emit { port, event }: keep what the next node reads (cmds.cv/pitch, fair's default).
    const keep = id === 'cmds' ? new Set(['cv', 'pitch']) : new Set(['']);
    stages.push((source) =>
      new Observable<ChatflowEvent>((subscriber) =>
        source.pipe(op).subscribe({
          next: (v) => {
            if (typeof v === 'object' && v !== null && 'port' in v && !('kind' in v)) {
              if (keep.has(v.port)) subscriber.next(v.event);
            } else subscriber.next(v as ChatflowEvent);
          },
          error: (e: unknown) => subscriber.error(e),
          complete: () => subscriber.complete(),
        }),
      ),
    );
  }
  let out = 0;
  const started = performance.now();
  from(events)
    .pipe(pipe(...(stages as [OperatorFunction<ChatflowEvent, ChatflowEvent>])))
    .subscribe(() => {
      out += 1;
    });
  const elapsed = performance.now() - started;
  if (out === 0) throw new Error('the chain let nothing through');
  return (events.length / elapsed) * 1000;
}

/**
 * `normalize → classify` (every category, every language) alone, fed as {@link chainOnly}:
 * events/s, and how many events each category got.
 */
export function classifyOnly(events: readonly ChatflowEvent[]): { eventsPerSec: number; ports: Record<string, number> } {
  const ports: Record<string, number> = {};
  const started = performance.now();
  from(events)
    .pipe(normalize(NormalizeConfig.parse({})), classify(ClassifyConfig.parse({})))
    .subscribe(({ port }) => {
      ports[port] = (ports[port] ?? 0) + 1;
    });
  const elapsed = performance.now() - started;
  return { eventsPerSec: Math.round((events.length / elapsed) * 1000), ports };
}

/** Most milliseconds parse_command may spend on the six million-character lines. */
const HUGE_LINES_CEILING_MS = 1000;

/**
 * Milliseconds parse_command takes over test/fixtures/adversarial.ts's million-character lines
 * (the fastest of three runs): a scan that is not linear would take minutes.
 */
export function hugeCommandLines(): number {
  const config = ParseCommandConfig.parse(HUGE_LINE_COMMANDS);
  const events = HUGE_COMMAND_LINES.map((t) => chat(t, { roles: ['vip'] }));
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let out = 0;
    const started = performance.now();
    from(events)
      .pipe(parseCommand(config))
      .subscribe(() => {
        out++;
      });
    best = Math.min(best, performance.now() - started);
    if (out !== events.length) throw new Error(`parse_command answered ${out} of ${events.length} huge lines`);
  }
  return Math.round(best);
}

export async function controlPath(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = { events: EVENTS, rounds: ROUNDS };
  const commandsOnly = { chat: 0, command: 1, emote: 0, link: 0, caps: 0, unicode: 0 };
  for (const [name, mix] of [
    ['defaultMix', undefined],
    ['commandsOnly', commandsOnly],
  ] as const) {
    const file = join(tmpdir(), `chatflow-bench-control-${name}-${process.pid}.yaml`);
    await writeFile(file, pipeline(mix ? `, mix: ${JSON.stringify(mix)}` : ''));
    await runPipelineFile(file, EVENTS); // warm-up
    const rates: number[] = [];
    let last: Awaited<ReturnType<typeof runPipelineFile>> | undefined;
    for (let i = 0; i < ROUNDS; i++) {
      last = await runPipelineFile(file, EVENTS);
      rates.push(last.eventsPerSec);
    }
    const cv = last?.nodes.find((n) => n.id === 'cv');
    const config = SimulateConfig.parse({ rate: 'max', users: 5000, seed: 11, ...(mix ? { mix } : {}) });
    const next = createChatGenerator(config, { now: Date.now });
    const events = Array.from({ length: EVENTS }, () => next() as ChatflowEvent);
    chainOnly(file, events); // warm-up
    const chainRates = Array.from({ length: ROUNDS }, () => chainOnly(file, events));
    classifyOnly(events); // warm-up
    const classified = Array.from({ length: ROUNDS }, () => classifyOnly(events));
    results[name] = {
      classifyOnlyEventsPerSec: Math.round(median(classified.map((c) => c.eventsPerSec))),
      classifyPorts: classified[0]?.ports,
      eventsPerSec: Math.round(median(rates)),
      chainOnlyEventsPerSec: Math.round(median(chainRates)),
      samples: rates.map(Math.round),
      controlEventsOut: cv ? Object.values(cv.eventsOut).reduce((a, b) => a + b, 0) : 0,
      processingP50Ms: Object.fromEntries(
        (last?.nodes ?? []).filter((n) => n.kind === 'operator').map((n) => [n.id, n.processingMs.p50]),
      ),
    };
  }
  const defaultMix = results.defaultMix as { eventsPerSec: number; chainOnlyEventsPerSec: number };
  Object.assign(results, {
    goal: '>= 250000 events/s through the four operators with the default simulate mix, run by the runtime (a pipeline run)',
    method:
      'eventsPerSec (the goal’s figure): a pipeline run of simulate → the four operators → blackhole, simulate generating live on the same core, from start to the last event, median of rounds after one warm-up run; chainOnlyEventsPerSec (for comparison only): the same four operators outside the runtime, fed from events simulate generated beforehand; classifyOnlyEventsPerSec: normalize → classify (all categories and languages) fed the same way',
    pass: defaultMix.eventsPerSec >= 250_000,
  });
  const hugeLinesMs = hugeCommandLines();
  Object.assign(results, {
    hugeCommandLinesMs: hugeLinesMs,
    hugeCommandLinesGoal: `<= ${HUGE_LINES_CEILING_MS} ms for parse_command over six million-character lines (linear scanning)`,
    hugeCommandLinesPass: hugeLinesMs <= HUGE_LINES_CEILING_MS,
  });
  await writeResult('control-path', results);
  return results;
}
