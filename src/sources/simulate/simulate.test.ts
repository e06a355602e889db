import { map, type Observable, take, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import type { ChatEvent } from '../../core/events.js';
import { SimulateConfig } from './config.js';
import { simulateComponent } from './index.js';
import { SourceGate } from '../../pipelines/flow/sourceGate.js';
import { createChatGenerator, simulate } from './simulate.js';
import { BIDI_CONTROLS, HOMOGLYPHS, TAG_CHARACTER, ZERO_WIDTH } from './text.js';

const fixedClocks = { now: () => 1_700_000_000_000, clock: () => 42 };

function generate(config: unknown, n: number): ChatEvent[] {
  const next = createChatGenerator(SimulateConfig.parse(config), fixedClocks);
  return Array.from({ length: n }, () => next());
}

const VALID_COMMAND = [
  /^!cv (cutoff|resonance) (0\.\d\d|1\.00)$/,
  /^!pitch [A-G]#?[2-5]$/,
  /^!vote wobble (\d|[1-9]\d|100)$/,
];
const isValidCommand = (text: string) => VALID_COMMAND.some((re) => re.test(text));

describe('SimulateConfig', () => {
  it('has defaults for everything', () => {
    const config = SimulateConfig.parse({});
    expect(config).toMatchObject({
      rate: { count: 20, periodMs: 1000 },
      users: 200,
      seed: 1,
      platforms: ['twitch', 'youtube', 'kick'],
      channel: 'sim',
      mix: { chat: 50, command: 25, emote: 12, link: 3, caps: 5, unicode: 5 },
      command_noise: 0.1,
    });
    expect(config.count).toBeUndefined();
    expect(config.commands).toContain('!pitch {note}');
  });

  it('accepts rate: max and rejects a malformed rate with a clear message', () => {
    expect(SimulateConfig.parse({ rate: 'max' }).rate).toBe('max');
    expect(SimulateConfig.parse({ rate: '1000000/s' }).rate).toEqual({ count: 1_000_000, periodMs: 1000 });
    const result = SimulateConfig.safeParse({ rate: 'fast' });
    expect(result.error?.issues[0]?.message).toMatch(/Expected a rate such as "20\/s".*or "max"/);
  });

  it('rejects bad command templates, at their index', () => {
    const result = SimulateConfig.safeParse({ commands: ['!ok {1..2}', '!bad {wat}', '!also {5..1}', '!x {'] });
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([
      ['commands', 1],
      ['commands', 2],
      ['commands', 3],
    ]);
  });

  it('needs a user per platform, a non-zero mix, and each platform once', () => {
    expect(SimulateConfig.safeParse({ users: 2 }).error?.issues[0]?.path).toEqual(['users']);
    const zero = { chat: 0, command: 0, emote: 0, link: 0, caps: 0, unicode: 0 };
    expect(SimulateConfig.safeParse({ mix: zero }).success).toBe(false);
    expect(SimulateConfig.safeParse({ platforms: ['twitch', 'twitch'] }).success).toBe(false);
    expect(SimulateConfig.safeParse({ mix: { spam: 1 } }).success).toBe(false);
  });
});

describe('createChatGenerator', () => {
  it('gives the same messages for the same seed', () => {
    expect(generate({ seed: 7 }, 2000)).toEqual(generate({ seed: 7 }, 2000));
  });

  it('gives different messages for different seeds', () => {
    const texts = (seed: number) => generate({ seed }, 200).map((e) => `${e.author.login}: ${e.text}`);
    expect(texts(1)).not.toEqual(texts(2));
  });

  it('makes full chat events with unique ids, stamped by the given clocks', () => {
    const events = generate({ seed: 3 }, 500);
    expect(new Set(events.map((e) => e.id)).size).toBe(500);
    expect(events[0]?.id).toBe('sim-3-1');
    expect(events[499]?.id).toBe('sim-3-500');
    for (const event of events) {
      expect(event).toMatchObject({ kind: 'chat', channel: 'sim', ts: 1_700_000_000_000, receivedAt: 42 });
      expect(typeof event.action).toBe('boolean');
    }
    const next = createChatGenerator(SimulateConfig.parse({}), fixedClocks);
    expect(next(5, 6)).toMatchObject({ ts: 5, receivedAt: 6 });
  });

  it('keeps users stable: one frozen author per platform and login, firstMessage only on the first message', () => {
    const events = generate({ seed: 5, users: 50 }, 3000);
    const byLogin = new Map<string, ChatEvent[]>();
    for (const event of events) {
      const key = `${event.platform}:${event.author.login}`; // the broadcasters share a login
      byLogin.set(key, [...(byLogin.get(key) ?? []), event]);
    }
    expect(byLogin.size).toBeLessThanOrEqual(50);
    expect(byLogin.size).toBeGreaterThan(30);
    for (const messages of byLogin.values()) {
      expect(messages.map((m) => m.firstMessage)).toEqual(messages.map((_, i) => i === 0));
      expect(new Set(messages.map((m) => m.author)).size).toBe(1);
      expect(Object.isFrozen(messages[0]?.author)).toBe(true);
      expect(new Set(messages.map((m) => m.platform)).size).toBe(1);
    }
  });

  it('has a broadcaster per platform, named after the channel, and some mods, VIPs, subscribers and members', () => {
    const next = createChatGenerator(SimulateConfig.parse({ users: 400, channel: 'SynthWave' }), fixedClocks);
    const authors = new Map<string, ChatEvent>();
    for (let i = 0; i < 30_000; i++) {
      const event = next();
      authors.set(`${event.platform}:${event.author.login}`, event);
    }
    const withRole = (role: string) => [...authors.values()].filter((e) => e.author.roles.includes(role as never));
    const broadcasters = withRole('broadcaster');
    expect(broadcasters.map((e) => e.platform).sort()).toEqual(['kick', 'twitch', 'youtube']);
    for (const event of broadcasters) {
      expect(event.author.login).toBe('synthwave');
      expect(event.author.displayName).toBe('SynthWave');
    }
    expect(withRole('mod').length).toBeGreaterThan(2);
    expect(withRole('vip').length).toBeGreaterThan(2);
    expect(withRole('subscriber').length).toBeGreaterThan(30);
    expect(withRole('member').length).toBeGreaterThan(5);
    expect(withRole('member').every((e) => e.platform === 'youtube')).toBe(true);
    expect(withRole('vip').every((e) => e.platform !== 'youtube')).toBe(true);
    const ids = [...authors.values()].map((e) => e.author.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...authors.values()].find((e) => e.platform === 'youtube')?.author.id).toMatch(/^UC[\w-]{22}$/);
  });

  it('uses only the configured platforms', () => {
    const events = generate({ platforms: ['kick'], users: 10 }, 300);
    expect(new Set(events.map((e) => e.platform))).toEqual(new Set(['kick']));
  });

  it('gives emote ranges in code points that point at the emote names', () => {
    const events = generate({ seed: 11, mix: { chat: 0, command: 0, emote: 1, link: 0, caps: 0, unicode: 1 } }, 3000);
    const withEmotes = events.filter((e) => e.emotes.length > 0);
    expect(withEmotes.length).toBeGreaterThan(1500);
    let astral = 0;
    for (const event of withEmotes) {
      const codePoints = [...event.text];
      if (codePoints.length !== event.text.length) astral += 1;
      for (const emote of event.emotes) {
        expect(codePoints.slice(emote.start, emote.end + 1).join('')).toBe(emote.name);
      }
    }
    expect(astral).toBeGreaterThan(20); // emoji before an emote: UTF-16 and code-point offsets differ
  });

  it('mixes in every Unicode trick', () => {
    const texts = generate({ seed: 2, mix: { chat: 0, command: 0, emote: 0, link: 0, caps: 0, unicode: 1 } }, 2000).map(
      (e) => e.text,
    );
    const some = (test: (text: string) => boolean) => texts.filter(test).length;
    expect(some((t) => ZERO_WIDTH.some((zw) => t.includes(zw)))).toBeGreaterThan(50);
    expect(some((t) => Object.values(HOMOGLYPHS).some((h) => t.includes(h)))).toBeGreaterThan(50);
    expect(some((t) => /[\u0300-\u036f]{1,}/.test(t))).toBeGreaterThan(50); // zalgo
    expect(some((t) => BIDI_CONTROLS.some((b) => t.includes(b)))).toBeGreaterThan(50);
    expect(some((t) => /[\uff01-\uff5e]/.test(t))).toBeGreaterThan(50); // full-width
    expect(some((t) => /[\u{1d400}-\u{1d7ff}]/u.test(t))).toBeGreaterThan(50); // mathematical bold
    expect(some((t) => t.includes(TAG_CHARACTER))).toBeGreaterThan(50);
  });

  it('mixes plain chat, commands, emotes, links and caps by the default weights', () => {
    const events = generate({ seed: 9 }, 10_000);
    const share = (test: (e: ChatEvent) => boolean) => events.filter(test).length / events.length;
    expect(share((e) => isValidCommand(e.text))).toBeGreaterThan(0.18);
    expect(share((e) => isValidCommand(e.text))).toBeLessThan(0.28);
    expect(share((e) => e.emotes.length > 0)).toBeGreaterThan(0.1);
    expect(share((e) => /https?:\/\/|www\.|\.gg\/|bit\.ly| \. com| dot /.test(e.text))).toBeGreaterThan(0.02);
    expect(share((e) => /^[A-Z !]{4,}$/.test(e.text))).toBeGreaterThan(0.03);
    expect(events.some((e) => e.action)).toBe(true);
    expect(events.some((e) => e.bits !== undefined && e.text.startsWith(`Cheer${e.bits} `))).toBe(true);
    const reply = events.find((e) => e.replyTo !== undefined);
    expect(reply?.text.startsWith(`@${reply.replyTo?.login} `)).toBe(true);
    expect(events.some((e) => e.id === reply?.replyTo?.id)).toBe(true);
  });

  it('renders command templates, valid without noise and malformed with it', () => {
    const commandsOnly = { chat: 0, command: 1, emote: 0, link: 0, caps: 0, unicode: 0 };
    const clean = generate({ mix: commandsOnly, command_noise: 0 }, 1000).map((e) => e.text);
    expect(clean.every(isValidCommand)).toBe(true);
    expect(new Set(clean.map((t) => t.split(' ')[0]))).toEqual(new Set(['!cv', '!pitch', '!vote']));

    const noisy = generate({ mix: commandsOnly, command_noise: 1 }, 1000).map((e) => e.text);
    expect(noisy.some(isValidCommand)).toBe(false);
    expect(noisy.some((t) => t === t.toUpperCase() && t.startsWith('!CV'))).toBe(true);
    expect(noisy).toContain('!pitch');

    const custom = generate(
      { mix: commandsOnly, command_noise: 0, commands: ['!mode {saw|square}', '!gain {-12..12}'] },
      300,
    ).map((e) => e.text);
    expect(custom.every((t) => /^!mode (saw|square)$|^!gain -?\d{1,2}$/.test(t))).toBe(true);
    expect(custom.some((t) => t.startsWith('!gain -'))).toBe(true);
  });
});

describe('simulate', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('emits at the configured rate and completes after `count`', () => {
    testScheduler.run(({ expectObservable }) => {
      const config = SimulateConfig.parse({ rate: '10/s', count: 3, seed: 4 });
      const expected = '100ms a 99ms b 99ms (c|)';

      expectObservable(simulate(config, testScheduler).pipe(map((e) => e.id))).toBe(expected, {
        a: 'sim-4-1',
        b: 'sim-4-2',
        c: 'sim-4-3',
      });
    });
  });

  it('stamps ts with the due time and receivedAt with the clock', () => {
    testScheduler.run(({ expectObservable }) => {
      const config = SimulateConfig.parse({ rate: '1/2s', count: 2 });
      const clock = () => testScheduler.now() + 0.5;
      const expected = '2s a 1999ms (b|)';

      expectObservable(simulate(config, testScheduler, clock).pipe(map((e) => [e.ts, e.receivedAt]))).toBe(expected, {
        a: [2000, 2000.5],
        b: [4000, 4000.5],
      });
    });
  });

  it('runs until unsubscribed without `count`, and stops its timer then', () => {
    testScheduler.run(({ expectObservable }) => {
      const config = SimulateConfig.parse({ rate: '20/s' });
      const unsub = '   180ms !';
      const expected = '50ms x 49ms x 49ms x';

      expectObservable(simulate(config, testScheduler).pipe(map(() => 'x')), unsub).toBe(expected);
    });
    expect(testScheduler.actions).toHaveLength(0);
  });

  it('emits high rates in batches, at most one turn per millisecond', () => {
    const seen: Array<[number, string]> = [];
    testScheduler.run(() => {
      simulate(SimulateConfig.parse({ rate: '2/ms', count: 5, seed: 1 }), testScheduler).subscribe((e) =>
        seen.push([testScheduler.now(), e.id]),
      );
    });
    expect(seen).toEqual([
      [1, 'sim-1-1'],
      [1, 'sim-1-2'],
      [2, 'sim-1-3'],
      [2, 'sim-1-4'],
      [3, 'sim-1-5'],
    ]);
  });

  it('spreads ts over the batch at the configured rate', () => {
    const ts: number[] = [];
    testScheduler.run(() => {
      simulate(SimulateConfig.parse({ rate: '1000000/s', count: 3000 }), testScheduler).subscribe((e) => ts.push(e.ts));
    });
    expect(ts).toHaveLength(3000);
    expect(ts.filter((t) => t === 0)).toHaveLength(999); // 0.001 ms apart, floored to whole ms
    expect(ts.at(-1)).toBe(3);
  });

  it('with rate: max, emits in chunks of 1000 and yields when a turn has run 4 ms', () => {
    let time = 0;
    const clock = () => {
      time += 5; // every chunk "takes" 5 ms
      return time;
    };
    const receivedAt: number[] = [];
    let completed = false;
    testScheduler.run(() => {
      simulate(SimulateConfig.parse({ rate: 'max', count: 2500 }), testScheduler, clock).subscribe({
        next: (e) => receivedAt.push(e.receivedAt),
        complete: () => {
          completed = true;
        },
      });
    });
    expect(completed).toBe(true);
    expect(receivedAt).toHaveLength(2500);
    expect(new Set(receivedAt).size).toBe(3); // one clock reading per turn: 3 turns of ≤1000
    expect(receivedAt.filter((t) => t === receivedAt[0])).toHaveLength(1000);
  });

  it('with rate: max, stops generating when unsubscribed mid-chunk', () => {
    let generated = 0;
    testScheduler.run(({ expectObservable }) => {
      const result = simulate(SimulateConfig.parse({ rate: 'max' }), testScheduler).pipe(
        tap(() => {
          generated += 1;
        }),
        take(3),
        map(() => 'x'),
      );
      expectObservable(result).toBe('(xxx|)');
    });
    expect(generated).toBe(3);
    expect(testScheduler.actions).toHaveLength(0);
  });

  it('gives every subscription its own generator: the same messages, from the start', () => {
    testScheduler.run(({ expectObservable }) => {
      const source = simulate(SimulateConfig.parse({ rate: '10/s', count: 2, seed: 8 }), testScheduler).pipe(
        map((e) => e.id),
      );
      const expected = '100ms a 99ms (b|)';
      const late = '     50ms ^';
      const lateExpected = '150ms a 99ms (b|)';

      expectObservable(source).toBe(expected, { a: 'sim-8-1', b: 'sim-8-2' });
      expectObservable(source, late).toBe(lateExpected, { a: 'sim-8-1', b: 'sim-8-2' });
    });
  });

  it('reports itself live on subscribe through the component', () => {
    testScheduler.run(({ expectObservable }) => {
      const ctx = testContext({ kind: 'source', type: 'simulate', scheduler: testScheduler });
      const config = simulateComponent.config.parse({ rate: '1/s', count: 1 });
      expectObservable(simulateComponent.create(config, ctx).pipe(map(() => 'x'))).toBe('1s (x|)');
      expect(ctx.healths).toEqual([]);
      testScheduler.flush();
      expect(ctx.healths).toEqual(['live']);
    });
  });

  it('stamps ts from the context\'s wall clock through the component, on the scheduler\'s schedule', () => {
    testScheduler.run(({ expectObservable }) => {
      const wallClock = () => 1_700_000_000_000 + testScheduler.now();
      const ctx = { ...testContext({ kind: 'source', type: 'simulate', scheduler: testScheduler }), wallClock };
      const config = simulateComponent.config.parse({ rate: '1/s', count: 2 });
      expectObservable(simulateComponent.create(config, ctx).pipe(map((e) => (e as ChatEvent).ts))).toBe('1s a 999ms (b|)', {
        a: 1_700_000_001_000,
        b: 1_700_000_002_000,
      });
    });
  });

  it('parses every example', () => {
    for (const example of simulateComponent.examples) {
      expect(SimulateConfig.safeParse(parseYaml(example)).error).toBeUndefined();
    }
  });
});

describe('simulate under backpressure (ctx.flow)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** The runtime's gate, paused at each `p` of `flow$` and resumed at each `r`. */
  function gateDrivenBy(flow$: Observable<string>): SourceGate {
    const gate = new SourceGate(testScheduler);
    flow$.subscribe((v) => gate.set(v === 'p' ? ['history'] : []));
    return gate;
  }

  it('a steady rate emits nothing while paused and picks up where it stopped (the doc example)', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const config = SimulateConfig.parse({ rate: '1/ms', count: 4, seed: 2 });
      const flow = hot('   ---p--r----');
      const flowSubs = '   ^----------';
      const expected = '   -ab---c(d|)';

      const gate = gateDrivenBy(flow);
      const ids = simulate(config, testScheduler, undefined, undefined, undefined, gate).pipe(map((e) => e.id));
      expectObservable(ids).toBe(expected, { a: 'sim-2-1', b: 'sim-2-2', c: 'sim-2-3', d: 'sim-2-4' });
      expectSubscriptions(flow.subscriptions).toBe(flowSubs);
    });
  });

  it('rate: max stops at the first event after the pause, mid-chunk, and goes on at the resume', () => {
    const seen: Array<[number, string]> = [];
    testScheduler.run(() => {
      const gate = new SourceGate(testScheduler);
      simulate(SimulateConfig.parse({ rate: 'max', count: 5, seed: 3 }), testScheduler, undefined, undefined, undefined, gate)
        .pipe(
          tap((e) => {
            // The sink behind fills up with the second message.
            if (e.id === 'sim-3-2') gate.set(['history']);
          }),
        )
        .subscribe((e) => seen.push([testScheduler.now(), e.id]));
      testScheduler.schedule(() => gate.set([]), 7);
    });
    expect(seen).toEqual([
      [0, 'sim-3-1'],
      [0, 'sim-3-2'],
      [7, 'sim-3-3'],
      [7, 'sim-3-4'],
      [7, 'sim-3-5'],
    ]);
  });

  it('unsubscribed while paused: waits for nothing and emits nothing at the resume', () => {
    const gate = new SourceGate(testScheduler);
    testScheduler.run(({ hot, expectObservable }) => {
      const flow = hot('   --p----r--');
      const unsub = '      ----!     ';
      const expected = '   -a--      ';

      flow.subscribe((v) => gate.set(v === 'p' ? ['history'] : []));
      const config = SimulateConfig.parse({ rate: '1/ms', seed: 2 });
      expectObservable(simulate(config, testScheduler, undefined, undefined, undefined, gate).pipe(map(() => 'a')), unsub).toBe(
        expected,
      );
      testScheduler.schedule(() => expect(gate.waiting).toBe(1), 3);
    });
    expect(gate.waiting).toBe(0);
    expect(testScheduler.actions).toHaveLength(0);
  });

  it('the component reads ctx.flow and is declared pausable', () => {
    expect(simulateComponent.pausable).toBe(true);
    const gate = new SourceGate(testScheduler);
    gate.set(['history']);
    const ctx = { ...testContext({ kind: 'source', scheduler: testScheduler }), flow: gate };
    const seen: string[] = [];
    testScheduler.run(() => {
      simulateComponent.create(SimulateConfig.parse({ rate: 'max', count: 2 }), ctx).subscribe((e) => seen.push((e as ChatEvent).id));
      testScheduler.schedule(() => expect(seen).toEqual([]), 5);
      testScheduler.schedule(() => gate.set([]), 6);
    });
    expect(seen).toEqual(['sim-1-1', 'sim-1-2']);
  });
});
