import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../components.js';
import { defineSink, defineSource } from '../core/component.js';
import { PipelineError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { buildRegistry } from '../core/registry.js';
import { buildGraph, loadPipeline } from '../pipelines/graph.js';
import { loadText } from '../pipelines/load.js';
import { operatorComponents } from '../operators/index.js';
import { sinkComponents } from '../sinks/index.js';
import { sourceComponents } from '../sources/index.js';
import { z } from 'zod';
import { chatEvent, DEFAULT_START_WALL_CLOCK, platformEvent } from './events.js';
import { type CapturedOutput, runVirtual, type VirtualInput } from './virtualRun.js';

const DEFAULT_PIPELINE = fileURLToPath(new URL('../../pipeline.yaml', import.meta.url));
const defaultGraph = (): PipelineGraph => loadPipeline(DEFAULT_PIPELINE, { registry: defaultRegistry(), env: {} });

function graphOf(yaml: string, registry = defaultRegistry()): PipelineGraph {
  const result = buildGraph(loadText(yaml, { file: 'test.yaml', env: {} }), registry);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

const chat = (at: number, login: string, text: string, extra: Partial<Parameters<typeof chatEvent>[0]> = {}): VirtualInput => ({
  at,
  event: chatEvent({ login, text, ...extra }, at),
});

const osc = (outputs: readonly CapturedOutput[], address: string) =>
  outputs.filter((o) => o.type === 'osc' && o.output.address === address).map((o) => ({ at: o.at, value: o.output.value }));

describe('runVirtual on the default pipeline.yaml', () => {
  it('turns three `!vote wobble 80` into /cv/wobble 0.8 at the end of the 5 s vote window', async () => {
    const result = await runVirtual({
      graph: defaultGraph(),
      inputs: [chat(1000, 'ada', '!vote wobble 80'), chat(1500, 'bob', '!vote wobble 80'), chat(2000, 'cy', '!vote wobble 80')],
    });
    // The default (0) at start, the vote at the window's end, the safe default at shutdown.
    expect(osc(result.outputs, '/cv/wobble')).toEqual([
      { at: 0, value: 0 },
      { at: 5000, value: 0.8 },
      { at: result.stoppedAt, value: 0 },
    ]);
    expect(result.stoppedAt).toBe(2000 + 10_000);
  });

  it('does not move wobble on two votes (quorum 3)', async () => {
    const result = await runVirtual({
      graph: defaultGraph(),
      inputs: [chat(1000, 'ada', '!vote wobble 80'), chat(1500, 'bob', '!vote wobble 80')],
    });
    expect(osc(result.outputs, '/cv/wobble').map((o) => o.value)).toEqual([0, 0]);
  });

  it('slews cutoff to its target in 80 ms, in steps every 10 ms (control_rate 100/s), at exact virtual times', async () => {
    const result = await runVirtual({ graph: defaultGraph(), inputs: [chat(3000, 'ada', '!cv cutoff 0.9')], settleMs: 1000 });
    const steps = osc(result.outputs, '/cv/cutoff').filter((o) => o.at >= 3000 && o.at < result.stoppedAt);
    // From the default 0.5 to 0.9 in 8 equal steps of 0.05.
    const expected = Array.from({ length: 8 }, (_, i) => ({ at: 3000 + 10 * (i + 1), value: Math.round((0.5 + 0.05 * (i + 1)) * 100) / 100 }));
    expect(steps).toEqual(expected);
    // Every sink on cv saw the same steps: the overlay got them as wire messages.
    const overlay = result.outputs.filter((o) => o.sink === 'overlay' && o.output.n === 'cutoff' && o.at >= 3000 && o.at < result.stoppedAt);
    expect(overlay.map((o) => o.at)).toEqual(expected.map((e) => e.at));
  });

  it('throttles a viewer after a burst of 3 commands, counting the drops', async () => {
    const inputs = [0, 1, 2, 3, 4].map((i) => chat(1000 + i * 100, 'spammer', `!cv resonance 0.${i + 3}`));
    const result = await runVirtual({ graph: defaultGraph(), inputs, settleMs: 1000 });
    expect(osc(result.outputs, '/cv/resonance').map((o) => o.value)).toEqual([0.2, 0.3, 0.4, 0.5, 0.2]);
    const fair = result.snapshot.find((n) => n.id === 'fair');
    expect(Object.values(fair?.dropped ?? {}).reduce((sum, d) => sum + d.count, 0)).toBe(2);
  });

  it('captures every sink of the graph, stamped with virtual time and the wall clock it was given', async () => {
    const startWallClock = Date.UTC(2026, 5, 1, 20, 0, 0);
    const result = await runVirtual({
      graph: defaultGraph(),
      inputs: [{ at: 2500, event: chatEvent({ login: 'ada', text: '!cv cutoff 0.7', ts: startWallClock + 2500 }, 2500) }],
      startWallClock,
      settleMs: 2000,
    });
    expect(new Set(result.outputs.map((o) => o.sink))).toEqual(new Set(['show', 'synth', 'overlay', 'state', 'history', 'metrics']));
    const row = result.outputs.find((o) => o.type === 'postgres' && o.output.table === 'chat_messages');
    expect(row?.output.row).toMatchObject({ author_login: 'ada', text: '!cv cutoff 0.7', ts: '2026-06-01T20:00:02.500Z' });
    const change = result.outputs.find((o) => o.type === 'postgres' && (o.output.row as { origin?: string }).origin === 'command');
    expect(change?.output.row).toMatchObject({ variable: 'cutoff', by_login: 'ada', ts: '2026-06-01T20:00:02.510Z' });
    // The first of 8 slew steps from 0.5 towards 0.7, as the console prints it.
    const first = (0.5 + (0.7 - 0.5) / 8).toFixed(2);
    expect(result.outputs.find((o) => o.sink === 'show' && o.at === 2510)?.output).toEqual({ line: `cutoff = ${first} (← ada via command)` });
  });

  it('gives the same result every time (deterministic), metrics and process samples included', async () => {
    const inputs: VirtualInput[] = [];
    for (let i = 0; i < 400; i++) {
      const texts = ['hello', '!cv cutoff 0.7', '!vote wobble 40', '!pitch C4', 'lol', '!cv resonance 0.1'];
      inputs.push(chat(i * 150, `user${i % 37}`, texts[i % texts.length] as string));
    }
    const a = await runVirtual({ graph: defaultGraph(), inputs });
    const b = await runVirtual({ graph: defaultGraph(), inputs: [...inputs].reverse() });
    expect(a.outputs.length).toBeGreaterThan(1000);
    expect(JSON.stringify(b.outputs)).toBe(JSON.stringify(a.outputs));
    expect(JSON.stringify(b.snapshot)).toBe(JSON.stringify(a.snapshot));
  });

  it('terminates although sample_metrics reschedules itself every second, and drains the sinks after `until`', async () => {
    const result = await runVirtual({ graph: defaultGraph(), inputs: [], until: 30_000 });
    expect(result.stoppedAt).toBe(30_000);
    expect(result.endedAt).toBeGreaterThanOrEqual(30_000);
    // The dashboard stream got the samples once a second, and nothing came after the stop.
    const stream = result.outputs.filter((o) => o.sink === 'metrics' && o.output.type === 'metrics').map((o) => o.at);
    expect(stream.length).toBeGreaterThanOrEqual(28);
    expect(stream.slice(1).map((t, i) => t - (stream[i] as number))).toEqual(stream.slice(1).map(() => 1000));
    expect(result.outputs.every((o) => o.at <= result.endedAt)).toBe(true);
    // `stats.history` samples every 10 s; postgres writes them when its batch times out (200 ms
    // later), and the last one at the stop, when the sink's driver drains.
    const history = result.outputs.filter((o) => o.type === 'postgres' && o.output.table === 'system_metrics');
    expect(new Set(history.map((o) => o.at))).toEqual(new Set([10_200, 20_200, 30_000]));
  });

  it('records the events leaving the ports it is asked to, in order and at their times', async () => {
    const result = await runVirtual({
      graph: defaultGraph(),
      inputs: [chat(700, 'bo', 'second'), chat(700, 'al', '!cv cutoff 0.1'), chat(100, 'cy', 'first')],
      record: [
        { node: 'clean', port: '' },
        { node: 'cmds', port: 'cv' },
      ],
      settleMs: 100,
    });
    expect(result.recorded.filter((r) => r.node === 'clean').map((r) => [r.at, (r.event as { text: string }).text])).toEqual([
      [100, 'first'],
      [700, 'second'],
      [700, '!cv cutoff 0.1'],
    ]);
    expect(result.recorded.filter((r) => r.port === 'cv').map((r) => [r.at, r.event.kind])).toEqual([[700, 'command']]);
    // receivedAt is the virtual time it was fed.
    expect(result.recorded[0]?.event.receivedAt).toBe(100);
  });

  it('feeds nothing after `until`, and says how many inputs it left out', async () => {
    const result = await runVirtual({
      graph: defaultGraph(),
      inputs: [chat(100, 'a', 'x'), chat(5000, 'b', 'y')],
      until: 1000,
      record: [{ node: 'clean', port: '' }],
    });
    expect(result.recorded.map((r) => r.at)).toEqual([100]);
    expect(result.inputsNotFed).toBe(1);
  });

  it('refuses inputs at bad times, unknown sources and unknown ports with a config error', async () => {
    const graph = defaultGraph();
    await expect(runVirtual({ graph, inputs: [chat(-1, 'a', 'x')] })).rejects.toThrow('times must be finite');
    await expect(runVirtual({ graph, inputs: [{ ...chat(1, 'a', 'x'), source: 'nope' }] })).rejects.toThrow(
      'names source "nope", which is not an enabled source',
    );
    const err = await runVirtual({ graph, inputs: [], record: [{ node: 'cmds', port: 'nope' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe('ERR_CONFIG_INVALID');
  });
});

describe('runVirtual on small pipelines', () => {
  it('feeds inputs to the source they name, and platform events too', async () => {
    const graph = graphOf(`
version: 1
sources:
  a: { type: simulate, rate: 1/s }
  b: { type: simulate, rate: 1/s }
sinks:
  out: { type: file, inputs: [a, b], path: never-written.jsonl }
`);
    const raid = platformEvent({ type: 'raid', login: 'friend', data: { viewers: 12 } }, 50);
    const result = await runVirtual({
      graph,
      inputs: [
        { at: 50, source: 'b', event: raid },
        { at: 10, event: chatEvent({ login: 'x', text: 'to a' }, 10) },
      ],
      settleMs: 0,
      record: [
        { node: 'a', port: '' },
        { node: 'b', port: '' },
      ],
    });
    expect(result.recorded.map((r) => [r.node, r.at])).toEqual([
      ['a', 10],
      ['b', 50],
    ]);
    expect(result.outputs.map((o) => [o.at, o.output.kind, o.output.type ?? null])).toEqual([
      [10, 'chat', null],
      [50, 'platform', 'raid'],
    ]);
    expect(result.outputs[1]?.output).toMatchObject({ author: { login: 'friend' }, data: { viewers: 12 }, ts: DEFAULT_START_WALL_CLOCK + 50 });
  });

  it('settles a sink whose writes are asynchronous, in virtual time, through the real driver', async () => {
    const registered: string[] = [];
    const slow = defineSink({
      type: 'slow',
      summary: 'A sink whose preview resolves on a later turn of the event loop.',
      config: z.strictObject({}),
      examples: [''],
      driver: { batchMax: 100, batchTimeoutMs: 0 },
      create: () => ({ write: () => {} }),
      preview: (_config, ctx, emit) => ({
        write: async (batch: readonly ChatflowEvent[]) => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          registered.push(`${batch.length}@${ctx.scheduler.now() - DEFAULT_START_WALL_CLOCK}`);
          emit({ events: batch.length });
        },
      }),
    });
    const registry = buildRegistry(sourceComponents, operatorComponents, [...sinkComponents, slow]);
    const graph = graphOf(
      `
version: 1
sources:
  chat: { type: simulate, rate: 1/s }
sinks:
  out: { type: slow, inputs: [chat] }
`,
      registry,
    );
    const inputs = [chat(10, 'a', '1'), chat(10, 'b', '2'), chat(10, 'c', '3'), chat(20, 'd', '4')];
    const result = await runVirtual({ graph, inputs, settleMs: 0 });
    // The first event is written at once; the two that came while it was in flight, as one
    // batch when it settled, still at 10; the last at 20.
    expect(registered).toEqual(['1@10', '2@10', '1@20']);
    expect(result.outputs.map((o) => [o.at, o.output.events])).toEqual([
      [10, 1],
      [10, 2],
      [20, 1],
    ]);
    expect(result.snapshot.find((n) => n.id === 'out')?.eventsOut['']).toBe(4);
  });

  it('runs a node whose prepare reads storage without it, as when storage is off', async () => {
    const graph = graphOf(`
version: 1
resources: { redis: { url: "redis://127.0.0.1:1" } }
sources:
  chat: { type: simulate, rate: 1/s }
operators:
  cmds: { type: parse_command, inputs: [chat], commands: { cv: { args: [name, "value:number(0..1)"] } } }
  cv: { type: control, inputs: [cmds.cv], variables: { cutoff: { range: [0, 1], default: 0.25 } } }
sinks:
  state: { type: redis_state, inputs: [cv], restore: true }
  synth: { type: osc, inputs: [cv] }
`);
    const result = await runVirtual({ graph, inputs: [chat(100, 'ada', '!cv cutoff 0.75')], settleMs: 0 });
    // Not restored from Redis: cutoff starts from its default.
    expect(osc(result.outputs, '/cv/cutoff')).toEqual([
      { at: 0, value: 0.25 },
      { at: 100, value: 0.75 },
      { at: 100, value: 0.25 },
    ]);
    expect(result.outputs.filter((o) => o.sink === 'state' && o.output.command === 'set_variable').map((o) => o.at)).toEqual([0, 100]);
  });

  it('refuses a sink that has no preview, naming it', async () => {
    const bare = defineSink({
      type: 'bare',
      summary: 'No preview.',
      config: z.strictObject({}),
      examples: [''],
      create: () => ({ write: () => {} }),
    });
    const quiet = defineSource({
      type: 'quiet',
      summary: 'Nothing.',
      config: z.strictObject({}),
      examples: [''],
      create: () => {
        throw new Error('never created in virtual time');
      },
    });
    const graph = graphOf(
      'version: 1\nsources:\n  q: { type: quiet }\nsinks:\n  out: { type: bare, inputs: [q] }\n',
      buildRegistry([quiet], [], [bare]),
    );
    await expect(runVirtual({ graph, inputs: [] })).rejects.toThrow('Sink "out" (type bare) has no preview');
  });
});

describe('runVirtual with a pipeline clock', () => {
  const pipeline = (clock: string) => `
version: 1
${clock}
sources:
  chat: { type: simulate, rate: 1/s, seed: 1 }
operators:
  cmds:
    type: parse_command
    inputs: [chat]
    prefix: "!"
    commands: { cv: { args: [name, "value:number(0..1)"] } }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5, on_beat: 1/4 }
      wobble: { range: [0, 1], default: 0, on_beat: bar }
sinks:
  synth: { type: osc, inputs: [cv] }
`;
  const inputs = [chat(130, 'ada', '!cv cutoff 0.9'), chat(700, 'bob', '!cv wobble 0.3')];

  it('lands on_beat changes on a fixed clock: the next beat, the next bar', async () => {
    const result = await runVirtual({ graph: graphOf(pipeline('clock: { bpm: 120 }')), inputs, settleMs: 3000 });
    expect(osc(result.outputs, '/cv/cutoff').filter((o) => o.value === 0.9)).toEqual([{ at: 500, value: 0.9 }]);
    expect(osc(result.outputs, '/cv/wobble').filter((o) => o.value === 0.3)).toEqual([{ at: 2000, value: 0.3 }]);
  });

  it('applies them at once without a clock, and with a followed clock that hears no beats', async () => {
    for (const clock of ['', 'clock: { follow: { listen: "127.0.0.1:0" } }']) {
      const result = await runVirtual({ graph: graphOf(pipeline(clock)), inputs, settleMs: 3000 });
      expect(osc(result.outputs, '/cv/cutoff').filter((o) => o.value === 0.9)).toEqual([{ at: 130, value: 0.9 }]);
      expect(osc(result.outputs, '/cv/wobble').filter((o) => o.value === 0.3)).toEqual([{ at: 700, value: 0.3 }]);
    }
  });
});

describe('runVirtual with YouTube replies', () => {
  it("counts the chat sink's YouTube sends against the run's quota: past daily_quota they are refused, as in a real run", async () => {
    const graph = graphOf(`
version: 1
sources:
  yt: { type: simulate, rate: 1/s }
operators:
  cmds:
    type: parse_command
    inputs: [yt]
    commands:
      hi: { reply: "hello {user}" }
sinks:
  bot: { type: chat, inputs: [cmds._reply], youtube: { daily_quota: 100, reading_reserve: 0 } }
`);
    const result = await runVirtual({
      graph,
      inputs: Array.from({ length: 6 }, (_, i) => ({ at: 100 * i, source: 'yt', event: chatEvent({ login: `v${i}`, text: '!hi', platform: 'youtube', channel: 'live-chat' }, 100 * i) })),
    });
    expect(result.outputs.filter((o) => o.sink === 'bot')).toHaveLength(5);
    expect(result.snapshot.find((n) => n.id === 'bot')?.dropped).toEqual({ refused_quota_exhausted: { count: 1, intentional: false } });
  });
});
