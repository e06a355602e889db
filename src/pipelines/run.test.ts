import { Writable } from 'node:stream';
import { NEVER, Observable, Subject, VirtualTimeScheduler, defer, map, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Sink, defineOperator, defineSink, defineSource } from '../core/component.js';
import { SourceFatalError } from '../core/errors.js';
import type { ChatEvent, ChatflowEvent } from '../core/events.js';
import { createLogger, silentLogger } from '../core/logger.js';
import { buildRegistry } from '../core/registry.js';
import { chat } from '../../test/support/events.js';
import { buildGraph } from './graph.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { loadText } from './load.js';
import { type PipelineRuntime, startPipeline } from './run.js';

const FAST_BACKOFF = { initialMs: 5, maxMs: 20, jitter: 0 };

/** Components whose behaviour each test controls, with no state shared between tests. */
function harness() {
  const feeds = new Map<string, Subject<ChatflowEvent>>();
  const feed = (name: string) => {
    let s = feeds.get(name);
    if (!s) {
      s = new Subject<ChatflowEvent>();
      feeds.set(name, s);
    }
    return s;
  };
  const written = new Map<string, ChatflowEvent[]>();
  const lifecycle: string[] = [];
  let flakyFailuresLeft = 0;
  let subscriptions = 0;

  const named = z.strictObject({ name: z.string().describe('Which feed.') });
  const empty = z.strictObject({});
  const feedSource = defineSource({
    type: 'feed',
    summary: 'Events pushed by the test.',
    config: named,
    examples: ['name: a'],
    create: (config) =>
      new Observable<ChatflowEvent>((subscriber) => {
        lifecycle.push(`subscribe ${config.name}`);
        const sub = feed(config.name).subscribe(subscriber);
        return () => {
          lifecycle.push(`unsubscribe ${config.name}`);
          sub.unsubscribe();
        };
      }),
  });
  const flakySource = defineSource({
    type: 'flaky',
    summary: 'Fails on subscribe a given number of times, then follows a feed.',
    config: named,
    examples: ['name: a'],
    create: (config, ctx) =>
      defer(() => {
        subscriptions += 1;
        if (flakyFailuresLeft > 0) {
          flakyFailuresLeft -= 1;
          return throwError(() => new Error('connection refused'));
        }
        ctx.setHealth('live');
        return feed(config.name);
      }),
  });
  /** Like a platform source after a reconnect: the server replays recent ids, the node's window drops them. */
  const windowedSource = defineSource({
    type: 'windowed',
    summary: 'Follows a feed, emitting each chat id once across restarts; errors on the text "drop".',
    config: named,
    examples: ['name: a'],
    create: (config, ctx) => {
      const seen = ctx.state.get('seen', () => new Set<string>());
      return defer(() => {
        subscriptions += 1;
        return new Observable<ChatflowEvent>((subscriber) =>
          feed(config.name).subscribe((event) => {
            if (event.kind !== 'chat') return;
            if (event.text === 'drop') subscriber.error(new Error('socket closed'));
            else if (!seen.has(event.id)) {
              seen.add(event.id);
              subscriber.next(event);
            }
          }),
        );
      });
    },
  });
  const wallTimes: number[] = [];
  const clockedSource = defineSource({
    type: 'clocked',
    summary: 'Reads the wall clock once when created.',
    config: empty,
    examples: [''],
    create: (_config, ctx) => {
      wallTimes.push(ctx.wallClock());
      return NEVER;
    },
  });
  const fatalSource = defineSource({
    type: 'fatal',
    summary: 'Fails for good.',
    config: empty,
    examples: [''],
    create: (_config, ctx) => defer(() => throwError(() => new SourceFatalError(ctx.id, 'bad credentials'))),
  });
  const boom = defineOperator({
    type: 'boom',
    summary: 'A buggy operator: errors its stream on the text "boom".',
    config: empty,
    examples: [''],
    create: () =>
      map((event: ChatflowEvent) => {
        if (event.kind === 'chat' && event.text === 'boom') throw new Error('bug');
        return event;
      }),
  });
  const split = defineOperator({
    type: 'split',
    summary: 'Sends chat starting with "!" to `cmd`, the rest to `_other`.',
    config: empty,
    examples: [''],
    ports: () => ['cmd', '_other'],
    mirrorToDefault: true,
    metricRoles: { commandPorts: true, limitedPorts: ['_other'] },
    create: () =>
      map((event: ChatflowEvent) => ({
        port: event.kind === 'chat' && event.text.startsWith('!') ? 'cmd' : '_other',
        event,
      })),
  });
  const pick = defineOperator({
    type: 'pick',
    summary: 'Sends chat starting with "!" to `cmd`, the rest to `rest`; only `cmd` is mirrored.',
    config: empty,
    examples: [''],
    ports: () => ['cmd', 'rest'],
    mirrorToDefault: ['cmd'],
    create: () =>
      map((event: ChatflowEvent) => ({
        port: event.kind === 'chat' && event.text.startsWith('!') ? 'cmd' : 'rest',
        event,
      })),
  });
  const collect = defineSink({
    type: 'collect',
    summary: 'Keeps what it is given.',
    config: named,
    examples: ['name: a'],
    driver: { batchMax: 10 },
    create: (config): Sink => {
      const list: ChatflowEvent[] = [];
      written.set(config.name, list);
      return {
        start: async () => {
          lifecycle.push(`start ${config.name}`);
        },
        write: (batch) => {
          list.push(...batch);
        },
        flush: async () => {
          lifecycle.push(`flush ${config.name}`);
        },
        stop: async () => {
          lifecycle.push(`stop ${config.name}`);
        },
      };
    },
  });
  const registry = buildRegistry([clockedSource, fatalSource, feedSource, flakySource, windowedSource], [boom, split, pick], [collect]);
  const graph = (yaml: string): PipelineGraph => {
    const result = buildGraph(loadText(yaml, { file: 'test.yaml', env: {} }), registry);
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    return result.graph;
  };
  return {
    feed,
    written: (name: string) => written.get(name) ?? [],
    lifecycle,
    graph,
    failNext: (n: number) => {
      flakyFailuresLeft = n;
    },
    subscriptions: () => subscriptions,
    wallTimes,
  };
}

const running: PipelineRuntime[] = [];
async function start(graph: PipelineGraph): Promise<PipelineRuntime> {
  const runtime = await startPipeline(graph, {
    logger: silentLogger(),
    resources: { baseDir: '.', instance: 'test' },
    backoff: FAST_BACKOFF,
  });
  running.push(runtime);
  return runtime;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

const until = async (check: () => boolean, ms = 2000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('PipelineRuntime', () => {
  it('fans in from two sources and fans out to two sinks, counting every node', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
  b: { type: feed, name: b }
operators:
  mid: { type: boom, inputs: [a, b] }
sinks:
  left: { type: collect, name: left, inputs: [mid] }
  right: { type: collect, name: right, inputs: [mid, a] }
`),
    );
    h.feed('a').next(chat('one'));
    h.feed('b').next(chat('two'));
    await until(() => h.written('right').length === 3);
    expect(h.written('left').map((e) => (e as ChatEvent).text)).toEqual(['one', 'two']);
    expect(h.written('right').map((e) => (e as ChatEvent).text).sort()).toEqual(['one', 'one', 'two']);
    const mid = runtime.metrics.get('mid')!;
    expect(mid.eventsIn).toBe(2);
    expect(mid.out('').value).toBe(2);
    expect(runtime.metrics.get('a')!.out('').value).toBe(1);
    expect(runtime.metrics.get('right')!.eventsIn).toBe(3);
  });

  it('fuses the first consumer at a fan-out and hands each event to the others (and a tap) once, through the port', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
operators:
  first: { type: boom, inputs: [a] }
  second: { type: boom, inputs: [first] }
sinks:
  main: { type: collect, name: main, inputs: [second] }
  side: { type: collect, name: side, inputs: [first] }
`),
    );
    const tapped: string[] = [];
    runtime.tap('first', '', (e) => tapped.push((e as ChatEvent).text));
    for (const text of ['one', 'two', 'three']) h.feed('a').next(chat(text));
    h.feed('a').complete();
    await runtime.finished;
    const texts = (name: string) => h.written(name).map((e) => (e as ChatEvent).text);
    expect(texts('main')).toEqual(['one', 'two', 'three']);
    expect(texts('side')).toEqual(['one', 'two', 'three']);
    await until(() => tapped.length === 3);
    expect(tapped).toEqual(['one', 'two', 'three']);
    const first = runtime.metrics.get('first')!.snapshot();
    expect(first.eventsOut).toEqual({ '': 3 });
    expect(first.dropped).toEqual({});
    expect(runtime.metrics.get('second')!.eventsIn).toBe(3);
    expect(runtime.metrics.get('side')!.eventsIn).toBe(3);
  });

  it('routes named ports, mirrors them to the default port, and counts unconsumed ports as drops', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
operators:
  s: { type: split, inputs: [a] }
sinks:
  cmds: { type: collect, name: cmds, inputs: [s.cmd] }
  all: { type: collect, name: all, inputs: [s] }
`),
    );
    for (const text of ['!cv 1', 'hello', '!pitch C4']) h.feed('a').next(chat(text));
    await until(() => h.written('all').length === 2);
    expect(h.written('cmds').map((e) => (e as ChatEvent).text)).toEqual(['!cv 1', '!pitch C4']);
    expect(h.written('all').map((e) => (e as ChatEvent).text)).toEqual(['!cv 1', '!pitch C4']);
    const s = runtime.metrics.get('s')!.snapshot();
    expect(s.eventsOut).toMatchObject({ '': 2, cmd: 2, _other: 1 });
    expect(s.dropped['no_consumer:_other']).toEqual({ count: 1, intentional: true });
  });

  it('mirrors only the ports a definition lists to the default port', async () => {
    const h = harness();
    await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
operators:
  p: { type: pick, inputs: [a] }
sinks:
  rest: { type: collect, name: rest, inputs: [p.rest] }
  all: { type: collect, name: all, inputs: [p] }
`),
    );
    for (const text of ['!cv 1', 'hello', '!pitch C4', 'bye']) h.feed('a').next(chat(text));
    await until(() => h.written('rest').length === 2 && h.written('all').length === 2);
    expect(h.written('all').map((e) => (e as ChatEvent).text)).toEqual(['!cv 1', '!pitch C4']);
    expect(h.written('rest').map((e) => (e as ChatEvent).text)).toEqual(['hello', 'bye']);
  });

  it("carries what a definition declares its counters mean into its node's snapshots", async () => {
    const h = harness();
    const runtime = await start(
      h.graph('version: 1\nsources:\n  a: { type: feed, name: a }\noperators:\n  s: { type: split, inputs: [a] }\nsinks:\n  all: { type: collect, name: all, inputs: [s] }\n'),
    );
    const roles = new Map(runtime.snapshot().map((n) => [n.id, n.roles]));
    expect(roles).toEqual(
      new Map([
        ['a', undefined],
        ['s', { commandPorts: true, limitedPorts: ['_other'] }],
        ['all', undefined],
      ]),
    );
  });

  it('restarts an operator that errors, counting the error, and keeps the rest of the stream', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
operators:
  mid: { type: boom, inputs: [a] }
sinks:
  out: { type: collect, name: out, inputs: [mid] }
`),
    );
    h.feed('a').next(chat('before'));
    h.feed('a').next(chat('boom'));
    await until(() => runtime.metrics.get('mid')!.errors === 1);
    await new Promise((r) => setTimeout(r, 30));
    h.feed('a').next(chat('after'));
    await until(() => h.written('out').length === 2);
    expect(h.written('out').map((e) => (e as ChatEvent).text)).toEqual(['before', 'after']);
    expect(runtime.metrics.get('mid')!.lastError).toBe('bug');
  });

  it('attributes an error inside a fused chain to the operator that raised it', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
operators:
  first: { type: boom, inputs: [a] }
  second: { type: boom, inputs: [first] }
sinks:
  out: { type: collect, name: out, inputs: [second] }
`),
    );
    h.feed('a').next(chat('boom'));
    await until(() => runtime.metrics.get('first')!.errors === 1);
    expect(runtime.metrics.get('second')!.errors).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    h.feed('a').next(chat('fine'));
    await until(() => h.written('out').length === 1);
    expect(runtime.metrics.get('first')!.out('').value).toBe(1);
    expect(runtime.metrics.get('second')!.eventsIn).toBe(1);
  });

  it('restarts a failing source with backoff and reports its health', async () => {
    const h = harness();
    h.failNext(2);
    const runtime = await start(
      h.graph(`
version: 1
sources:
  f: { type: flaky, name: f }
sinks:
  out: { type: collect, name: out, inputs: [f] }
`),
    );
    const metrics = runtime.metrics.get('f')!;
    expect(['connecting', 'reconnecting']).toContain(metrics.status);
    await until(() => metrics.status === 'live');
    expect(h.subscriptions()).toBe(3);
    expect(metrics.errors).toBe(2);
    h.feed('f').next(chat('hi'));
    await until(() => h.written('out').length === 1);
  });

  it("keeps a source's state across its restarts, so its dedupe window spans the reconnect", async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  w: { type: windowed, name: w }
sinks:
  out: { type: collect, name: out, inputs: [w] }
`),
    );
    h.feed('w').next(chat('one', { id: 'a' }));
    h.feed('w').next(chat('two', { id: 'b' }));
    await until(() => h.written('out').length === 2);
    h.feed('w').next(chat('drop', { id: 'x' }));
    await until(() => h.subscriptions() === 2);
    expect(runtime.metrics.get('w')!.errors).toBe(1);
    // The server replays what it sent before the reconnect, then something new.
    h.feed('w').next(chat('two', { id: 'b' }));
    h.feed('w').next(chat('three', { id: 'c' }));
    await until(() => h.written('out').length >= 3);
    await runtime.stop();
    expect(h.written('out').map((e) => (e.kind === 'chat' ? e.id : e.kind))).toEqual(['a', 'b', 'c']);
  });

  it('starts the backoff of a source over once it delivers again, also when it never reports live', async () => {
    const h = harness();
    const records: { msg: string; attempt?: number }[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        records.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const runtime = await startPipeline(
      h.graph(`
version: 1
sources:
  w: { type: windowed, name: w }
sinks:
  out: { type: collect, name: out, inputs: [w] }
`),
      {
        logger: createLogger({ level: 'warn', destination }),
        resources: { baseDir: '.', instance: 'test' },
        backoff: FAST_BACKOFF,
      },
    );
    running.push(runtime);
    h.feed('w').next(chat('drop', { id: 'x1' }));
    await until(() => h.subscriptions() === 2);
    h.feed('w').next(chat('drop', { id: 'x2' }));
    await until(() => h.subscriptions() === 3);
    h.feed('w').next(chat('delivered', { id: 'a' }));
    await until(() => h.written('out').length === 1);
    h.feed('w').next(chat('drop', { id: 'x3' }));
    await until(() => h.subscriptions() === 4);
    const attempts = records.filter((r) => r.msg === 'Source failed; restarting after backoff.').map((r) => r.attempt);
    expect(attempts).toEqual([1, 2, 1]);
  });

  it("gives components the wall clock it was given, and the scheduler's time when none is", async () => {
    const h = harness();
    const yaml = `
version: 1
sources:
  c: { type: clocked }
sinks:
  out: { type: collect, name: out, inputs: [c] }
`;
    const given = await startPipeline(h.graph(yaml), {
      logger: silentLogger(),
      resources: { baseDir: '.', instance: 'test' },
      wallClock: () => 1_700_000_000_000,
    });
    running.push(given);
    const scheduler = new VirtualTimeScheduler();
    scheduler.schedule(() => {}, 42_000);
    scheduler.flush();
    const virtual = await startPipeline(h.graph(yaml), {
      logger: silentLogger(),
      resources: { baseDir: '.', instance: 'test' },
      scheduler,
    });
    running.push(virtual);
    expect(h.wallTimes).toEqual([1_700_000_000_000, 42_000]);
  });

  it('does not restart a source that failed for good', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  bad: { type: fatal }
  a: { type: feed, name: a }
sinks:
  out: { type: collect, name: out, inputs: [bad, a] }
`),
    );
    expect(runtime.metrics.get('bad')!.status).toBe('failed');
    expect(runtime.metrics.get('bad')!.lastError).toBe('bad credentials');
    h.feed('a').next(chat('still flowing'));
    await until(() => h.written('out').length === 1);
  });

  it('stops sources first, then flushes and stops sinks', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
sinks:
  out: { type: collect, name: out, inputs: [a] }
`),
    );
    h.feed('a').next(chat('x'));
    const report = await runtime.stop();
    expect(report.lostAtShutdown).toBe(0);
    expect(h.written('out')).toHaveLength(1);
    expect(h.lifecycle).toEqual(['start out', 'subscribe a', 'unsubscribe a', 'flush out', 'stop out']);
    expect(runtime.metrics.get('a')!.status).toBe('stopped');
    expect(await runtime.stop()).toBe(report);
  });

  it('finishes by itself when every source has completed and the sinks have written everything', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
  b: { type: feed, name: b }
sinks:
  out: { type: collect, name: out, inputs: [a, b] }
`),
    );
    let finished = false;
    void runtime.finished.then(() => {
      finished = true;
    });
    h.feed('a').next(chat('1'));
    h.feed('a').complete();
    await new Promise((r) => setTimeout(r, 20));
    expect(finished).toBe(false);
    h.feed('b').next(chat('2'));
    h.feed('b').complete();
    await runtime.finished;
    expect(h.written('out')).toHaveLength(2);
    expect(h.lifecycle.filter((step) => step.endsWith(' out'))).toEqual(['start out', 'flush out', 'stop out']);
    expect(h.lifecycle.at(-1)).toBe('stop out');
  });

  it('keeps a disabled node validated but never starts it', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
  off: { type: feed, name: off, enabled: false }
sinks:
  out: { type: collect, name: out, inputs: [a, off] }
`),
    );
    expect(h.lifecycle).not.toContain('subscribe off');
    expect(runtime.metrics.get('off')!.status).toBe('disabled');
    h.feed('a').next(chat('x'));
    await until(() => h.written('out').length === 1);
  });

  it('records end-to-end latency at sinks from receivedAt, on the runtime clock', async () => {
    const h = harness();
    const runtime = await startPipeline(
      h.graph(`
version: 1
sources:
  a: { type: feed, name: a }
sinks:
  out: { type: collect, name: out, inputs: [a] }
`),
      { logger: silentLogger(), resources: { baseDir: '.', instance: 'test' }, clock: () => 1000 },
    );
    running.push(runtime);
    h.feed('a').next(chat('x', { receivedAt: 995 }));
    await until(() => h.written('out').length === 1);
    const latency = runtime.metrics.get('out')!.latency.summary();
    expect(latency.count).toBe(1);
    expect(latency.max).toBe(5);
  });
});
