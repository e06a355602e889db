/**
 * The control path (issue 3): events/s through normalize → parse_command → throttle → control,
 * fed by `simulate` at full speed, in the runtime, on one core. Goal: at least 250k events/s.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, runPipelineFile } from './pipelineRun.js';
import { writeResult } from './results.js';

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

export async function controlPath(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = { events: EVENTS, rounds: ROUNDS };
  for (const [name, mix] of [
    ['defaultMix', ''],
    ['commandsOnly', ', mix: { chat: 0, command: 1, emote: 0, link: 0, caps: 0, unicode: 0 }'],
  ] as const) {
    const file = join(tmpdir(), `chatflow-bench-control-${name}-${process.pid}.yaml`);
    await writeFile(file, pipeline(mix));
    await runPipelineFile(file, EVENTS); // warm-up
    const rates: number[] = [];
    let last: Awaited<ReturnType<typeof runPipelineFile>> | undefined;
    for (let i = 0; i < ROUNDS; i++) {
      last = await runPipelineFile(file, EVENTS);
      rates.push(last.eventsPerSec);
    }
    const cv = last?.nodes.find((n) => n.id === 'cv');
    results[name] = {
      eventsPerSec: Math.round(median(rates)),
      samples: rates.map(Math.round),
      controlEventsOut: cv ? Object.values(cv.eventsOut).reduce((a, b) => a + b, 0) : 0,
      processingP50Ms: Object.fromEntries(
        (last?.nodes ?? []).filter((n) => n.kind === 'operator').map((n) => [n.id, n.processingMs.p50]),
      ),
    };
  }
  const worst = Math.min(
    (results.defaultMix as { eventsPerSec: number }).eventsPerSec,
    (results.commandsOnly as { eventsPerSec: number }).eventsPerSec,
  );
  Object.assign(results, { goal: 'eventsPerSec >= 250000 for both mixes', pass: worst >= 250_000 });
  await writeResult('control-path', results);
  return results;
}
