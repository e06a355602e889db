import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { from, lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandEvent, ModerationEvent, Role, Verdict } from '../../core/events.js';
import { PipelineError } from '../../core/errors.js';
import { NodeMetrics } from '../../core/metrics.js';
import { defaultRegistry } from '../../components.js';
import { validatePipeline } from '../../pipelines/graph.js';
import { MODERATE_PORTS, ModerateConfig, moderate, moderateComponent } from './index.js';

const config = (raw: Record<string, unknown>): ModerateConfig => ModerateConfig.parse(raw);
const pass = (event: ChatflowEvent): Routed => ({ port: MODERATE_PORTS.clean, event });
const verdict = (c: ChatEvent, v: Verdict, reasons: string[], points = 0): Routed => {
  const event: ModerationEvent = { kind: 'moderation', verdict: v, reasons, points, chat: c, receivedAt: c.receivedAt };
  return { port: MODERATE_PORTS.flagged, event };
};
const by = (user: string, text: string, extra: { roles?: Role[]; firstMessage?: boolean; originalText?: string } = {}) =>
  chat(text, { user, ...extra });

const WORDS = { words: { list: ['badword'] } };

describe('moderate', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('as an RxJS operator', () => {
    const a = by('ann', 'hello');
    const b = by('bob', 'badword');
    const c = by('cid', 'nice stream');
    const k: CommandEvent = { kind: 'command', name: 'cv', args: {}, chat: b, receivedAt: 0 };
    const values = { a, b, c, k };
    const routed = { x: pass(a), y: verdict(b, 'delete', ['banned_word'], 2), z: pass(c), w: pass(k) };

    it('passes clean chat and other events on `clean`, caught chat on `flagged`', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-k-|', values);
        const sourceSubs = '  ^--------!';
        const expected = '    -x-y-z-w-|';

        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler }))).toBe(expected, routed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('never emits for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' -', values);
        const sourceSubs = '   ^';
        const expected = '     -';

        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' |', values);
        const sourceSubs = '   (^!)';
        const expected = '     |';

        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards an error', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b#', values);
        const sourceSubs = '  ^---!';
        const expected = '    -x-y#';

        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler }))).toBe(expected, routed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps going with an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a 60m b-c-', values);
        const sourceSubs = '  ^';
        const expected = '    -x 60m y-z-';

        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler }))).toBe(expected, routed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-|', values);
        const sourceSubs = '  ^--!    ';
        const unsub = '       ---!    ';
        const expected = '    -x-     ';

        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler })), unsub).toBe(
          expected,
          routed,
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('gives every subscription its own state', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        // Repetition: the second "hello" of a subscription is caught, whatever the other saw.
        const source = cold(' -a-a-|', values);
        const sourceSubs = [' ^----!', ' --^----!'];
        const first = '       -x-r-|';
        const second = '      ---x-r-|';
        const moderated = source.pipe(
          moderate(config({ repetition: { count: 2, window: '1m' } }), { scheduler: testScheduler }),
        );
        const out = { x: pass(a), r: verdict(a, 'delete', ['repetition'], 1) };

        expectObservable(moderated).toBe(first, out);
        expectObservable(moderated, '--^').toBe(second, out);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('drops a malformed event as `error` and goes on', () => {
      const metrics = new NodeMetrics('mod', 'operator', 'moderate');
      const broken = { ...a, author: undefined } as unknown as ChatEvent;
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('-e-a-|', { e: broken, a });
        expectObservable(source.pipe(moderate(config(WORDS), { scheduler: testScheduler, metrics }))).toBe(
          '---x-|',
          routed,
        );
      });
      expect(metrics.snapshot().dropped.error).toEqual({ count: 1, intentional: false });
    });
  });

  describe('rules over time', () => {
    it('escalates with points that decay by half-life', () => {
      const alice = (text: string) => by('alice', text);
      const [a, b, c, d] = [alice('badword'), alice('badword!'), alice('b4dword'), alice('badw0rd')];
      const e = by('eve', 'badword');
      const policy = config({
        words: { list: ['badword'], action: 'flag', points: 2 },
        escalation: { half_life: '1m', delete: 3, timeout: 5, ban: 7 },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  a 59999ms b 59999ms cde', { a, b, c, d, e });
        const expected = '    p 59999ms q 59999ms rst';
        expectObservable(source.pipe(moderate(policy, { scheduler: testScheduler }))).toBe(expected, {
          p: verdict(a, 'flag', ['banned_word'], 2), // 2
          q: verdict(b, 'delete', ['banned_word'], 3), // 2 halved + 2
          r: verdict(c, 'delete', ['banned_word'], 3.5), // 3 halved + 2
          s: verdict(d, 'timeout', ['banned_word'], 5.5), // 3.5 (1 ms later) + 2
          t: verdict(e, 'flag', ['banned_word'], 2), // someone else starts at 0
        });
      });
    });

    it('catches repeats within the window only', () => {
      const [a, b, c, d] = ['spam me', 'spam  me!', 'spam me', 'spam me'].map((t) => by('sam', t)) as [
        ChatEvent,
        ChatEvent,
        ChatEvent,
        ChatEvent,
      ];
      const policy = config({ repetition: { count: 3, window: '10s' } });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  abc 10s d', { a, b, c, d });
        const expected = '    xyz 10s w';
        expectObservable(source.pipe(moderate(policy, { scheduler: testScheduler }))).toBe(expected, {
          x: pass(a),
          y: pass(b),
          z: verdict(c, 'delete', ['repetition'], 1),
          w: pass(d),
        });
      });
    });

    it('does not count repeated commands as repetition, unless told to', async () => {
      const run = async (ignore: boolean) =>
        lastValueFrom(
          from([by('sam', '!cv cutoff 1'), by('sam', '!cv cutoff 1')]).pipe(
            moderate(config({ repetition: { count: 2, ignore_commands: ignore } }), {
              scheduler: new VirtualTimeScheduler(),
            }),
            toArray(),
          ),
        );
      expect((await run(true)).map((r) => r.port)).toEqual(['clean', 'clean']);
      expect((await run(false)).map((r) => r.port)).toEqual(['clean', 'flagged']);
    });

    it('catches copypasta from several users, not the first copies', () => {
      const text = 'this is the copypasta everyone is sending right now';
      const [a, b, c] = ['u1', 'u2', 'u3'].map((u) => by(u, text)) as [ChatEvent, ChatEvent, ChatEvent];
      const d = by('u4', 'THIS is the copypasta everyone is sending right now!!');
      const e = by('u5', 'a completely different message about the synth');
      const policy = config({ copypasta: { users: 3, window: '1m' } });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  abcde', { a, b, c, d, e });
        const expected = '    vwxyz';
        expectObservable(source.pipe(moderate(policy, { scheduler: testScheduler }))).toBe(expected, {
          v: pass(a),
          w: pass(b),
          x: verdict(c, 'delete', ['copypasta'], 1),
          y: verdict(d, 'delete', ['copypasta'], 1),
          z: pass(e),
        });
      });
    });

    it('lets a permitted user post links for the permit duration', () => {
      const a = by('bob', 'see example.com');
      const p = by('mia', '!permit @Bob', { roles: ['mod'] });
      const b = by('bob', 'example dot com');
      const c = by('bob', 'example.com again');
      const v = by('val', '!permit bob');
      const policy = config({ links: { permit: { duration: '60s' } } });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  a-p-b 60s c-v', { a, p, b, c, v });
        const expected = '    x---y 60s z-w';
        expectObservable(source.pipe(moderate(policy, { scheduler: testScheduler }))).toBe(expected, {
          x: verdict(a, 'delete', ['links'], 1),
          y: pass(b),
          z: verdict(c, 'delete', ['links'], 1),
          w: pass(v), // a viewer cannot permit: an ordinary message
        });
      });
    });

    it('turns strict mode on during a spike of first-time chatters, and off after its duration', () => {
      const first = (user: string) => by(user, 'hi', { firstMessage: true });
      const [f1, f2, f3] = [first('n1'), first('n2'), first('n3')];
      const loud = by('reg', 'HELLO THERE friend'); // 62 % capitals
      const logs: string[] = [];
      const logger = pino(
        { level: 'info' },
        new Writable({
          write(chunk, _enc, done) {
            logs.push(JSON.parse(String(chunk)).msg);
            done();
          },
        }),
      );
      const metrics = new NodeMetrics('mod', 'operator', 'moderate');
      const policy = config({
        caps: { max_ratio: 0.7 },
        flood: { first_timers: 3, window: '10s', duration: '1m', multiplier: 0.5 },
      });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  l-abc-l 1m l', { a: f1, b: f2, c: f3, l: loud });
        const expected = '    x-abc-y 1m x';
        expectObservable(source.pipe(moderate(policy, { scheduler: testScheduler, metrics, logger }))).toBe(expected, {
          a: pass(f1),
          b: pass(f2),
          c: pass(f3),
          x: pass(loud),
          y: verdict(loud, 'flag', ['caps'], 1),
        });
      });
      const snapshot = metrics.snapshot();
      expect(snapshot.counts).toMatchObject({ strict_mode_on: 1, strict_mode_off: 1, moderated_caps: 1, verdict_flag: 1 });
      expect(snapshot.gauges).toEqual({ strict_mode: 0 });
      expect(logs).toEqual(['Strict mode on: a spike of first-time chatters.', 'Strict mode off.']);
    });

    it('holds first-time chatters to stricter limits', () => {
      const loud = 'HELLO THERE friend';
      const a = by('new', loud, { firstMessage: true });
      const b = by('old', loud);
      const policy = config({ caps: {}, first_time: { multiplier: 0.5 } });
      testScheduler.run(({ hot, expectObservable }) => {
        expectObservable(hot('ab', { a, b }).pipe(moderate(policy, { scheduler: testScheduler }))).toBe('xy', {
          x: verdict(a, 'flag', ['caps'], 1),
          y: pass(b),
        });
      });
    });

    it('treats unseen authors as first-time after the warm-up', () => {
      const loud = 'HELLO THERE friend';
      const [a, b] = [by('early', loud), by('late', loud)];
      const policy = config({ caps: {}, first_time: { multiplier: 0.5, unseen: true, warmup: '1m' } });
      testScheduler.run(({ hot, expectObservable }) => {
        expectObservable(hot('a 1m b', { a, b }).pipe(moderate(policy, { scheduler: testScheduler }))).toBe('x 1m y', {
          x: pass(a),
          y: verdict(b, 'flag', ['caps'], 1),
        });
      });
    });

    it('nukes recent and upcoming messages holding a phrase, on every platform, for its duration', () => {
      const old = chat('buy my stuff now', { user: 'v1', platform: 'kick' });
      const older = chat('my stuff', { user: 'v2', ts: 0 });
      const mine = by('mia', 'my stuff is mods only', { roles: ['mod'] });
      const n = by('mia', '!nuke my stuff 30s', { roles: ['mod'] });
      const next = chat('MY STUFF again', { user: 'v3', platform: 'youtube' });
      const other = by('v4', 'nice synth');
      const later = by('v5', 'my stuff after the nuke');
      const policy = config({ nuke: { lookback: '10s' } });
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  o 10s ambn 10s x-y 30s l', { o: older, a: old, m: mine, b: old, n, x: next, y: other, l: later });
        const expected = '    p 10s qrs(tu) 9997ms v-w 30s z';
        expectObservable(source.pipe(moderate(policy, { scheduler: testScheduler }))).toBe(expected, {
          p: pass(older),
          q: pass(old),
          r: pass(mine),
          s: pass(old),
          // The look-back (10 s) reaches both copies of `old`, not `older` (11 s ago) nor a mod.
          t: verdict(old, 'delete', ['nuke']),
          u: verdict(old, 'delete', ['nuke']),
          v: verdict(next, 'delete', ['nuke']),
          w: pass(other),
          z: pass(later),
        });
      });
    });

    it('in shadow mode, reports what it would do but lets everything through', () => {
      const a = by('ann', 'badword');
      const b = by('bob', 'hello');
      const metrics = new NodeMetrics('mod', 'operator', 'moderate');
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  a---b', { a, b });
        const expected = '    (fc)y';
        expectObservable(
          source.pipe(moderate(config({ ...WORDS, shadow: true }), { scheduler: testScheduler, metrics })),
        ).toBe(expected, {
          f: verdict(a, 'allow', ['banned_word', 'shadow', 'would_delete'], 2),
          c: pass(a),
          y: pass(b),
        });
      });
      expect(metrics.snapshot().counts).toEqual({ moderated_banned_word: 1, verdict_delete: 1, shadowed: 1 });
    });

    it('with `on_flag: pass`, flagged messages also go to `clean`', () => {
      const a = by('ann', 'WHY IS EVERYONE SHOUTING');
      testScheduler.run(({ hot, expectObservable }) => {
        expectObservable(
          hot('a', { a }).pipe(moderate(config({ caps: {}, on_flag: 'pass' }), { scheduler: testScheduler })),
        ).toBe('(fc)', { f: verdict(a, 'flag', ['caps'], 1), c: pass(a) });
      });
    });

    it('exempts roles per rule', () => {
      const m = by('mia', 'badword example.com', { roles: ['mod'] });
      const v = by('vic', 'badword example.com', { roles: ['vip'] });
      const policy = config({ words: { list: ['badword'], exempt: ['mod', 'vip'] }, links: 'block' });
      testScheduler.run(({ hot, expectObservable }) => {
        expectObservable(hot('mv', { m, v }).pipe(moderate(policy, { scheduler: testScheduler }))).toBe('xy', {
          x: pass(m),
          y: verdict(v, 'delete', ['links'], 1),
        });
      });
    });
  });

  describe('shape rules', () => {
    const run = async (policy: Record<string, unknown>, events: ChatEvent[]) =>
      lastValueFrom(
        from(events).pipe(moderate(config(policy), { scheduler: new VirtualTimeScheduler() }), toArray()),
      );
    const reasonsOf = (out: Routed[]) =>
      out.map((r) => (r.event.kind === 'moderation' ? r.event.reasons.join('+') : 'clean'));

    it('catches caps, symbols, zalgo (on the original text), emotes and length', async () => {
      const emote = (i: number) => ({ id: `e${i}`, start: i * 3, end: i * 3 + 1 });
      const out = await run({ caps: {}, symbols: {}, zalgo: {}, emotes: { max: 3 }, length: { max: 25 } }, [
        chat('THIS IS REALLY LOUD'),
        chat('OK LUL'),
        chat('$$$ !!! ### @@@ %%% ^^^'),
        chat('?!?!'),
        chat('zalgo', { originalText: 'z\u0300\u0301\u0302\u0303a\u0300\u0301\u0302l\u0300\u0301g\u0300o' }),
        chat('Tiếng Việt có dấu'),
        chat('Kappa Kappa Kappa Kappa', { emotes: [0, 1, 2, 3].map((i) => emote(i * 2)) }),
        chat('a'.repeat(26)),
        chat('🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥'.slice(0, 20)),
      ]);
      expect(reasonsOf(out)).toEqual(['caps', 'clean', 'symbols', 'clean', 'zalgo', 'clean', 'emotes', 'length', 'clean']);
    });

    it('runs regex rules on the folded text or the text, with their own names and actions', async () => {
      const out = await run(
        {
          regex: [
            { name: 'phone', pattern: '\\d{3}-\\d{4}', on: 'text', action: 'flag' },
            { name: 'crypto', pattern: '\\bfree (btc|eth)\\b', action: 'ban', points: 5 },
          ],
        },
        [chat('call 555-1234'), chat('FREE BTC here'), chat('fr33 3th'), chat('free beer')],
      );
      expect(out.map((r) => (r.event.kind === 'moderation' ? r.event.verdict : 'clean'))).toEqual([
        'flag',
        'ban',
        'ban',
        'clean',
      ]);
      expect(reasonsOf(out)).toEqual(['phone', 'crypto', 'crypto', 'clean']);
    });
  });

  describe('as a component', () => {
    it('parses its examples', () => {
      for (const example of moderateComponent.examples) {
        expect(() => ModerateConfig.parse(parse(example))).not.toThrow();
      }
    });

    it('accepts `links: block` and `links: allow`', () => {
      expect(config({ links: 'block' }).links?.action).toBe('delete');
      expect(config({ links: 'allow' }).links).toBeUndefined();
      expect(config({}).links).toBeUndefined();
    });

    it('refuses patterns prone to catastrophic backtracking, bad patterns and empty entries', () => {
      const issues = (raw: Record<string, unknown>) => {
        const result = ModerateConfig.safeParse(raw);
        return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      };
      expect(issues({ regex: [{ pattern: '(a+)+$' }] })).toEqual([
        expect.stringMatching(/^regex\.0\.pattern: Refused pattern: a quantifier on a group/),
      ]);
      expect(issues({ regex: [{ pattern: '(a' }] })).toEqual([expect.stringMatching(/^regex\.0\.pattern: Invalid regular expression/)]);
      expect(issues({ words: { list: ['ok', '**'] } })).toEqual([expect.stringMatching(/^words\.list\.1: /)]);
      expect(issues({ words: {} })).toEqual([expect.stringMatching(/Give `list`, `file` or both/)]);
      expect(issues({ caps: { max_ratio: 2 } })).toHaveLength(1);
      expect(issues({ nuke: { command: 'permit' }, links: 'block' })).toEqual([
        'nuke.command: `nuke.command` must differ from `links.permit.command`',
      ]);
    });

    it('reads `words.file` relative to the pipeline directory, and refuses to start without it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chatflow-moderate-'));
      writeFileSync(join(dir, 'banned.txt'), '# comment\n\nbadword\nfree followers\n');
      const ctx = testContext({ baseDir: dir, scheduler: new VirtualTimeScheduler() });
      const op = moderateComponent.create(config({ words: { file: 'banned.txt' } }), ctx);
      const out = await lastValueFrom(from([chat('FREE followers'), chat('hi')]).pipe(op, toArray()));
      expect(out.map((r) => r.port)).toEqual(['flagged', 'clean']);
      expect(ctx.metrics.snapshot().counts).toEqual({ moderated_banned_word: 1, verdict_delete: 1 });

      const missing = () => moderateComponent.create(config({ words: { file: 'nope.txt' } }), ctx);
      expect(missing).toThrow(PipelineError);
      expect(missing).toThrow(/cannot read words\.file/);
    });

    it('counts moderator commands as dropped, not passed', async () => {
      const ctx = testContext({ scheduler: new VirtualTimeScheduler() });
      const op = moderateComponent.create(config({ links: 'block', nuke: {} }), ctx);
      const out = await lastValueFrom(
        from([chat('!permit bob', { roles: ['mod'] }), chat('!nuke x', { roles: ['broadcaster'] }), chat('!nuke', { roles: ['mod'] })]).pipe(
          op,
          toArray(),
        ),
      );
      expect(out).toEqual([]);
      expect(ctx.metrics.snapshot().dropped).toEqual({ mod_command: { count: 3, intentional: true } });
    });

    it('never takes a command from history replayed at connect', async () => {
      const ctx = testContext({ scheduler: new VirtualTimeScheduler() });
      const op = moderateComponent.create(config({ nuke: {} }), ctx);
      const old = chat('!nuke hello', { roles: ['mod'], backfill: true });
      const out = await lastValueFrom(from([old, chat('hello')]).pipe(op, toArray()));
      expect(out).toEqual([pass(old), pass(chat('hello'))]);
    });

    it('runs the full policy of examples/moderation.yaml', async () => {
      const file = join(import.meta.dirname, '../../../examples/moderation.yaml');
      const { graph, issues } = validatePipeline(file, { registry: defaultRegistry(), env: {} });
      expect(issues).toEqual([]);
      const node = graph?.nodes.get('mod');
      if (node?.definition.kind !== 'operator') throw new Error('no mod operator');
      const ctx = testContext({ baseDir: join(file, '..'), scheduler: new VirtualTimeScheduler() });
      const op = node.definition.create(node.config, ctx) as ReturnType<typeof moderate>;
      const out = await lastValueFrom(
        from([chat('hi all'), chat('f0ll0w4f0ll0w anyone?', { user: 'x' }), chat('see ex4mple dot com', { user: 'y' })]).pipe(
          op,
          toArray(),
        ),
      );
      expect(out.map((r) => (r.event.kind === 'moderation' ? r.event.reasons.join('+') : r.port))).toEqual([
        'clean',
        'banned_word',
        'links',
      ]);
    });

    it('names its ports', () => {
      expect(moderateComponent.ports(config({}))).toEqual(['clean', 'flagged']);
    });
  });
});
