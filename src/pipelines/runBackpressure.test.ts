/**
 * Backpressure through the runtime (docs/storage.md, "Backpressure"), in virtual time: a
 * blocking sink that writes slower than `simulate` at `rate: max` makes the runtime pause the
 * source; nothing is dropped, the live source is never paused, a drop_oldest sink beside it
 * is never congested, and a reload mid-congestion recomputes who is held back.
 */
import { Observable, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chat } from '../../test/support/events.js';
import { defineOperator, defineSink, defineSource } from '../core/component.js';
import type { ChatEvent, ChatflowEvent } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { buildRegistry } from '../core/registry.js';
import { simulateComponent } from '../sources/simulate/index.js';
import { buildGraph } from './graph.js';
import { loadText } from './load.js';
import { PipelineRuntime } from './run.js';

function harness(scheduler: VirtualTimeScheduler) {
  const written = new Map<string, string[]>();
  const liveEvents = new Set<(event: ChatflowEvent) => void>();
  const liveSource = defineSource({
    type: 'live',
    summary: 'Chat pushed by the test; cannot be paused.',
    config: z.strictObject({}),
    examples: [''],
    create: () =>
      new Observable<ChatflowEvent>((subscriber) => {
        const push = (event: ChatflowEvent) => subscriber.next(event);
        liveEvents.add(push);
        return () => liveEvents.delete(push);
      }),
  });
  const pass = defineOperator({
    type: 'pass',
    summary: 'Passes events through.',
    config: z.strictObject({}),
    examples: [''],
    create: () => (source) => source,
  });
  const slow = defineSink({
    type: 'slow',
    summary: 'Writes each batch in `write_ms` of scheduler time (0: at once).',
    config: z.strictObject({ write_ms: z.number().describe('Time per write.') }),
    examples: ['write_ms: 10'],
    create: (config, ctx) => {
      const ids: string[] = [];
      written.set(ctx.id, ids);
      return {
        write: (batch) => {
          const done = () => ids.push(...batch.map((e) => (e as ChatEvent).id));
          if (config.write_ms === 0) {
            done();
            return;
          }
          // Settles inside the scheduler's flush, like the driver's own marble tests.
          return {
            // biome-ignore lint/suspicious/noThenProperty: a thenable settled in virtual time.
            then: (ok: () => void) => {
              scheduler.schedule(() => {
                done();
                ok();
              }, config.write_ms);
            },
          } as unknown as Promise<void>;
        },
      };
    },
  });
  const registry = buildRegistry([simulateComponent, liveSource], [pass], [slow]);
  const graph = (yaml: string): PipelineGraph => {
    const result = buildGraph(loadText(yaml, { file: 'test.yaml', env: {} }), registry);
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    return result.graph;
  };
  return {
    graph,
    written: (sink: string) => written.get(sink) ?? [],
    pushLive: (event: ChatflowEvent) => {
      for (const push of liveEvents) push(event);
    },
  };
}

const runtimes: Array<{ runtime: PipelineRuntime; scheduler: VirtualTimeScheduler }> = [];
afterEach(async () => {
  // The sinks' flush deadlines run in virtual time: advance it until the stops are done.
  for (const { runtime, scheduler } of runtimes.splice(0)) {
    let stopped = false;
    void runtime.stop().then(() => {
      stopped = true;
    });
    // `frame` moves only when an action runs: step a horizon of its own past far-off writes.
    for (let horizon = scheduler.frame; !stopped; ) {
      horizon += 1000;
      scheduler.maxFrames = horizon;
      scheduler.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
});

/** Runs virtual time up to `frame`, letting promises (a reload) settle at each step. */
async function runTo(scheduler: VirtualTimeScheduler, frame: number, step = 1): Promise<void> {
  for (let t = scheduler.frame; t <= frame; t += step) {
    scheduler.maxFrames = t;
    scheduler.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function start(scheduler: VirtualTimeScheduler, graph: PipelineGraph): PipelineRuntime {
  const runtime = new PipelineRuntime(graph, {
    logger: silentLogger(),
    resources: { baseDir: '.', instance: 'test' },
    scheduler,
    clock: () => scheduler.now(),
  });
  runtimes.push({ runtime, scheduler });
  void runtime.start();
  return runtime;
}

const PIPELINE = `
version: 1
sources:
  demo: { type: simulate, rate: max, count: 3000, seed: 5 }
  twitch: { type: live }
operators:
  clean: { type: pass, inputs: [demo, twitch] }
sinks:
  history:
    type: slow
    inputs: [clean]
    write_ms: 10
    buffer: { max_events: 100, when_full: block }
    batch: { max_events: 50 }
  synth: { type: slow, inputs: [clean], write_ms: 10, buffer: { max_events: 10 } }
`;

describe('backpressure in the runtime', () => {
  it('pauses simulate at rate: max for a blocking sink: all stored once, none dropped; the drop_oldest sink is never congested', async () => {
    const scheduler = new VirtualTimeScheduler();
    const h = harness(scheduler);
    const runtime = start(scheduler, h.graph(PIPELINE));
    // Live chat keeps arriving while history is congested: held (up to 2×), never paused.
    for (let i = 0; i < 20; i++) scheduler.schedule(() => h.pushLive(chat(`live ${i}`, { id: `live-${i}` })), 5 + i * 10);
    let sawPaused = false;
    scheduler.schedule(function () {
      const demo = runtime.snapshot().find((n) => n.id === 'demo');
      if (demo?.flow?.paused) sawPaused = true;
      if (runtime.snapshot().find((n) => n.id === 'history')?.eventsIn !== 3020) this.schedule(undefined, 5);
    }, 1);
    await runTo(scheduler, 1500, 5);

    const history = h.written('history');
    expect(history).toHaveLength(3020);
    expect(new Set(history).size).toBe(3020);
    const nodes = new Map(runtime.snapshot().map((n) => [n.id, n]));
    expect(nodes.get('history')?.dropped).toEqual({});
    expect(sawPaused).toBe(true);
    const flow = nodes.get('demo')?.flow;
    expect(flow?.pauses).toBeGreaterThan(1);
    expect(flow?.pausedMs).toBeGreaterThan(0);
    expect(flow?.paused).toBe(false);
    // The live source has no gate at all, and the drop_oldest sink dropped rather than paused.
    expect(nodes.get('twitch')?.flow).toBeUndefined();
    expect(nodes.get('synth')?.dropped.buffer_full?.count ?? 0).toBeGreaterThan(0);
  });

  it('a reload mid-congestion that takes the blocking sink away from the source resumes it', async () => {
    const scheduler = new VirtualTimeScheduler();
    const h = harness(scheduler);
    const stuck = `
version: 1
sources:
  demo: { type: simulate, rate: max, count: 1000, seed: 5 }
  twitch: { type: live }
sinks:
  history: { type: slow, inputs: [demo, twitch], write_ms: 100000, buffer: { max_events: 100, when_full: block }, batch: { max_events: 50 } }
`;
    const runtime = start(scheduler, h.graph(stuck));
    await runTo(scheduler, 10);
    const demo = () => runtime.snapshot().find((n) => n.id === 'demo');
    expect(demo()?.flow).toMatchObject({ paused: true, pausedBy: ['history'] });
    const emittedWhilePaused = demo()?.eventsOut[''];

    // history now reads only the live source; demo feeds a fast sink.
    const report = runtime.reload(
      h.graph(`
version: 1
sources:
  demo: { type: simulate, rate: max, count: 1000, seed: 5 }
  twitch: { type: live }
sinks:
  history: { type: slow, inputs: [twitch], write_ms: 100000, buffer: { max_events: 100, when_full: block }, batch: { max_events: 50 } }
  archive: { type: slow, inputs: [demo], write_ms: 0 }
`),
    );
    await runTo(scheduler, 20);
    await report;
    expect(demo()?.flow).toMatchObject({ paused: false, pausedBy: [] });
    expect(demo()?.eventsOut['']).toBe(1000);
    expect(h.written('archive').length).toBe(1000 - (emittedWhilePaused ?? 0));

    // And wiring it back to the still congested sink pauses it again at once.
    const back = runtime.reload(h.graph(stuck.replace('count: 1000', 'count: 2000')));
    await runTo(scheduler, 30);
    await back;
    expect(demo()?.flow).toMatchObject({ paused: true, pausedBy: ['history'] });
  });
});
