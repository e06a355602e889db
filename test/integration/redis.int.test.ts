/**
 * `redis_state`, `restore: true` and `throttle` with `scope: redis` against a real redis-server
 * started by the embedded launcher: state and eviction, pub/sub, resync after a Redis restart,
 * and one bucket shared by two runtimes. How long the event loop stalls during a resync, and
 * OSC's pace during an outage, are measured by `npm run bench redis-outage`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { from, Subject, VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Routed } from '../../src/core/component.js';
import type { ChatflowEvent, CommandEvent, ControlEvent } from '../../src/core/events.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { Services } from '../../src/core/services.js';
import { RESTORED_VARIABLES } from '../../src/core/variables.js';
import { DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../../src/core/sinkDriverConfig.js';
import { control, ControlConfig } from '../../src/operators/control/index.js';
import { cooldown, CooldownConfig } from '../../src/operators/cooldown/index.js';
import { RedisCooldownStore } from '../../src/operators/cooldown/redisStore.js';
import { throttle, ThrottleConfig } from '../../src/operators/throttle/index.js';
import { RedisBucketStore } from '../../src/operators/throttle/redisStore.js';
import { type EmbeddedServer, freePort, startEmbeddedRedis } from '../../src/resources/embedded.js';
import { createRedis, whenReady } from '../../src/resources/redisClient.js';
import {
  readStoredVariables,
  RedisStateConfig,
  RedisStateSink,
  redisStateComponent,
} from '../../src/sinks/redisState.js';
import { writeBatches } from '../../src/pipelines/sinkDriver/writeBatches.js';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { openStorage } from '../../src/resources/storage.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { testContext } from '../support/context.js';
import { chat } from '../support/events.js';
import { chatflow } from '../support/cli.js';
import { udpReceiver } from './oscSupport.js';
import { redisOutagePipeline } from '../fixtures/redisOutage.js';

let dir: string;
let server: EmbeddedServer;
let redis: Redis;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatflow-redis-test-'));
  server = await startEmbeddedRedis(join(dir, 'redis'), { persist: false });
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await redis.flushall();
});

function cv(variable: string, value: number, ts = Date.now()): ControlEvent {
  return { kind: 'control', variable, value, previous: 0, origin: 'command', ts, receivedAt: performance.now(), by: { login: 'ann', platform: 'twitch' } };
}

function newSink(config: Partial<RedisStateConfig> = {}, url = server.url): RedisStateSink {
  return new RedisStateSink('state', RedisStateConfig.parse(config), {
    client: () => createRedis(url, 'chatflow-test-state'),
    instance: 'test-1',
    clock: () => performance.now(),
    now: Date.now,
  });
}

/** Epoch ms of a Redis `TIME` reply (seconds, microseconds): the clock of its throttle buckets. */
const redisMs = ([seconds, micros]: readonly (string | number)[]): number =>
  Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);

const until = async (check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('redis_state', () => {
  it('stores variables (value, who, when), evicts the least recently set, keeps system state, publishes changes', async () => {
    const sub = new Redis(server.url);
    const published: string[] = [];
    await sub.subscribe('chatflow:control');
    sub.on('message', (_channel, message: string) => published.push(message));

    const sink = newSink({ max_variables: 3 });
    await sink.start();
    const pause: CommandEvent = {
      kind: 'command',
      name: 'cv',
      args: { subcommand: 'pause' },
      chat: chat('!cv pause', { user: 'modder', roles: ['mod'], ts: 42 }),
      receivedAt: 0,
    };
    await sink.write([cv('a', 0.1, 1), cv('b', 0.2, 2), cv('c', 0.3, 3), cv('a', 0.4, 4), cv('d', 0.5, 5), pause]);
    await sink.stop();

    const vars = await redis.hgetall('chatflow:variables');
    expect(Object.keys(vars).sort()).toEqual(['a', 'c', 'd']);
    expect(JSON.parse(vars.a as string)).toMatchObject({ value: 0.4, by: { login: 'ann', platform: 'twitch' }, at: 4 });
    expect(await redis.zrange('chatflow:variables:lru', '0', '-1')).toEqual(['c', 'a', 'd']);
    expect(sink.evicted).toBe(1);
    const state = await redis.hgetall('chatflow:state');
    expect(state.paused).toBe('1');
    expect(JSON.parse(state.last_command as string)).toMatchObject({ name: 'cv', by: { login: 'modder' }, at: 42 });
    expect(Number(state.latency_ms)).toBeGreaterThanOrEqual(0);
    await until(() => published.length === 5);
    expect(JSON.parse(published[0] as string)).toMatchObject({ variable: 'a', value: 0.1 });
    sub.disconnect();
  });

  it('resyncs the latest value per variable after Redis restarts, events flowing all along', async () => {
    const port = freePort();
    const own = await startEmbeddedRedis(join(dir, 'own'), { persist: false, port: await port });
    const sink = newSink({}, own.url);
    const metrics = new NodeMetrics('state', 'sink', 'redis_state');
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...redisStateComponent.driver };
    const driver = writeBatches(sink, settings, { metrics, keyOf: (e) => sink.keyOf(e) });
    const input = new Subject<ChatflowEvent>();
    const done = driver.run(input);
    let i = 0;
    const flow = setInterval(() => {
      i += 1;
      input.next(cv(`v${i % 5}`, i, i));
    }, 5);
    await until(() => metrics.out('').value > 20);
    await own.stop();
    // The outage as the sink sees it: failed writes, while the events keep coming.
    await until(() => metrics.errors > 0);
    const sentBeforeRestart = i + 50;
    await until(() => i >= sentBeforeRestart);
    const during = metrics.errors;
    const restarted = await startEmbeddedRedis(join(dir, 'own'), { persist: false, port: own.port });
    const sentAfterRestart = i + 50;
    await until(() => i >= sentAfterRestart);
    clearInterval(flow);
    const lastSent = i;
    const check = new Redis(restarted.url);
    await until(async () => {
      const v = await check.hgetall('chatflow:variables');
      return Object.keys(v).length === 5 && Object.values(v).some((j) => JSON.parse(j).value === lastSent);
    });
    const stored = await check.hgetall('chatflow:variables');
    for (let k = 0; k < 5; k++) {
      const newest = Math.max(...Array.from({ length: lastSent }, (_, n) => n + 1).filter((n) => n % 5 === k));
      expect(JSON.parse(stored[`v${k}`] as string).value).toBe(newest);
    }
    input.complete();
    await done;
    check.disconnect();
    await restarted.stop();
    expect(during).toBeGreaterThan(0);
    expect(metrics.totalDropped(true)).toBe(0);
  });

  it('writes the whole current state again when Redis restarts empty, never-changed defaults included', async () => {
    const own = await startEmbeddedRedis(join(dir, 'reseed'), { persist: false, port: await freePort() });
    const sink = newSink({}, own.url);
    const metrics = new NodeMetrics('state', 'sink', 'redis_state');
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...redisStateComponent.driver };
    const driver = writeBatches(sink, settings, { metrics, keyOf: (e) => sink.keyOf(e) });
    const input = new Subject<ChatflowEvent>();
    const done = driver.run(input);
    // The real `control`: both defaults at start, then a viewer moves cutoff; wobble never changes.
    const scheduler = new VirtualTimeScheduler();
    const viewer: CommandEvent = {
      kind: 'command',
      name: 'cv',
      args: { name: 'cutoff', value: 0.8 },
      chat: chat('!cv cutoff 0.8', { user: 'ann' }),
      receivedAt: 0,
    };
    const pause: CommandEvent = {
      kind: 'command',
      name: 'cv',
      args: { subcommand: 'pause' },
      chat: chat('!cv pause', { user: 'modder', roles: ['mod'] }),
      receivedAt: 0,
    };
    const cvConfig = ControlConfig.parse({
      variables: { cutoff: { range: [0, 1], default: 0.5 }, wobble: { range: [0, 1], default: 0.25 } },
    });
    from([viewer])
      .pipe(control(cvConfig, { scheduler }))
      .subscribe((e) => input.next(e));
    scheduler.flush();
    input.next(pause);
    const check = new Redis(own.url, { maxRetriesPerRequest: 1 });
    check.on('error', () => {});
    const everythingStored = async () => {
      const vars = await check.hgetall('chatflow:variables').catch(() => ({}) as Record<string, string>);
      const state = await check.hgetall('chatflow:state').catch(() => ({}) as Record<string, string>);
      return (
        vars.cutoff !== undefined &&
        JSON.parse(vars.cutoff).value === 0.8 &&
        vars.wobble !== undefined &&
        JSON.parse(vars.wobble).value === 0.25 &&
        JSON.parse(vars.wobble).origin === 'default' &&
        state.paused === '1'
      );
    };
    let restarted: EmbeddedServer | undefined;
    try {
      await until(everythingStored);
      await check.set('sentinel', '1');
      // Redis restarts without persistence, and nothing changes meanwhile or after.
      await own.stop();
      restarted = await startEmbeddedRedis(join(dir, 'reseed'), { persist: false, port: own.port });
      await until(everythingStored);
      expect(await check.exists('sentinel')).toBe(0); // it did come back empty
      expect(sink.reseeded).toBe(1);
      expect((await check.zrange('chatflow:variables:lru', '0', '-1')).sort()).toEqual(['cutoff', 'wobble']);
    } finally {
      input.complete();
      await done;
      check.disconnect();
      await (restarted ?? own).stop();
    }
    expect(metrics.totalDropped(true)).toBe(0);
  });

  it('re-seeding leaves a newer value (another instance wrote it) and a present state field as they are', async () => {
    const client = createRedis(server.url, 'chatflow-test-seed');
    try {
      await whenReady(client, 2000);
      await client.setVariable('chatflow:variables', 'chatflow:variables:lru', 'cutoff', '{"value":2}', 20, 10);
      await client.seedVariable('chatflow:variables', 'chatflow:variables:lru', 'cutoff', '{"value":1}', 10, 10);
      await client.seedVariable('chatflow:variables', 'chatflow:variables:lru', 'wobble', '{"value":3}', 10, 10);
      expect(await redis.hgetall('chatflow:variables')).toEqual({ cutoff: '{"value":2}', wobble: '{"value":3}' });
      await client.seedVariable('chatflow:variables', 'chatflow:variables:lru', 'cutoff', '{"value":4}', 30, 10);
      expect(await redis.hget('chatflow:variables', 'cutoff')).toBe('{"value":4}');
    } finally {
      client.disconnect();
    }
  });

  it('a Redis outage never pauses OSC, and the state resyncs when Redis is back', async () => {
    const own = await startEmbeddedRedis(join(dir, 'outage'), { persist: false, port: await freePort() });
    const synth = await udpReceiver();
    const yaml = redisOutagePipeline(own.url, synth.port);
    const built = buildGraph(loadText(yaml, { file: 'p.yaml', env: {} }), defaultRegistry());
    if (!built.graph) throw new Error(built.issues.map((i) => i.message).join('; '));
    const runtime = await startPipeline(built.graph, {
      logger: silentLogger(),
      resources: { baseDir: dir, instance: 'test-1', redis: { url: own.url } },
    });
    const check = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    check.on('error', () => {});
    try {
      const stateErrors = () => runtime.metrics.get('state')?.errors ?? 0;
      /** OSC messages that arrive while `phase` runs. */
      const datagramsWhile = async (phase: () => Promise<void>) => {
        const before = synth.datagrams.length;
        await phase();
        return synth.datagrams.length - before;
      };
      const aWhile = () => new Promise<void>((r) => setTimeout(r, 500));
      await until(() => synth.datagrams.length > 20);
      const beforeOutage = await datagramsWhile(aWhile);
      await own.stop();
      // From the state sink's first failed write, through a while of Redis being down.
      await until(() => stateErrors() > 0);
      const duringOutage = await datagramsWhile(aWhile);
      const errorsInOutage = stateErrors();
      const restarted = await startEmbeddedRedis(join(dir, 'outage'), { persist: false, port: own.port });
      try {
        const afterOutage = await datagramsWhile(aWhile);
        // The show went on in every phase while the state sink could not write (its pace:
        // `npm run bench redis-outage`).
        expect(errorsInOutage).toBeGreaterThan(0);
        expect(beforeOutage).toBeGreaterThan(0);
        expect(duringOutage).toBeGreaterThan(0);
        expect(afterOutage).toBeGreaterThan(0);
        // Redis holds the newest value of each variable again, the one OSC sent last. Read
        // after the stop (both sinks drained the same events; a snapshot taken while the source
        // still ran missed the values sent after it), less the safe defaults the osc sink sends
        // at its stop, once per address, last.
        await runtime.stop();
        const sent = synth.messages();
        const showEnd = sent.length - new Set(sent.map((m) => m.address)).size;
        expect(new Map(sent.slice(showEnd).map((m) => [m.address, Number(m.values[0])]))).toEqual(
          new Map([
            ['/cv/cutoff', 0.5],
            ['/cv/wobble', 0],
          ]),
        );
        const lastSent = new Map<string, number>();
        for (const m of sent.slice(0, showEnd)) lastSent.set(m.address.replace('/cv/', ''), Number(m.values[0]));
        await check.connect();
        const stored = await check.hgetall('chatflow:variables');
        for (const name of ['cutoff', 'wobble']) {
          expect(JSON.parse(stored[name] as string).value).toBeCloseTo(lastSent.get(name) as number, 5);
        }
        expect(runtime.metrics.get('synth')?.totalDropped(true)).toBe(0);
      } finally {
        check.disconnect();
        await restarted.stop();
      }
    } finally {
      await runtime.stop();
      await synth.close();
    }
  });

  it("stamps the state's updated_at with the context's wall clock", async () => {
    const base = testContext({ kind: 'sink', type: 'redis_state' });
    const ctx = { ...base, wallClock: () => 1_234_567, resources: { ...base.resources, redis: { url: server.url } } };
    const sink = redisStateComponent.create(RedisStateConfig.parse({}), ctx) as RedisStateSink;
    await sink.start();
    const pause: CommandEvent = {
      kind: 'command',
      name: 'cv',
      args: { subcommand: 'pause' },
      chat: chat('!cv pause', { user: 'modder', roles: ['mod'], ts: 42 }),
      receivedAt: 0,
    };
    await sink.write([pause]);
    await sink.stop();
    expect(await redis.hget('chatflow:state', 'updated_at')).toBe('1234567');
  });

  it('restore: control starts from the stored values instead of its defaults', async () => {
    const sink = newSink();
    await sink.start();
    await sink.write([cv('cutoff', 0.8), cv('reso', 7)]);
    await sink.stop();
    const stored = await readStoredVariables(server.url, 'chatflow:');
    expect([...stored]).toEqual(expect.arrayContaining([['cutoff', 0.8], ['reso', 7]]));

    const config = ControlConfig.parse({
      variables: { cutoff: { range: [0, 1], default: 0.5 }, reso: { range: [0, 1], default: 0.1 } },
    });
    const out: ControlEvent[] = [];
    const sub = new Subject<ChatflowEvent>().pipe(control(config, { initial: stored })).subscribe((e) => out.push(e));
    sub.unsubscribe();
    expect(out.map((e) => [e.variable, e.value, e.origin])).toEqual([
      ['cutoff', 0.8, 'restore'],
      ['reso', 0.1, 'default'], // 7 is outside reso's range: ignored
    ]);
  });
});

describe('openStorage', () => {
  it('with a redis_state restore: true, hands the stored values to the runtime and needs no Postgres', async () => {
    const sink = newSink({ prefix: 'show:' });
    await sink.start();
    await sink.write([cv('cutoff', 0.25)]);
    await sink.stop();
    const yaml = `version: 1
resources: { redis: { url: "${server.url}" } }
sources:
  demo: { type: simulate, rate: 1/s }
operators:
  cmds: { type: parse_command, inputs: [demo], commands: { cv: { args: [name, "value:number(0..1)"] } } }
  cv: { type: control, inputs: [cmds.cv], variables: { cutoff: { range: [0, 1], default: 0.5 } } }
sinks:
  state: { type: redis_state, inputs: [cv], prefix: "show:", restore: true }
`;
    const built = buildGraph(loadText(yaml, { file: 'p.yaml', env: {} }), defaultRegistry());
    if (!built.graph) throw new Error(built.issues.map((i) => i.message).join('; '));
    const storage = await openStorage(built.graph, { baseDir: dir, logger: silentLogger() });
    try {
      expect(storage.resources.redis).toEqual({ url: server.url });
      expect(storage.resources.postgres).toBeUndefined();
      expect([...(new Services(storage.provided).get(RESTORED_VARIABLES) ?? [])]).toEqual([['cutoff', 0.25]]);
    } finally {
      await storage.close();
    }
  });
});

describe('chatflow run with restore: true', () => {
  it('starts the control variables from what Redis holds, through the CLI', async () => {
    const sink = newSink({ prefix: 'cli:' });
    await sink.start();
    await sink.write([cv('cutoff', 0.25)]);
    await sink.stop();
    const file = join(dir, 'restore.yaml');
    const out = join(dir, 'restore-changes.jsonl');
    await writeFile(
      file,
      `version: 1
server: { listen: "127.0.0.1:0" }
resources: { redis: { url: "${server.url}" }, postgres: { url: "off" } }
sources:
  demo: { type: simulate, rate: 1/s }
operators:
  cmds: { type: parse_command, inputs: [demo], commands: { cv: { args: [name, "value:number(0..1)"] } } }
  cv: { type: control, inputs: [cmds.cv], variables: { cutoff: { range: [0, 1], default: 0.5 }, drift: { range: [0, 1], default: 0.1 } } }
sinks:
  state: { type: redis_state, inputs: [cv], prefix: "cli:", restore: true }
  changes: { type: file, inputs: [cv], path: "${out}" }
`,
    );
    const run = chatflow(['run', file, '--quiet']);
    const lines = async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    try {
      await until(async () => (await lines()).length >= 2, 20_000);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.finished).code).toBe(0);
    const first = (await lines()).slice(0, 2).map((l) => JSON.parse(l) as ControlEvent);
    expect(first.map((e) => [e.variable, e.value, e.origin])).toEqual([
      ['cutoff', 0.25, 'restore'],
      ['drift', 0.1, 'default'],
    ]);
  });
});

describe('throttle with scope: redis', () => {
  const config = (extra: Record<string, unknown> = {}) =>
    ThrottleConfig.parse({ rate: '10/s', burst: 5, per: 'global', scope: 'redis', ...extra });

  it('two runtimes sharing one bucket never exceed its rate together', async () => {
    let passed = 0;
    // The window in the bucket's own clock, Redis's: from before the first take to the last
    // take (the bucket's `at`), so every event let through is inside it.
    const windowStart = redisMs(await redis.time());
    const runtimes = [0, 1].map(() => {
      const input = new Subject<ChatflowEvent>();
      const completed = new Promise<void>((complete) => {
        input
          .pipe(throttle(config(), { store: (l) => new RedisBucketStore(server.url, 'chatflow:throttle:shared:', l) }))
          .subscribe({
            next: (r: Routed) => {
              if (r.port === '') passed += 1;
            },
            complete,
          });
      });
      return { input, completed };
    });
    let n = 0;
    // 750 ticks of at least 2 ms (a timer never fires early): at least 1.5 s of offers.
    await new Promise<void>((resolveFlow) => {
      let ticks = 0;
      const timer = setInterval(() => {
        for (const r of runtimes) r.input.next(chat(`!cv ${n}`, { id: `t${n++}` }));
        ticks += 1;
        if (ticks === 750) {
          clearInterval(timer);
          resolveFlow();
        }
      }, 2);
    });
    // Completion waits for every answer of the store.
    for (const r of runtimes) r.input.complete();
    await Promise.all(runtimes.map((r) => r.completed));
    const buckets = await redis.keys('chatflow:throttle:shared:*');
    expect(buckets).toHaveLength(1);
    const windowEnd = Number(await redis.hget(buckets[0] as string, 'at'));
    const windowS = (windowEnd - windowStart) / 1000;
    expect(n).toBe(1500);
    expect(windowS).toBeGreaterThanOrEqual(1.5);
    // burst + rate·t, plus one token of rounding at the window's edge.
    expect(passed).toBeLessThanOrEqual(5 + Math.ceil(10 * windowS) + 1);
    expect(passed).toBeGreaterThanOrEqual(5 + 10);
  });

  it('while Redis is down: allow lets events through, deny drops them as redis_down', async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const run = async (onDown: 'allow' | 'deny') => {
      const metrics = new NodeMetrics('fair', 'operator', 'throttle');
      const out: Routed[] = [];
      const input = new Subject<ChatflowEvent>();
      const sub = input
        .pipe(
          throttle(config({ on_redis_down: onDown }), {
            drops: metrics,
            store: (l) => new RedisBucketStore(deadUrl, 'chatflow:throttle:x:', l),
          }),
        )
        .subscribe((r) => out.push(r));
      for (let k = 0; k < 20; k++) input.next(chat(`m${k}`, { id: `d${k}` }));
      await until(() => out.length + metrics.totalDropped() === 20);
      sub.unsubscribe();
      return { passed: out.length, dropped: metrics.snapshot().dropped };
    };
    expect(await run('allow')).toEqual({ passed: 20, dropped: {} });
    expect(await run('deny')).toEqual({ passed: 0, dropped: { redis_down: { count: 20, intentional: false } } });
  });
});

describe('cooldown with scope: redis', () => {
  it('two runtimes share one cooldown per key: one passes, the rest cool with one reply, then the key passes again', async () => {
    const config = CooldownConfig.parse({ duration: '400ms', per: 'user', scope: 'redis', exempt_roles: [] });
    const outs: Routed[][] = [[], []];
    const metrics = [new NodeMetrics('cd', 'operator', 'cooldown'), new NodeMetrics('cd', 'operator', 'cooldown')];
    const inputs = metrics.map((drops, r) => {
      const input = new Subject<ChatflowEvent>();
      input
        .pipe(cooldown(config, { drops, shared: () => new RedisCooldownStore(server.url, 'chatflow:cooldown:cd:') }))
        .subscribe((o) => outs[r]?.push(o));
      return input;
    });
    for (let k = 0; k < 10; k++) inputs[k % 2]?.next(chat(`!cv ${k}`, { id: `cd${k}`, user: 'bob' }));
    const all = () => [...(outs[0] ?? []), ...(outs[1] ?? [])];
    await until(() => (metrics[0]?.totalDropped() ?? 0) + (metrics[1]?.totalDropped() ?? 0) === 9);
    expect(all().filter((o) => o.port === '')).toHaveLength(1);
    expect(all().filter((o) => o.port === '_cooling')).toHaveLength(1);
    expect(await redis.pttl('chatflow:cooldown:cd:twitch:bob')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 450));
    inputs[1]?.next(chat('!cv again', { id: 'cd-again', user: 'bob' }));
    await until(() => all().filter((o) => o.port === '').length === 2);
    for (const input of inputs) input.complete();
  });
});

