/**
 * What-if speed (issue 16): a 100,000-line recording (chat at 20 lines/s from 500 viewers, a
 * third of it commands: `!cv`, `!pitch`, `!vote`) run through the default pipeline.yaml in
 * virtual time by `whatIf`, as `chatflow whatif` does. Figures: recorded lines per wall second
 * and show seconds per wall second, the median of the rounds, with CPU time beside them (the
 * machine is shared). Same-run baseline: reading and parsing the recording alone, the floor of
 * any what-if. Beside it, the same recording through the command path alone (the default
 * pipeline without its metrics sampling and storage sinks), to show what the sampling costs: a
 * `sample_metrics` every second makes a hundred metric events per show second whatever the chat.
 * Goal: at least 20,000 lines/s, so an hour of a busy chat (72,000 lines at 20/s)
 * is tried in under 4 s, and at least 1,000 show seconds per wall second (the goal for
 * virtual time).
 */
import { defaultRegistry } from '../src/components.js';
import { buildGraph, loadPipeline } from '../src/pipelines/graph.js';
import { loadText } from '../src/pipelines/load.js';
import { readRecording } from '../src/testing/recording.js';
import { whatIf } from '../src/testing/whatIf.js';
import { writeResult } from './results.js';

const LINES = Number(process.env.BENCH_LINES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOAL_LINES_PER_SEC = 20_000;
const GOAL_SHOW_SECONDS_PER_SEC = 1000;
/** 20 lines a second, the busy chat the default pipeline simulates. */
const GAP_MS = 50;

/** A deterministic recording: the `file` sink's JSONL, `lines` lines 50 ms apart. */
export function benchRecording(lines: number): string {
  const out: string[] = [];
  let seed = 1;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const notes = ['C3', 'D3', 'E3', 'G3', 'A3', 'C4'];
  for (let i = 0; i < lines; i++) {
    const user = `viewer${Math.floor(next() * 500)}`;
    const pick = next();
    const text =
      pick < 0.15
        ? `!cv cutoff ${next().toFixed(2)}`
        : pick < 0.22
          ? `!pitch ${notes[Math.floor(next() * notes.length)]}`
          : pick < 0.33
            ? `!vote wobble ${Math.floor(next() * 100)}`
            : `chat line ${i} from ${user}`;
    out.push(
      JSON.stringify({
        kind: 'chat',
        id: `b-${i}`,
        platform: 'twitch',
        channel: 'bench',
        author: { id: `id-${user}`, login: user, displayName: user, roles: [], badges: {} },
        text,
        emotes: [],
        ts: 1_780_000_000_000 + i * GAP_MS,
        action: false,
        firstMessage: false,
        receivedAt: i * GAP_MS,
      }),
    );
  }
  return `${out.join('\n')}\n`;
}

/** The default pipeline's command path: chat to control to the synth, the overlay and the console. */
const COMMAND_PATH = `version: 1
sources:
  demo: { type: simulate, rate: 20/s }
operators:
  clean: { type: normalize, inputs: [demo] }
  once: { type: dedupe, inputs: [clean], window: 5m }
  cmds:
    type: parse_command
    inputs: [once]
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      pitch: { aliases: [p], args: ["note:note(C2..C6)"] }
      vote: { args: [name, "value:percent"] }
  fair: { type: throttle, inputs: [cmds.cv, cmds.pitch], per: user, rate: 1/2s, burst: 3 }
  crowd: { type: vote, inputs: [cmds.vote], key_arg: name, window: 5s, reducer: median, quorum: 3 }
  cv:
    type: control
    inputs: [fair, crowd]
    variables:
      cutoff: { range: [0, 1], slew: 80ms, default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
      wobble: { range: [0, 1], default: 0 }
sinks:
  show: { type: console, inputs: [cv], max_lines: 10/s }
  synth: { type: osc, inputs: [cv], target: 127.0.0.1:7400, address: "/cv/{{ variable }}" }
  overlay: { type: overlay, inputs: [cv] }
`;

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function whatIfBench(): Promise<Record<string, unknown>> {
  const text = benchRecording(LINES);
  const graph = loadPipeline('pipeline.yaml', { registry: defaultRegistry(), env: {} });
  const parseMs: number[] = [];
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  let summary: Record<string, unknown> = {};
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    const recording = readRecording(text);
    parseMs.push(performance.now() - started);

    const usage = process.cpuUsage();
    started = performance.now();
    const result = await whatIf({ graph, recording });
    wallMs.push(performance.now() - started);
    const used = process.cpuUsage(usage);
    cpuMs.push((used.user + used.system) / 1000);
    const cv = result.variables.filter((v) => v.node === 'cv');
    summary = {
      showSeconds: Math.round(recording.durationMs / 1000),
      changes: Object.fromEntries(cv.map((v) => [v.variable, v.changes.length])),
      dropsByReason: Object.fromEntries(result.drops.map((d) => [`${d.node}.${d.reason}`, d.count])),
    };
  }
  const commandPath = buildGraph(loadText(COMMAND_PATH, { file: 'command-path.yaml', env: {} }), defaultRegistry()).graph;
  if (!commandPath) throw new Error('The command-path pipeline does not validate.');
  const commandPathMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const recording = readRecording(text);
    const started = performance.now();
    await whatIf({ graph: commandPath, recording });
    commandPathMs.push(performance.now() - started);
  }
  const showSeconds = ((LINES - 1) * GAP_MS) / 1000;
  const wall = median(wallMs);
  const cpu = median(cpuMs);
  const linesPerSec = Math.round(LINES / (wall / 1000));
  const showSecondsPerSec = Math.round(showSeconds / (wall / 1000));
  const figures = {
    lines: LINES,
    rounds: ROUNDS,
    pipeline: 'pipeline.yaml',
    linesPerSec,
    linesPerCpuSec: Math.round(LINES / (cpu / 1000)),
    showSecondsPerSec,
    medianWallMs: Math.round(wall),
    medianCpuMs: Math.round(cpu),
    wallMs: wallMs.map(Math.round),
    baseline: { what: 'readRecording alone (parse, times)', linesPerSec: Math.round(LINES / (median(parseMs) / 1000)) },
    commandPathOnly: {
      what: 'the default pipeline without sample_metrics, postgres, redis_state and metrics',
      linesPerSec: Math.round(LINES / (median(commandPathMs) / 1000)),
      showSecondsPerSec: Math.round(showSeconds / (median(commandPathMs) / 1000)),
    },
    goal: { linesPerSec: GOAL_LINES_PER_SEC, showSecondsPerSec: GOAL_SHOW_SECONDS_PER_SEC },
    pass: linesPerSec >= GOAL_LINES_PER_SEC && showSecondsPerSec >= GOAL_SHOW_SECONDS_PER_SEC,
    ...summary,
  };
  await writeResult('whatif', figures);
  return figures;
}
