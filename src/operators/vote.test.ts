import fc from 'fast-check';
import { from, Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../test/support/context.js';
import { chat } from '../../test/support/events.js';
import type { ChatflowEvent, CommandArg, CommandEvent, ControlEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { ControlConfig, control } from './control/index.js';
import { REDUCERS, reduceVotes, VoteConfig, vote, voteComponent } from './vote.js';

/** A vote command as parse_command would make it (`!vote <name> <value>`). */
function ballot(user: string, name: string | undefined, value: CommandArg, command = 'vote'): CommandEvent {
  const c = chat(`!${command} ${name} ${value}`, { user });
  const args: Record<string, CommandArg> = name === undefined ? { value } : { name, value };
  return { kind: 'command', name: command, args, chat: c, receivedAt: c.receivedAt };
}

/** The result `vote` should emit. */
function result(key: string, value: number, voters: number, last: CommandEvent, at: number): CommandEvent {
  return {
    kind: 'command',
    name: 'cv',
    args: { name: key, value, voters, origin: 'vote' },
    chat: last.chat,
    receivedAt: at,
  };
}

const mean4 = VoteConfig.parse({ window: '4ms', reducer: 'mean' });

describe('vote', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('marbles', () => {
    it('emits one result per tumbling window; a later vote replaces a user’s earlier one', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const b = ballot('bob', 'wobble', 0.5);
        const c = ballot('ann', 'wobble', 0.75);
        const d = ballot('cid', 'wobble', 1);
        const config = VoteConfig.parse({ window: '5ms', reducer: 'mean' });
        const source = hot('  -ab-c--d-|', { a, b, c, d });
        const sourceSubs = '  ^--------!';
        const expected = '    -----x---(y|)';

        expectObservable(source.pipe(vote(config, { scheduler: testScheduler }))).toBe(expected, {
          x: result('wobble', 0.625, 2, c, 5),
          y: result('wobble', 1, 1, d, 9),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('never emits when the source never does', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>(' -');
        const sourceSubs = '                ^ 19ms !';
        const unsub = '                     - 19ms !';
        const expected = '                  -';

        expectObservable(source.pipe(vote(mean4, { scheduler: testScheduler })), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes without a result when the source is empty', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>(' |');
        const sourceSubs = '                (^!)';
        const expected = '                  |';

        expectObservable(source.pipe(vote(mean4, { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards a source error without flushing the open window', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const source = hot('  -a-#', { a }, new Error('boom'));
        const sourceSubs = '  ^--!';
        const expected = '    ---#';

        expectObservable(source.pipe(vote(mean4, { scheduler: testScheduler }))).toBe(expected, {}, new Error('boom'));
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps emitting a result per window for an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const source = hot('  -a---a---a---a-', { a });
        const sourceSubs = '  ^--------------!';
        const unsub = '       ---------------!';
        const expected = '    ----x---y---z---';

        expectObservable(source.pipe(vote(mean4, { scheduler: testScheduler })), unsub).toBe(expected, {
          x: result('wobble', 0.25, 1, a, 4),
          y: result('wobble', 0.25, 1, a, 8),
          z: result('wobble', 0.25, 1, a, 12),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source and stops its window when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const source = hot('  -a-a-a-a-|', { a });
        const sourceSubs = '  ^--!      ';
        const unsub = '       ---!      ';
        const expected = '    ---       ';

        expectObservable(source.pipe(vote(mean4, { scheduler: testScheduler })), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps windows and ballots per subscription', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const b = ballot('bob', 'wobble', 0.75);
        const source = hot('   -a---b---|', { a, b });
        const sourceSubs = [' ^--------!', ' --^------!'];
        const sub1 = '         ^';
        const sub2 = '         --^';
        const expected1 = '    ----x---y|';
        const expected2 = '    ------z--|';

        const votes = source.pipe(vote(mean4, { scheduler: testScheduler }));
        expectObservable(votes, sub1).toBe(expected1, {
          x: result('wobble', 0.25, 1, a, 4),
          y: result('wobble', 0.75, 1, b, 8),
        });
        expectObservable(votes, sub2).toBe(expected2, { z: result('wobble', 0.75, 1, b, 6) });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('emits nothing for a window short of quorum, and counts it', () => {
      const drops = new NodeMetrics('votes', 'operator', 'vote');
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const b = ballot('bob', 'wobble', 0.5);
        const c = ballot('cid', 'wobble', 1);
        const config = VoteConfig.parse({ window: '4ms', reducer: 'mean', quorum: 2 });
        const source = hot('  -a---b-c-|', { a, b, c });
        const sourceSubs = '  ^--------!';
        const expected = '    --------x|';

        expectObservable(source.pipe(vote(config, { scheduler: testScheduler, drops }))).toBe(expected, {
          x: result('wobble', 0.75, 2, c, 8),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(drops.snapshot().dropped).toEqual({ no_quorum: { count: 1, intentional: true } });
    });

    it('with mode: sliding, emits every `every` from the votes of the last `window`', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'wobble', 0.25);
        const b = ballot('bob', 'wobble', 0.75);
        const config = VoteConfig.parse({ mode: 'sliding', window: '4ms', every: '2ms', reducer: 'mean' });
        const source = hot('  -a-b-----|', { a, b });
        const sourceSubs = '  ^--------!';
        const expected = '    --x-y-z--|';

        expectObservable(source.pipe(vote(config, { scheduler: testScheduler }))).toBe(expected, {
          x: result('wobble', 0.25, 1, a, 2),
          y: result('wobble', 0.5, 2, b, 4),
          z: result('wobble', 0.75, 1, b, 6),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('runs one vote per key, and emits their results in the order the keys were first voted on', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = ballot('ann', 'Wobble', 0.25);
        const b = ballot('ann', 'cutoff', 0.5);
        const c = ballot('bob', 'cutoff', 1);
        const config = VoteConfig.parse({ window: '4ms', reducer: 'median' });
        const source = hot('  -abc-----|', { a, b, c });
        const sourceSubs = '  ^--------!';
        const expected = '    ----(xy)-|';

        expectObservable(source.pipe(vote(config, { scheduler: testScheduler }))).toBe(expected, {
          x: result('wobble', 0.25, 1, a, 4),
          y: result('cutoff', 0.75, 2, c, 4),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });
  });

  describe('ballots', () => {
    it('drops non-votes, bad keys and bad values, counted, and keeps going after a malformed event', () => {
      const drops = new NodeMetrics('votes', 'operator', 'vote');
      const scheduler = new VirtualTimeScheduler();
      const out: CommandEvent[] = [];
      const config = VoteConfig.parse({ window: '4ms', max_keys: 2 });
      from([
        chat('!vote wobble 1') as ChatflowEvent,
        ballot('ann', 'wobble', 1, 'cv'),
        ballot('ann', undefined, 1),
        ballot('ann', '9lives', 1),
        ballot('ann', 'x'.repeat(40), 1),
        ballot('ann', 'wobble', 'loud'),
        ballot('ann', 'wobble', Number.NaN),
        { ...ballot('ann', 'wobble', 1), chat: undefined } as unknown as CommandEvent,
        ballot('ann', 'a', 1),
        ballot('ann', 'b', 1),
        ballot('ann', 'c', 1),
      ])
        .pipe(vote(config, { scheduler, drops }))
        .subscribe((e) => out.push(e));
      scheduler.flush();
      expect(out.map((e) => e.args.name)).toEqual(['a', 'b']);
      expect(drops.snapshot().dropped).toEqual({
        not_a_vote: { count: 2, intentional: true },
        no_key: { count: 1, intentional: true },
        invalid_key: { count: 2, intentional: true },
        invalid_vote: { count: 2, intentional: true },
        error: { count: 1, intentional: false },
        too_many_keys: { count: 1, intentional: true },
      });
    });

    it('uses a fixed key, custom arg names and emit_command when configured', () => {
      const scheduler = new VirtualTimeScheduler();
      const out: CommandEvent[] = [];
      const config = VoteConfig.parse({ command: 'wob', arg: 'amount', fixed_key: 'wobble', emit_command: 'set' });
      const c = chat('!wob 3', { user: 'ann' });
      from([{ kind: 'command', name: 'wob', args: { amount: 3 }, chat: c, receivedAt: 0 } satisfies CommandEvent])
        .pipe(vote(config, { scheduler }))
        .subscribe((e) => out.push(e));
      scheduler.flush();
      expect(out).toEqual([
        { kind: 'command', name: 'set', args: { name: 'wobble', value: 3, voters: 1, origin: 'vote' }, chat: c, receivedAt: 0 },
      ]);
    });

    it('feeds control, which applies the result with origin vote', () => {
      const scheduler = new VirtualTimeScheduler(VirtualAction, 1500);
      const source = new Subject<ChatflowEvent>();
      const out: ControlEvent[] = [];
      const cv = ControlConfig.parse({ variables: { wobble: { range: [0, 10] } }, emit_defaults: false });
      source
        .pipe(vote(VoteConfig.parse({ window: '1s' }), { scheduler }), control(cv, { scheduler }))
        .subscribe((e) => out.push(e));
      source.next(ballot('ann', 'wobble', 0.2));
      source.next(ballot('bob', 'wobble', 0.4));
      source.next(ballot('cid', 'wobble', 0.9));
      scheduler.flush();
      source.complete();
      expect(out).toEqual([
        // From the latest ballot's bytes (receivedAt 0); the window is intended delay, not latency.
        { kind: 'control', variable: 'wobble', value: 4, previous: 0, origin: 'vote', ts: 1000, receivedAt: 0, heldMs: 1000, id: 'control/0/1' },
      ]);
    });
  });

  describe('reducers', () => {
    it.each<[(typeof REDUCERS)[number], number[], number]>([
      ['mean', [1, 2, 6], 3],
      ['median', [5, 1, 3], 3],
      ['median', [4, 1, 3, 2], 2.5],
      ['trimmed_mean', [0, 5, 5, 5, 5, 5, 5, 5, 5, 100], 5],
      ['trimmed_mean', [1, 2], 1.5],
      ['mode', [3, 1, 3, 2], 3],
      ['mode', [2, 1, 2, 1], 1],
    ])('%s of %j is %d', (reducer, values, expected) => {
      expect(reduceVotes(values, reducer)).toBe(expected);
    });

    it('always lands within the votes, and mode on one of them', () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
          fc.constantFrom(...REDUCERS),
          fc.double({ min: 0, max: 0.49, noNaN: true }),
          (values, reducer, trim) => {
            const out = reduceVotes(values, reducer, trim);
            expect(out).toBeGreaterThanOrEqual(Math.min(...values) - 1e-6);
            expect(out).toBeLessThanOrEqual(Math.max(...values) + 1e-6);
            if (reducer === 'mode') expect(values).toContain(out);
          },
        ),
      );
    });
  });

  describe('config', () => {
    const issues = (input: unknown) => {
      const parsed = VoteConfig.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };

    it('fills in the defaults', () => {
      expect(VoteConfig.parse({})).toEqual({
        command: 'vote',
        arg: 'value',
        key_arg: 'name',
        mode: 'tumbling',
        window: 10_000,
        reducer: 'median',
        trim: 0.1,
        quorum: 1,
        max_keys: 50,
        emit_command: 'cv',
      });
    });

    it.each([
      [{ mode: 'sliding' }, 'every: Sliding windows need `every` (such as `5s`)'],
      [{ mode: 'sliding', window: '1s', every: '2s' }, 'every: `every` must not be longer than `window`'],
      [{ every: '2s' }, 'every: `every` only applies to `mode: sliding`'],
      [{ window: '0ms' }, 'window: `window` must be longer than 0ms'],
      [{ trim: 0.5 }, 'trim: Too big: expected number to be <0.5'],
      [{ fixed_key: 'Wob' }, 'fixed_key: A key is a lower-case letter, then letters, digits or `_` (at most 32)'],
      // `key: name` read as one fixed key called "name": the trap that kept the default pipeline's vote off `wobble`.
      [
        { key: 'name' },
        'key: `key` is gone: it was a fixed key, easily mistaken for an arg name. To take the key from the arg "name", write `key_arg: name`; for the one key "name", write `fixed_key: name`',
      ],
    ])('rejects %j', (input, message) => {
      expect(issues(input)).toContain(message);
    });
  });

  describe('component', () => {
    it('parses its examples and reads time from the context scheduler', () => {
      for (const example of voteComponent.examples) voteComponent.config.parse(parseYaml(example));
      const scheduler = new VirtualTimeScheduler();
      const ctx = testContext({ type: 'vote', scheduler });
      const out: ChatflowEvent[] = [];
      from([ballot('ann', 'wobble', 1), chat('hi') as ChatflowEvent])
        .pipe(voteComponent.create(VoteConfig.parse({ window: '2s' }), ctx))
        .subscribe((e) => out.push(e));
      scheduler.flush();
      expect(out).toHaveLength(1);
      expect(ctx.metrics.snapshot().dropped).toEqual({ not_a_vote: { count: 1, intentional: true } });
    });
  });
});
