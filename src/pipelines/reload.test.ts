import { Observable, Subject, map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chat } from '../../test/support/events.js';
import { type Sink, defineOperator, defineSink, defineSource } from '../core/component.js';
import type { ChatflowEvent, CommandEvent, ControlEvent } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import type { NodeState } from '../core/nodeState.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { buildRegistry } from '../core/registry.js';
import { controlComponent } from '../operators/control/index.js';
import { buildGraph } from './graph.js';
import { loadText } from './load.js';
import { type PipelineRuntime, startPipeline } from './run.js';

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
  const subscriptions = new Map<string, number>();
  /** The `ctx.state` each `remember` instance was created with, in creation order. */
  const states: NodeState[] = [];

  const named = z.strictObject({ name: z.string().describe('Which feed.') });
  const feedSource = defineSource({
    type: 'feed',
    summary: 'Events pushed by the test; counts its subscriptions.',
    config: named,
    examples: ['name: a'],
    create: (config) =>
      new Observable<ChatflowEvent>((subscriber) => {
        subscriptions.set(config.name, (subscriptions.get(config.name) ?? 0) + 1);
        lifecycle.push(`subscribe ${config.name}`);
        const sub = feed(config.name).subscribe(subscriber);
        return () => {
          lifecycle.push(`unsubscribe ${config.name}`);
          sub.unsubscribe();
        };
      }),
  });
  const tag = defineOperator({
    type: 'tag',
    summary: 'Prefixes chat text with its label.',
    config: z.strictObject({ label: z.string().describe('The prefix.') }),
    examples: ['label: x'],
    create: (config) => {
      if (config.label === 'explode') throw new Error('cannot build');
      return map((event: ChatflowEvent) =>
        event.kind === 'chat' ? { ...event, text: `${config.label}:${event.text}` } : event,
      );
    },
  });
  const remember = defineOperator({
    type: 'remember',
    summary: 'Counts events in ctx.state.',
    config: z.strictObject({ step: z.number().describe('Added per event.') }),
    examples: ['step: 1'],
    create: (config, ctx) => {
      const kept = ctx.state.get('count', () => ({ total: 0 }));
      states.push(ctx.state);
      return map((event: ChatflowEvent) => {
        kept.total += config.step;
        return event.kind === 'chat' ? { ...event, text: `${event.text}#${kept.total}` } : event;
      });
    },
  });
  const route = defineOperator({
    type: 'route',
    summary: 'Sends chat to the port named by its first character, when it has one.',
    config: z.strictObject({ ports: z.array(z.string()).describe('The named ports.') }),
    examples: ['ports: [x]'],
    ports: (config) => config.ports,
    create: () =>
      map((event: ChatflowEvent) => ({ port: event.kind === 'chat' ? (event.text[0] as string) : '', event })),
  });
  const collect = defineSink({
    type: 'collect',
    summary: 'Keeps what it is given.',
    config: named,
    examples: ['name: a'],
    driver: { batchMax: 10 },
    create: (config): Sink => {
      const list = written.get(config.name) ?? [];
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
  const registry = buildRegistry([feedSource], [tag, remember, route, controlComponent], [collect]);
  const graph = (yaml: string): PipelineGraph => {
    const result = buildGraph(loadText(`version: 1\n${yaml}`, { file: 'test.yaml', env: {} }), registry);
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    return result.graph;
  };
  const texts = (name: string) =>
    (written.get(name) ?? []).map((e) => (e.kind === 'chat' ? e.text : `${e.kind}`));
  return { feed, written: (name: string) => written.get(name) ?? [], texts, lifecycle, graph, subscriptions, states };
}

const running: PipelineRuntime[] = [];
async function start(graph: PipelineGraph, fuse = true): Promise<PipelineRuntime> {
  const runtime = await startPipeline(graph, {
    logger: silentLogger(),
    resources: { baseDir: '.', instance: 'test' },
    fuse,
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

const send = (h: ReturnType<typeof harness>, name: string, from: number, to: number) => {
  for (let i = from; i < to; i++) h.feed(name).next(chat(String(i), { id: `${name}-${i}` }));
};

/** source a → first (tag) → middle (tag, label given) → last (tag) → sink out. */
const line = (label: string) => `
sources:
  a: { type: feed, name: a }
operators:
  first: { type: tag, label: f, inputs: [a] }
  middle: { type: tag, label: ${label}, inputs: [first] }
  last: { type: tag, label: l, inputs: [middle] }
sinks:
  out: { type: collect, name: out, inputs: [last] }
`;

describe('PipelineRuntime.reload', () => {
  it('never re-subscribes an unchanged source across three reloads', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m1')));
    const withExtra = `${line('m2')}  extra: { type: collect, name: extra, inputs: [a] }\n`;
    for (const next of [line('m2'), withExtra, line('m3')]) {
      const report = await runtime.reload(h.graph(next));
      expect(report.unchanged).toContain('a');
      expect(report.restarted).not.toContain('a');
    }
    send(h, 'a', 0, 3);
    await until(() => h.texts('out').length === 3);
    expect(h.subscriptions.get('a')).toBe(1);
    expect(h.lifecycle.filter((l) => l === 'subscribe a' || l === 'unsubscribe a')).toEqual(['subscribe a']);
    expect(h.texts('out')).toEqual(['l:m3:f:0', 'l:m3:f:1', 'l:m3:f:2']);
  });

  it.each([true, false])(
    'rebuilds a changed operator in the middle while events flow, each reaching the sink exactly once (fuse: %s)',
    async (fuse) => {
      const h = harness();
      const runtime = await start(h.graph(line('m0')), fuse);
      for (let round = 0; round < 5; round++) {
        send(h, 'a', round * 100, round * 100 + 50);
        const reloaded = runtime.reload(h.graph(line(`m${round + 1}`)));
        // Sent after the reload was asked for but before it applies: still the old operator's.
        send(h, 'a', round * 100 + 50, round * 100 + 100);
        await reloaded;
      }
      send(h, 'a', 500, 510);
      await until(() => h.texts('out').length >= 510);
      await runtime.stop();
      // Every event exactly once, in order, through the middle operator running when it arrived
      // (what the sink held in its buffer across each reload included).
      const generation = (i: number) => Math.min(Math.floor(i / 100), 5);
      expect(h.texts('out')).toEqual(Array.from({ length: 510 }, (_, i) => `l:m${generation(i)}:f:${i}`));
      expect(h.lifecycle.filter((l) => l === 'start out')).toHaveLength(1);
      expect(h.subscriptions.get('a')).toBe(1);
      expect(runtime.snapshot().find((s) => s.id === 'middle')?.eventsIn).toBe(510);
    },
  );

  it('flushes and stops a removed sink, and drops it from the metrics', async () => {
    const h = harness();
    const both = `${line('m')}  gone: { type: collect, name: gone, inputs: [a] }\n`;
    const runtime = await start(h.graph(both));
    // Three events are fewer than a batch: the sink holds them until its drain writes them.
    send(h, 'a', 0, 3);
    const report = await runtime.reload(h.graph(line('m')));
    expect(report.removed).toEqual(['gone']);
    expect(h.texts('gone')).toEqual(['0', '1', '2']);
    expect(h.lifecycle).toEqual(expect.arrayContaining(['flush gone', 'stop gone']));
    expect(h.lifecycle.indexOf('stop gone')).toBeGreaterThan(h.lifecycle.indexOf('flush gone'));
    expect(runtime.metrics.has('gone')).toBe(false);
    expect(runtime.snapshot().map((s) => s.id)).not.toContain('gone');
    expect(runtime.graph.nodes.has('gone')).toBe(false);
    send(h, 'a', 3, 5);
    await until(() => h.texts('out').length === 5);
    expect(h.texts('gone')).toHaveLength(3);
  });

  it('rebuilds a changed sink: the old one writes what it held, the new one the rest, none twice', async () => {
    const h = harness();
    const to = (name: string) => `
sources:
  a: { type: feed, name: a }
sinks:
  out: { type: collect, name: ${name}, inputs: [a] }
`;
    const runtime = await start(h.graph(to('one')));
    send(h, 'a', 0, 3);
    const reloaded = runtime.reload(h.graph(to('two')));
    send(h, 'a', 3, 4);
    const report = await reloaded;
    expect(report).toMatchObject({ changed: ['out'], restarted: ['out'], lostInRetiredSinks: 0 });
    send(h, 'a', 4, 6);
    await until(() => h.texts('two').length === 2);
    expect(h.texts('one')).toEqual(['0', '1', '2', '3']);
    expect(h.texts('two')).toEqual(['4', '5']);
    // The new sink starts while the old one drains.
    const life = h.lifecycle.filter((l) => !l.includes('subscribe'));
    expect([...life].sort()).toEqual(['flush one', 'start one', 'start two', 'stop one']);
    expect(life.indexOf('flush one')).toBeLessThan(life.indexOf('stop one'));
    expect(runtime.snapshot().find((s) => s.id === 'out')?.eventsIn).toBe(6);
  });

  it('starts an added sink, which receives what comes after the reload', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m')));
    send(h, 'a', 0, 2);
    const report = await runtime.reload(h.graph(`${line('m')}  late: { type: collect, name: late, inputs: [middle] }\n`));
    expect(report.added).toEqual(['late']);
    send(h, 'a', 2, 4);
    await until(() => h.texts('late').length === 2 && h.texts('out').length === 4);
    expect(h.texts('late')).toEqual(['m:f:2', 'm:f:3']);
    expect(h.texts('out')).toEqual(['l:m:f:0', 'l:m:f:1', 'l:m:f:2', 'l:m:f:3']);
    expect(runtime.snapshot().find((s) => s.id === 'late')?.eventsIn).toBe(2);
  });

  it('moves a rewired sink to its new input without restarting it', async () => {
    const h = harness();
    const two = (input: string) => `
sources:
  a: { type: feed, name: a }
  b: { type: feed, name: b }
sinks:
  out: { type: collect, name: out, inputs: [${input}] }
`;
    const runtime = await start(h.graph(two('a')));
    send(h, 'a', 0, 1);
    const report = await runtime.reload(h.graph(two('b')));
    expect(report.rewired).toEqual(['out']);
    expect(report.restarted).toEqual([]);
    send(h, 'a', 1, 2);
    send(h, 'b', 5, 6);
    await until(() => h.texts('out').length === 2);
    expect(h.texts('out')).toEqual(['0', '5']);
    expect(h.lifecycle.filter((l) => l.startsWith('start') || l.startsWith('stop'))).toEqual(['start out']);
  });

  it('gives a changed node the same NodeState and metrics when it is rebuilt', async () => {
    const h = harness();
    const counted = (step: number) => `
sources:
  a: { type: feed, name: a }
operators:
  count: { type: remember, step: ${step}, inputs: [a] }
sinks:
  out: { type: collect, name: out, inputs: [count] }
`;
    const runtime = await start(h.graph(counted(1)));
    send(h, 'a', 0, 2);
    const report = await runtime.reload(h.graph(counted(10)));
    expect(report.changed).toEqual(['count']);
    send(h, 'a', 2, 3);
    await until(() => h.texts('out').length === 3);
    expect(h.states).toHaveLength(2);
    expect(h.states[1]).toBe(h.states[0]);
    expect(h.texts('out')).toEqual(['0#1', '1#2', '2#12']);
    expect(runtime.snapshot().find((s) => s.id === 'count')?.eventsIn).toBe(3);
  });

  it('reports settings that need a restart and applies the rest', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m1')));
    const moved = `server: { listen: '127.0.0.1:9090' }\nresources: { redis: { url: 'redis://secret@host:6379' } }\n${line('m2')}`;
    const report = await runtime.reload(h.graph(moved));
    expect(report.needsRestart).toEqual([
      { setting: 'server.listen', from: '127.0.0.1:8080', to: '127.0.0.1:9090' },
      { setting: 'resources.redis.url' },
    ]);
    expect(report.changed).toEqual(['middle']);
    send(h, 'a', 0, 1);
    await until(() => h.texts('out').length === 1);
    expect(h.texts('out')).toEqual(['l:m2:f:0']);
  });

  it('does nothing for an identical graph', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m')));
    const before = [...h.lifecycle];
    const next = h.graph(line('m'));
    const report = await runtime.reload(next);
    expect(report).toMatchObject({
      applied: true,
      unchanged: ['a', 'first', 'last', 'middle', 'out'],
      changed: [],
      rewired: [],
      added: [],
      removed: [],
      restarted: [],
      needsRestart: [],
    });
    expect(h.lifecycle).toEqual(before);
    expect(runtime.graph).toBe(next);
  });

  it('stops a removed source and rewires its consumer onto the one that replaces it', async () => {
    const h = harness();
    const from = (source: string) => `
sources:
  ${source}: { type: feed, name: ${source} }
sinks:
  out: { type: collect, name: out, inputs: [${source}] }
`;
    const runtime = await start(h.graph(from('a')));
    send(h, 'a', 0, 1);
    const report = await runtime.reload(h.graph(from('b')));
    expect(report).toMatchObject({ added: ['b'], removed: ['a'], rewired: ['out'] });
    send(h, 'a', 1, 2);
    send(h, 'b', 2, 3);
    await until(() => h.texts('out').length === 2);
    expect(h.texts('out')).toEqual(['0', '2']);
    expect(h.lifecycle).toContain('unsubscribe a');
    expect(h.lifecycle.filter((l) => l.startsWith('stop') || l.startsWith('flush'))).toEqual([]);
  });
});

describe('PipelineRuntime.reload, more changes', () => {
  const counted = (middle: string) => `
sources:
  a: { type: feed, name: a }
operators:
  middle: ${middle}
  last: { type: tag, label: l, inputs: [middle] }
sinks:
  out: { type: collect, name: out, inputs: [last] }
`;

  it.each([true, false])(
    'replaces a node whose type changed, with fresh metrics, its consumers moved to it (fuse: %s)',
    async (fuse) => {
      const h = harness();
      const runtime = await start(h.graph(counted('{ type: tag, label: m, inputs: [a] }')), fuse);
      send(h, 'a', 0, 2);
      const report = await runtime.reload(h.graph(counted('{ type: remember, step: 1, inputs: [a] }')));
      expect(report.changed).toEqual(['middle']);
      send(h, 'a', 2, 3);
      await until(() => h.texts('out').length === 3);
      expect(h.texts('out')).toEqual(['l:m:0', 'l:m:1', 'l:2#1']);
      const middle = runtime.snapshot().find((s) => s.id === 'middle');
      expect(middle).toMatchObject({ type: 'remember', eventsIn: 1 });
      expect(runtime.snapshot().find((s) => s.id === 'last')?.eventsIn).toBe(3);
    },
  );

  it.each([true, false])(
    'brings back consumers that ended when a node disabled at start is enabled (fuse: %s)',
    async (fuse) => {
      const h = harness();
      const toggled = (enabled: boolean) => counted(`{ type: tag, label: m, enabled: ${enabled}, inputs: [a] }`);
      const runtime = await start(h.graph(toggled(false)), fuse);
      // Disabled at start, `middle` ended its consumers: the sink drained and stopped.
      await until(() => h.lifecycle.includes('stop out'));
      const report = await runtime.reload(h.graph(toggled(true)));
      expect(report.changed).toEqual(['middle']);
      expect(report.restarted).toEqual(['last', 'middle', 'out']);
      send(h, 'a', 0, 2);
      await until(() => h.texts('out').length === 2);
      expect(h.texts('out')).toEqual(['l:m:0', 'l:m:1']);
      expect(h.subscriptions.get('a')).toBe(1);
      expect(runtime.snapshot().find((s) => s.id === 'last')?.status).toBe('running');
    },
  );

  it('rebuilds a ported operator with other ports, keeping the consumers of the ports it still has', async () => {
    const h = harness();
    const routed = (ports: string, extra = '') => `
sources:
  a: { type: feed, name: a }
operators:
  r: { type: route, ports: [${ports}], inputs: [a] }
sinks:
  xs: { type: collect, name: xs, inputs: [r.x] }
${extra}`;
    const runtime = await start(h.graph(routed('x, y')));
    h.feed('a').next(chat('x1', { id: '1' }));
    const report = await runtime.reload(h.graph(routed('x, z', '  zs: { type: collect, name: zs, inputs: [r.z] }')));
    expect(report).toMatchObject({ changed: ['r'], added: ['zs'], unchanged: ['a', 'xs'] });
    h.feed('a').next(chat('x2', { id: '2' }));
    h.feed('a').next(chat('z1', { id: '3' }));
    h.feed('a').next(chat('y1', { id: '4' }));
    await until(() => h.texts('xs').length === 2 && h.texts('zs').length === 1);
    expect(h.texts('xs')).toEqual(['x1', 'x2']);
    expect(h.texts('zs')).toEqual(['z1']);
    expect(runtime.snapshot().find((s) => s.id === 'r')?.dropped['unknown_port:y']?.count).toBe(1);
    expect(h.lifecycle.filter((l) => l.startsWith('start') || l.startsWith('stop'))).toEqual(['start xs', 'start zs']);
  });

  it.each([true, false])(
    'keeps a tap on a node rebuilt by a reload: events after the reload still reach it (fuse: %s)',
    async (fuse) => {
      const h = harness();
      const runtime = await start(h.graph(line('m0')), fuse);
      const seen: string[] = [];
      const tap = runtime.tap('middle', '', (e) => seen.push(e.kind === 'chat' ? e.text : e.kind));
      send(h, 'a', 0, 2);
      await until(() => seen.length === 2);
      const report = await runtime.reload(h.graph(line('m1')));
      expect(report.changed).toEqual(['middle']);
      send(h, 'a', 2, 4);
      await until(() => h.texts('out').length === 4 && seen.length === 4);
      expect(seen).toEqual(['m0:f:0', 'm0:f:1', 'm1:f:2', 'm1:f:3']);
      expect(tap.dropped).toBe(0);
      // The tap is not a consumer: what the sink got is unchanged, and the node counts no drop.
      expect(h.texts('out')).toEqual(['l:m0:f:0', 'l:m0:f:1', 'l:m1:f:2', 'l:m1:f:3']);
      expect(runtime.snapshot().find((s) => s.id === 'middle')?.dropped).toEqual({});
      tap.close();
      send(h, 'a', 4, 5);
      await until(() => h.texts('out').length === 5);
      expect(seen).toHaveLength(4);
    },
  );

  it('keeps a tap on a node a reload removes, and hears it again once a later reload adds it back', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m0')));
    const seen: string[] = [];
    runtime.tap('middle', '', (e) => seen.push(e.kind === 'chat' ? e.text : e.kind));
    const without = line('m0').replace(/ {2}middle:.*\n/, '').replace('inputs: [middle]', 'inputs: [first]');
    expect((await runtime.reload(h.graph(without))).removed).toEqual(['middle']);
    send(h, 'a', 0, 1);
    await until(() => h.texts('out').length === 1);
    expect((await runtime.reload(h.graph(line('m1')))).added).toEqual(['middle']);
    send(h, 'a', 1, 2);
    await until(() => h.texts('out').length === 2 && seen.length === 1);
    expect(seen).toEqual(['m1:f:1']);
  });

  it('keeps a tap on a named port of a ported operator rebuilt with other ports', async () => {
    const h = harness();
    const routed = (ports: string) => `
sources:
  a: { type: feed, name: a }
operators:
  r: { type: route, ports: [${ports}], inputs: [a] }
sinks:
  xs: { type: collect, name: xs, inputs: [r.x] }
`;
    const runtime = await start(h.graph(routed('x, y')));
    const seen: string[] = [];
    runtime.tap('r', 'x', (e) => seen.push(e.kind === 'chat' ? e.text : e.kind));
    h.feed('a').next(chat('x1', { id: '1' }));
    h.feed('a').next(chat('y1', { id: '2' }));
    await runtime.reload(h.graph(routed('x, z')));
    h.feed('a').next(chat('x2', { id: '3' }));
    h.feed('a').next(chat('z1', { id: '4' }));
    await until(() => h.texts('xs').length === 2 && seen.length === 2);
    expect(seen).toEqual(['x1', 'x2']);
  });

  it('refuses a tap on a node or port the graph does not have', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m0')));
    expect(() => runtime.tap('nope', '', () => {})).toThrow('Node "nope" has no port ""');
    expect(() => runtime.tap('middle', 'x', () => {})).toThrow('Node "middle" has no port "x"');
  });

  it('reports a node that fails to build, applies the rest, and builds it on the next reload', async () => {
    const h = harness();
    const runtime = await start(h.graph(line('m')));
    const broken = `${line('explode')}  late: { type: collect, name: late, inputs: [a] }\n`;
    const report = await runtime.reload(h.graph(broken));
    expect(report.failed).toContainEqual({ node: 'middle', error: 'cannot build' });
    expect(report.added).toEqual(['late']);
    expect(runtime.snapshot().find((s) => s.id === 'middle')).toMatchObject({ status: 'failed', errors: 1 });
    send(h, 'a', 0, 1);
    await until(() => h.texts('late').length === 1);
    const fixed = await runtime.reload(h.graph(`${line('m2')}  late: { type: collect, name: late, inputs: [a] }\n`));
    expect(fixed.failed).toEqual([]);
    send(h, 'a', 1, 2);
    await until(() => h.texts('out').length === 1 && h.texts('late').length === 2);
    expect(h.texts('out')).toEqual(['l:m2:f:1']);
    expect(h.subscriptions.get('a')).toBe(1);
  });

  it('silences a node disabled by a reload without ending its consumers, and hears it again once enabled', async () => {
    const h = harness();
    const toggled = (enabled: boolean) => counted(`{ type: tag, label: m, enabled: ${enabled}, inputs: [a] }`);
    const runtime = await start(h.graph(toggled(true)), false);
    send(h, 'a', 0, 1);
    await runtime.reload(h.graph(toggled(false)));
    expect(runtime.snapshot().find((s) => s.id === 'middle')?.status).toBe('disabled');
    send(h, 'a', 1, 2);
    await runtime.reload(h.graph(toggled(true)));
    send(h, 'a', 2, 3);
    await until(() => h.texts('out').length === 2);
    expect(h.texts('out')).toEqual(['l:m:0', 'l:m:2']);
    expect(h.lifecycle.filter((l) => l.startsWith('start') || l.startsWith('stop'))).toEqual(['start out']);
  });
});

describe('PipelineRuntime.reload with control', () => {
  const controlGraph = (cutoff: string, pitch?: string) => `
sources:
  a: { type: feed, name: a }
operators:
  cv: { type: control, inputs: [a], variables: { cutoff: ${cutoff}${pitch ? `, pitch: ${pitch}` : ''} } }
sinks:
  out: { type: collect, name: out, inputs: [cv] }
`;
  const command = (name: string, value: number): CommandEvent => {
    const c = chat(`!${name} ${value}`, { user: 'viewer' });
    return { kind: 'command', name, args: { value }, chat: c, receivedAt: c.receivedAt };
  };
  const controls = (h: ReturnType<typeof harness>) =>
    h.written('out').filter((e): e is ControlEvent => e.kind === 'control');

  it('keeps the values of variables whose range did not change, defaults the one whose range did, resets a removed one', async () => {
    const h = harness();
    const runtime = await start(
      h.graph(controlGraph('{ range: [0, 1], default: 0.5 }', '{ range: [-5, 5], default: 0, input: raw }')),
    );
    await until(() => controls(h).length === 2);
    h.feed('a').next(command('cutoff', 0.8));
    h.feed('a').next(command('pitch', 3));
    await until(() => controls(h).length === 4);
    const report = await runtime.reload(
      h.graph(controlGraph('{ range: [0, 1], default: 0.2, slew: 0ms }', '{ range: [-2, 2], default: 1, input: raw }')),
    );
    expect(report.changed).toEqual(['cv']);
    await until(() => controls(h).length === 5);
    // Only the variable whose range changed is sent again, from its (new) default.
    expect(controls(h)[4]).toMatchObject({ variable: 'pitch', value: 1, origin: 'default' });
    h.feed('a').next(command('cutoff', 1));
    await until(() => controls(h).length === 6);
    expect(controls(h)[5]).toMatchObject({ variable: 'cutoff', value: 1, previous: 0.8, origin: 'command' });
    expect(controls(h).filter((e) => e.variable === 'cutoff' && e.origin === 'default')).toHaveLength(1);
    // A variable taken out of the file is sent its safe default once, and nothing else moves.
    await runtime.reload(h.graph(controlGraph('{ range: [0, 1], default: 0.2 }')));
    h.feed('a').next(command('cutoff', 0.5));
    await until(() => controls(h).length === 8);
    expect(controls(h).slice(6)).toMatchObject([
      { variable: 'pitch', value: 1, origin: 'retired' },
      { variable: 'cutoff', value: 0.5, previous: 1, origin: 'command' },
    ]);
  });
});
