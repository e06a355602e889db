import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { type Observable, type OperatorFunction, take, tap, VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../test/support/context.js';
import { type PipelineError, SourceFatalError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import type { SourceFlow } from '../core/flow.js';
import { SourceGate } from '../pipelines/flow/sourceGate.js';
import { ReplayConfig, replay, replayComponent } from './replay.js';
import { createChatGenerator, SimulateConfig } from './simulate/index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/replay/', import.meta.url));
const CLOCK_BASE = 1_000_000;

interface Played {
  /** Virtual time of each emission, and the event. */
  readonly emitted: Array<{ readonly at: number; readonly event: ChatflowEvent }>;
  readonly completed: boolean;
  readonly error: unknown;
  readonly ctx: ReturnType<typeof testContext>;
  readonly logs: Array<Record<string, unknown>>;
  readonly scheduler: VirtualTimeScheduler;
}

/**
 * Subscribes to a replay on a virtual-time scheduler and alternates between letting the file
 * reader run (real I/O) and flushing virtual time, until the stream ends.
 */
async function play(
  config: unknown,
  options: {
    pipe?: OperatorFunction<ChatflowEvent, ChatflowEvent>;
    baseDir?: string;
    /** Backpressure (ctx.flow), made on the test's scheduler. */
    flow?: (scheduler: VirtualTimeScheduler) => SourceFlow;
  } = {},
): Promise<Played> {
  const scheduler = new VirtualTimeScheduler();
  const logs: Array<Record<string, unknown>> = [];
  const base = testContext({ kind: 'source', type: 'replay', scheduler, baseDir: options.baseDir ?? FIXTURES });
  const ctx = {
    ...base,
    logger: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
    clock: () => CLOCK_BASE + scheduler.now(),
    ...(options.flow ? { flow: options.flow(scheduler) } : {}),
  };
  const emitted: Array<{ at: number; event: ChatflowEvent }> = [];
  let completed = false;
  let error: unknown;
  let source: Observable<ChatflowEvent> = replay(ReplayConfig.parse(config), ctx);
  if (options.pipe) source = source.pipe(options.pipe);
  const subscription = source.subscribe({
    next: (event) => emitted.push({ at: scheduler.now(), event }),
    complete: () => {
      completed = true;
    },
    error: (err: unknown) => {
      error = err;
    },
  });
  // File reads finish on libuv's thread pool in real time, so wait by the clock, not by turns.
  const deadline = performance.now() + 10_000;
  while (!completed && error === undefined && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
    scheduler.flush();
  }
  subscription.unsubscribe();
  return { emitted, completed, error, ctx: base, logs, scheduler };
}

const times = (played: Played) => played.emitted.map((e) => e.at);
const ids = (played: Played) =>
  played.emitted.map(({ event }) => ('id' in event ? event.id : event.kind === 'command' ? event.chat.id : event.kind));

describe('replay', () => {
  it('replays chat at its recorded pace and completes', async () => {
    const played = await play({ path: 'basic.jsonl' });
    expect(played.error).toBeUndefined();
    expect(played.completed).toBe(true);
    expect(ids(played)).toEqual(['a', 'b', 'c']);
    expect(times(played)).toEqual([0, 100, 250]);
  });

  it('scales the pace by `speed`', async () => {
    expect(times(await play({ path: 'basic.jsonl', speed: 2 }))).toEqual([0, 50, 125]);
    expect(times(await play({ path: 'basic.jsonl', speed: 0.5 }))).toEqual([0, 200, 500]);
  });

  it('does not wait at all with speed 0 or max', async () => {
    expect(times(await play({ path: 'basic.jsonl', speed: 0 }))).toEqual([0, 0, 0]);
    expect(times(await play({ path: 'mixed.jsonl', speed: 'max' }))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('times chat and platform events by ts, the rest by receivedAt; never backwards', async () => {
    const played = await play({ path: 'mixed.jsonl' });
    expect(played.emitted.map(({ event }) => event.kind)).toEqual([
      'chat',
      'platform',
      'command',
      'control',
      'chat',
      'chat',
    ]);
    // raid +300 (ts), command +50 and control +5 (receivedAt), chat +645 (receivedAt), late chat +0.
    expect(times(played)).toEqual([0, 300, 350, 355, 1000, 1000]);
  });

  it('cuts long silences to `max_gap`', async () => {
    expect(times(await play({ path: 'basic.jsonl', max_gap: '60ms' }))).toEqual([0, 60, 120]);
    expect(times(await play({ path: 'basic.jsonl', max_gap: '60ms', speed: 2 }))).toEqual([0, 30, 60]);
  });

  it('gives every event a fresh receivedAt (its chat too) and keeps the recorded ts', async () => {
    const played = await play({ path: 'mixed.jsonl' });
    for (const { at, event } of played.emitted) {
      expect(event.receivedAt).toBe(CLOCK_BASE + at);
    }
    const command = played.emitted[2]?.event;
    expect(command?.kind === 'command' && command.chat.receivedAt).toBe(CLOCK_BASE + 350);
    expect(played.emitted[0]?.event).toMatchObject({ kind: 'chat', ts: 1718000000000, text: 'hello from youtube' });
  });

  it('loops with ids made unique per pass', async () => {
    const played = await play({ path: 'basic.jsonl', loop: true }, { pipe: take(7) });
    expect(ids(played)).toEqual(['a', 'b', 'c', 'a#2', 'b#2', 'c#2', 'a#3']);
    expect(times(played)).toEqual([0, 100, 250, 250, 350, 500, 500]);
    expect(played.completed).toBe(true);
  });

  it("suffixes a command's chat id on later passes", async () => {
    const played = await play({ path: 'mixed.jsonl', loop: true, speed: 'max' }, { pipe: take(9) });
    expect(ids(played)).toEqual(['m1', 'r1', 'c1', 'control', 'm5', 'm6', 'm1#2', 'r1#2', 'c1#2']);
  });

  it('skips malformed lines, counts them as unintentional drops and warns once with their line numbers', async () => {
    const played = await play({ path: 'malformed.jsonl' });
    expect(played.completed).toBe(true);
    expect(ids(played)).toEqual(['ok1', 'ok2', 'ok3']);
    expect(times(played)).toEqual([0, 50, 80]);
    expect(played.ctx.metrics.snapshot().dropped).toEqual({ malformed_line: { count: 5, intentional: false } });
    const warnings = played.logs.filter((log) => log.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: 'Replay skipped malformed lines.',
      malformed: 5,
      lines: [2, 4, 6, 7, 8],
      path: join(FIXTURES, 'malformed.jsonl'),
    });
  });

  it('counts malformed lines on every pass of a loop but warns only once', async () => {
    const played = await play({ path: 'malformed.jsonl', loop: true }, { pipe: take(7) });
    expect(ids(played)).toEqual(['ok1', 'ok2', 'ok3', 'ok1#2', 'ok2#2', 'ok3#2', 'ok1#3']);
    expect(played.ctx.metrics.snapshot().dropped.malformed_line?.count).toBeGreaterThanOrEqual(10);
    expect(played.logs.filter((log) => log.level === 40)).toHaveLength(1);
  });

  it('stops looping over a file without a single event', async () => {
    const played = await play({ path: 'only-malformed.jsonl', loop: true });
    expect(played.completed).toBe(true);
    expect(played.emitted).toEqual([]);
    expect(played.logs.map((log) => log.msg)).toEqual([
      'Replay skipped malformed lines.',
      'Replay file holds no events to loop over; stopping.',
    ]);
  });

  it('completes at once on an empty file', async () => {
    const played = await play({ path: 'empty.jsonl' });
    expect(played.completed).toBe(true);
    expect(played.emitted).toEqual([]);
    expect(played.logs).toEqual([]);
  });

  it('errors with a SourceFatalError naming the path when the file is missing', async () => {
    const played = await play({ path: 'no/such/file.jsonl' });
    expect(played.error).toBeInstanceOf(SourceFatalError);
    const error = played.error as PipelineError;
    expect(error.code).toBe('ERR_SOURCE_FATAL');
    expect(error.node).toBe('node');
    expect(error.message).toBe(`Replay file not found: ${join(FIXTURES, 'no/such/file.jsonl')}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('errors with a SourceFatalError when the path cannot be read', async () => {
    const played = await play({ path: '.' });
    expect(played.error).toBeInstanceOf(SourceFatalError);
    expect((played.error as Error).message).toMatch(/^Replay file could not be (read|opened): /);
  });

  it('reports connecting, then live once the file is open', async () => {
    const played = await play({ path: 'basic.jsonl' });
    expect(played.ctx.healths).toEqual(['connecting', 'live']);
  });

  it('accepts an absolute path', async () => {
    const played = await play({ path: join(FIXTURES, 'basic.jsonl') }, { baseDir: '/nonexistent' });
    expect(ids(played)).toEqual(['a', 'b', 'c']);
  });

  it('holds back while paused by a congested sink and keeps the spacing after the resume', async () => {
    let gate: SourceGate | undefined;
    let clock: VirtualTimeScheduler | undefined;
    const played = await play(
      { path: 'basic.jsonl' },
      {
        flow: (scheduler) => {
          clock = scheduler;
          gate = new SourceGate(scheduler);
          return gate;
        },
        // The sink behind is congested by a (at 0) until 400 ms: b, due at 100, waits.
        pipe: tap((event) => {
          if ('id' in event && event.id === 'a') {
            gate?.set(['history']);
            clock?.schedule(() => gate?.set([]), 400);
          }
        }),
      },
    );
    expect(played.completed).toBe(true);
    expect(ids(played)).toEqual(['a', 'b', 'c']);
    expect(times(played)).toEqual([0, 400, 550]);
    expect(gate?.flowSnapshot()).toMatchObject({ paused: false, pausedMs: 400, pauses: 1 });
  });

  it('with speed max, stops at the event that congested the sink and goes on at the resume', async () => {
    let gate: SourceGate | undefined;
    let clock: VirtualTimeScheduler | undefined;
    const played = await play(
      { path: 'basic.jsonl', speed: 'max' },
      {
        flow: (scheduler) => {
          clock = scheduler;
          gate = new SourceGate(scheduler);
          return gate;
        },
        pipe: tap((event) => {
          if ('id' in event && event.id === 'a') {
            gate?.set(['history']);
            clock?.schedule(() => gate?.set([]), 30);
          }
        }),
      },
    );
    expect(ids(played)).toEqual(['a', 'b', 'c']);
    expect(times(played)).toEqual([0, 30, 30]);
  });

  it('is declared pausable', () => {
    expect(replayComponent.pausable).toBe(true);
  });

  it('stops reading and timing when unsubscribed early', async () => {
    const played = await play({ path: 'basic.jsonl', loop: true }, { pipe: take(2) });
    expect(ids(played)).toEqual(['a', 'b']);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(played.scheduler.actions).toHaveLength(0);
  });

  describe('with a large recording', () => {
    let dir: string;
    const count = 5000;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'chatflow-replay-'));
      let ts = 1_718_000_000_000;
      const next = createChatGenerator(SimulateConfig.parse({ seed: 3 }), { now: () => ts++, clock: () => 0 });
      const lines = Array.from({ length: count }, () => JSON.stringify(next()));
      await writeFile(join(dir, 'big.jsonl'), `${lines.join('\n')}\n`);
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('streams every event through, in order, past the read-ahead limit', async () => {
      const played = await play({ path: 'big.jsonl' }, { baseDir: dir });
      expect(played.completed).toBe(true);
      expect(played.emitted).toHaveLength(count);
      expect(ids(played)).toEqual(Array.from({ length: count }, (_, i) => `sim-3-${i + 1}`));
      expect(times(played).at(-1)).toBe(count - 1); // 1 ms apart as recorded
    });

    it('replays simulate output unchanged apart from receivedAt', async () => {
      const played = await play({ path: 'big.jsonl', speed: 'max' }, { baseDir: dir });
      let ts = 1_718_000_000_000;
      const next = createChatGenerator(SimulateConfig.parse({ seed: 3 }), { now: () => ts++, clock: () => 0 });
      const first = played.emitted[0]?.event;
      expect(first).toEqual({ ...next(), receivedAt: CLOCK_BASE });
    });
  });
});

describe('ReplayConfig', () => {
  it('has defaults', () => {
    expect(ReplayConfig.parse({ path: 'x.jsonl' })).toEqual({ path: 'x.jsonl', speed: 1, loop: false });
  });

  it('rejects a negative or unknown speed with a clear message', () => {
    expect(ReplayConfig.safeParse({ path: 'x', speed: -1 }).error?.issues[0]?.message).toMatch(/>=0/);
    expect(ReplayConfig.safeParse({ path: 'x', speed: 'fast' }).error?.issues[0]?.message).toMatch(/or "max"/);
  });

  it('needs a path and rejects unknown keys', () => {
    expect(ReplayConfig.safeParse({}).success).toBe(false);
    expect(ReplayConfig.safeParse({ path: 'x', repeat: true }).success).toBe(false);
  });

  it('parses every example', () => {
    for (const example of replayComponent.examples) {
      expect(ReplayConfig.safeParse(parseYaml(example)).error).toBeUndefined();
    }
  });
});
