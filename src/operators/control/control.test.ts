import fc from 'fast-check';
import { filter, from, map, NEVER, type SchedulerLike, Subject, tap, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { chat } from '../../../test/support/events.js';
import { BEAT_CLOCK, type BeatClock, fixedClock } from '../../core/beatClock.js';
import { CONTROL_BUS, ControlBus } from '../../core/controlBus.js';
import { DUE_CHANGES, type DueAnnouncer, DueChanges } from '../../core/dueChanges.js';
import type { ChatflowEvent, CommandArg, CommandEvent, ControlEvent, ControlOrigin, ControlRamp, Role } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { NodeState } from '../../core/nodeState.js';
import { provide, Services } from '../../core/services.js';
import { RESTORED_VARIABLES } from '../../core/variables.js';
import { replyToChat } from '../../core/reply.js';
import { CONTROL_REPLY_PORT, ControlConfig, control, controlComponent, controlWithReplies, type InputMode, VariableConfig } from './index.js';
import { compileVariable, mapValue } from './variables.js';
import { SCALES } from '../shared/music.js';
import { ParseCommandConfig, parseCommand } from '../parseCommand/index.js';

interface CmdOptions {
  readonly user?: string;
  readonly roles?: readonly Role[];
  readonly receivedAt?: number;
}

/** A command event as parse_command would make it. */
function cmd(name: string, args: Record<string, CommandArg>, options: CmdOptions = {}): CommandEvent {
  const c = chat(`!${name}`, { user: options.user ?? 'viewer', roles: options.roles ?? [], receivedAt: options.receivedAt ?? 0 });
  return { kind: 'command', name, args, chat: c, receivedAt: c.receivedAt };
}
const mod = (args: Record<string, CommandArg>, name = 'cv') => cmd(name, args, { user: 'moddy', roles: ['mod'] });

/** The ControlEvent `control` should emit. */
function ctl(
  variable: string,
  value: number,
  previous: number,
  origin: ControlOrigin,
  ts: number,
  receivedAt: number,
  login?: string,
): ControlEvent {
  // Ids are checked on their own ('gives every change its own id'); here any id will do.
  const base = { kind: 'control' as const, variable, value, previous, origin, ts, receivedAt, id: expect.any(String) as string };
  return login === undefined ? base : { ...base, by: { login, platform: 'twitch' } };
}

/** Any slew's descriptor: its contents are checked on their own ('describes the whole slew on every step'). */
const anyRamp = expect.objectContaining({ id: expect.any(String) }) as ControlRamp;

/** A change held back on purpose (waiting for its beat), without a slew. */
function waited(event: ControlEvent, heldMs: number): ControlEvent {
  return { ...event, heldMs };
}

/** The first step of a slew: `event` with an intended delay (its place on the ramp) and its ramp. */
function held(event: ControlEvent, heldMs: number): ControlEvent {
  return { ...event, heldMs, ramp: anyRamp };
}

/** A slew step toward a target set by `login` (or, without one, by `towards` alone), `heldMs` into its ramp. */
function step(
  variable: string,
  value: number,
  previous: number,
  ts: number,
  receivedAt: number,
  heldMs: number,
  login?: string,
  towards: ControlOrigin = 'command',
): ControlEvent {
  return { ...ctl(variable, value, previous, 'slew', ts, receivedAt, login), heldMs, towards, ramp: anyRamp };
}

/** Runs events through `control` synchronously (no slew) and returns the events out. */
function run(config: ControlConfig, events: readonly CommandEvent[], drops?: NodeMetrics): ControlEvent[] {
  const out: ControlEvent[] = [];
  const scheduler = new VirtualTimeScheduler();
  from(events)
    .pipe(control(config, { scheduler, ...(drops ? { drops } : {}) }))
    .subscribe((e) => out.push(e));
  scheduler.flush();
  return out;
}

const jumpyInput = {
  variables: {
    cutoff: { range: [0, 1] as [number, number], default: 0.5 },
    pitch: { range: [-5, 5] as [number, number], quantize: 'semitone' as const, default: 0 },
  },
};
const slewedInput = { variables: { cutoff: { range: [0, 1] as [number, number], default: 0.5, slew: '40ms' } } };
const slewed = ControlConfig.parse(slewedInput);
const jumpy = ControlConfig.parse(jumpyInput);
const single = ControlConfig.parse({ variables: { cutoff: jumpyInput.variables.cutoff } });

describe('control', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('marbles', () => {
    it('starts a re-subscription from what deps.state keeps, sending nothing for it', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const state = new NodeState();
        const a = cmd('cv', { name: 'cutoff', value: 0.8 }, { receivedAt: 1 });
        const b = cmd('cv', { name: 'cutoff', value: 1 }, { receivedAt: 12 });
        const source = hot('-a----------b-|', { a, b });
        const op = control(single, { scheduler: testScheduler, state });
        expectObservable(source.pipe(op), '^-----!').toBe('da', {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          a: ctl('cutoff', 0.8, 0.5, 'command', 1, 1, 'viewer'),
        });
        // A rebuild with another default but the same range (a live reload) carries on from 0.8.
        const rebuilt = control(ControlConfig.parse({ variables: { cutoff: { range: [0, 1], default: 0.1 } } }), {
          scheduler: testScheduler,
          state,
        });
        expectObservable(source.pipe(rebuilt), '----------^---').toBe('------------b-|', {
          b: ctl('cutoff', 1, 0.8, 'command', 12, 12, 'viewer'),
        });
      });
    });

    it('sends a variable no longer declared its default once, from what deps.state keeps', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const state = new NodeState();
        const a = cmd('cv', { name: 'pitch', value: 0.75 }, { receivedAt: 5 });
        const source = hot('-----a------|', { a });
        expectObservable(source.pipe(control(jumpy, { scheduler: testScheduler, state })), '^------!').toBe('(cp)-a', {
          c: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          p: ctl('pitch', 0, 0, 'default', 0, 0),
          a: ctl('pitch', 2.5, 0, 'command', 5, 5, 'viewer'),
        });
        expectObservable(source.pipe(control(single, { scheduler: testScheduler, state })), '----------^-').toBe(
          '----------r-|',
          { r: ctl('pitch', 0, 2.5, 'retired', 10, 10) },
        );
        expectObservable(source.pipe(control(single, { scheduler: testScheduler, state })), '-----------^').toBe(
          '------------|',
        );
      });
    });

    it('finishes a slew the previous subscription began, in the time it had left', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const state = new NodeState();
        const a = cmd('cv', { name: 'cutoff', value: 1 }, { receivedAt: 1 });
        const source = hot('-a 48ms |', { a });
        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler, state })), '^ 24ms !').toBe(
          'd 10ms a 9ms b',
          {
            d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
            a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 1, 'viewer'), 10),
            b: step('cutoff', 0.75, 0.625, 21, 1, 20, 'viewer'),
          },
        );
        // Re-subscribed at 30, 29ms into the 40ms ramp: 11ms left, from 0.75 to 1.
        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler, state })), '30ms ^').toBe(
          '40ms s e 8ms |',
          {
            s: step('cutoff', 0.75 + 0.25 * (10 / 11), 0.75, 40, 1, 39, 'viewer'),
            e: step('cutoff', 1, 0.75 + 0.25 * (10 / 11), 41, 1, 40, 'viewer'),
          },
        );
      });
    });

    it('starts a variable whose range changed from its default, whatever deps.state keeps', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const state = new NodeState();
        const a = cmd('cv', { name: 'cutoff', value: 0.8 }, { receivedAt: 1 });
        const source = hot('-a----------|', { a });
        expectObservable(source.pipe(control(single, { scheduler: testScheduler, state })), '^-----!').toBe('da', {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          a: ctl('cutoff', 0.8, 0.5, 'command', 1, 1, 'viewer'),
        });
        const wider = ControlConfig.parse({ variables: { cutoff: { range: [0, 2], default: 0.5 } } });
        expectObservable(source.pipe(control(wider, { scheduler: testScheduler, state })), '----------^-').toBe(
          '----------d-|',
          { d: ctl('cutoff', 0.5, 0.5, 'default', 10, 10) },
        );
      });
    });

    it('starts from the defaults and slews to a target in steps at the control rate', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 }, { receivedAt: 1 });
        const source = hot('  -a 48ms |', { a });
        const sourceSubs = '  ^ 49ms  !';
        const expected = '    d 10ms a 9ms b 9ms c 9ms e 8ms |';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler }))).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 1, 'viewer'), 10),
          b: step('cutoff', 0.75, 0.625, 21, 1, 20, 'viewer'),
          c: step('cutoff', 0.875, 0.75, 31, 1, 30, 'viewer'),
          e: step('cutoff', 1, 0.875, 41, 1, 40, 'viewer'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('emits only the defaults and never completes when the source never does', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<CommandEvent>(' -');
        const sourceSubs = '               ^';
        const expected = '                 (dp)';

        expectObservable(source.pipe(control(jumpy, { scheduler: testScheduler }))).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          p: ctl('pitch', 0, 0, 'default', 0, 0),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('emits the defaults and completes when the source is empty', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<CommandEvent>(' |');
        const sourceSubs = '               (^!)';
        const expected = '                 (d|)';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler }))).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('emits nothing at all for an empty source with emit_defaults: false', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<CommandEvent>(' |');
        const sourceSubs = '               (^!)';
        const expected = '                 |';

        const config = ControlConfig.parse({ ...jumpyInput, emit_defaults: false });
        expectObservable(source.pipe(control(config, { scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards a source error at once, cancelling slews', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 });
        const source = hot('  -a 14ms #', { a }, new Error('boom'));
        const sourceSubs = '  ^ 15ms  !';
        const expected = '    d 10ms a 4ms #';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler }))).toBe(
          expected,
          { d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0), a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 0, 'viewer'), 10) },
          new Error('boom'),
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps applying commands from an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 0.25 });
        const b = cmd('cv', { name: 'cutoff', value: 0.75 });
        const source = hot('  -a-b-a-', { a, b });
        const sourceSubs = '  ^';
        const expected = '    dA-B-C-';

        expectObservable(source.pipe(control(single, { scheduler: testScheduler }))).toBe(
          expected,
          {
            d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
            A: ctl('cutoff', 0.25, 0.5, 'command', 1, 0, 'viewer'),
            B: ctl('cutoff', 0.75, 0.25, 'command', 3, 0, 'viewer'),
            C: ctl('cutoff', 0.25, 0.75, 'command', 5, 0, 'viewer'),
          },
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('stops slewing when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 });
        const source = hot('  -a 48ms |', { a });
        const sourceSubs = '  ^ 24ms !  ';
        const unsub = '       - 24ms !  ';
        const expected = '    d 10ms a 9ms b ';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler })), unsub).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 0, 'viewer'), 10),
          b: step('cutoff', 0.75, 0.625, 21, 0, 20, 'viewer'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps values, defaults and slews per subscription', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 0.25 });
        const b = cmd('cv', { name: 'cutoff', value: 0.75 });
        const config = single;
        const source = hot('   -a---b---|', { a, b });
        const sourceSubs = [' ^--------!', ' ---^-----!'];
        const sub1 = '         ^';
        const sub2 = '         ---^';
        const expected1 = '    dA---B---|';
        const expected2 = '    ---d-C---|';

        const result = source.pipe(control(config, { scheduler: testScheduler }));
        expectObservable(result, sub1).toBe(expected1, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          A: ctl('cutoff', 0.25, 0.5, 'command', 1, 0, 'viewer'),
          B: ctl('cutoff', 0.75, 0.25, 'command', 5, 0, 'viewer'),
        });
        expectObservable(result, sub2).toBe(expected2, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 3, 3),
          C: ctl('cutoff', 0.75, 0.5, 'command', 5, 0, 'viewer'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes only after the slews in flight have reached their targets', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 });
        const source = hot('  -a|', { a });
        const sourceSubs = '  ^-!';
        const expected = '    d 10ms a 9ms b 9ms c 9ms (e|)';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler }))).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 0, 'viewer'), 10),
          b: step('cutoff', 0.75, 0.625, 21, 0, 20, 'viewer'),
          c: step('cutoff', 0.875, 0.75, 31, 0, 30, 'viewer'),
          e: step('cutoff', 1, 0.875, 41, 0, 40, 'viewer'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('restarts a slew from where it is when a new command arrives', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 });
        const b = cmd('cv', { name: 'cutoff', value: 0 });
        const source = hot('  -a 14ms b', { a, b });
        const sourceSubs = '  ^';
        const expected = '    d 10ms a 14ms b 9ms c 9ms e 9ms f';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler }))).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 0, 'viewer'), 10),
          b: held(ctl('cutoff', 0.46875, 0.625, 'command', 26, 0, 'viewer'), 10),
          c: step('cutoff', 0.3125, 0.46875, 36, 0, 20, 'viewer'),
          e: step('cutoff', 0.15625, 0.3125, 46, 0, 30, 'viewer'),
          f: step('cutoff', 0, 0.15625, 56, 0, 40, 'viewer'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('describes the whole slew on every step (ramp: from, to, length, start), a new ramp on a restart', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 });
        const b = cmd('cv', { name: 'cutoff', value: 0 });
        const source = hot('  -a 14ms b', { a, b });
        const ramps = source.pipe(
          control(slewed, { scheduler: testScheduler, idPrefix: 'i/n' }),
          filter((e) => e.ramp !== undefined),
          map((e) => e.ramp),
        );
        const first = { id: 'i/n/0/ramp1', from: 0.5, to: 1, ms: 40, startTs: 1 };
        // The second starts where the first was (0.625 at 11 ms), at 16 ms, over the full slew.
        const second = { id: 'i/n/0/ramp2', from: 0.625, to: 0, ms: 40, startTs: 16 };
        expectObservable(ramps).toBe('- 10ms a 14ms b 9ms b 9ms b 9ms b', { a: first, b: second });
      });
    });

    it('gives no ramp to a change without slew, nor to a slew whose target is where it already is', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const a = cmd('cv', { name: 'cutoff', value: 0.7 });
        const b = cmd('cv', { name: 'cutoff', value: 0.5 });
        const source = hot('  -a-b', { a, b });
        const jumps = source.pipe(
          control(jumpy, { scheduler: testScheduler }),
          filter((e) => e.origin !== 'default'),
          map((e) => e.ramp === undefined),
        );
        expectObservable(jumps).toBe('-a-b', { a: true, b: true });
        const still = source.pipe(
          filter((e) => e === b),
          control(slewed, { scheduler: testScheduler }),
          map((e) => e.ramp === undefined),
        );
        expectObservable(still).toBe('d--b', { d: true, b: true });
      });
    });

    it('carries the viewer (or the vote) who set the target on every slew step toward it', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const a = cmd('cv', { name: 'cutoff', value: 1 }, { user: 'alice' });
        const b = cmd('cv', { name: 'cutoff', value: 0 }, { user: 'bob' });
        const v = cmd('cv', { name: 'cutoff', value: 1, voters: 3, origin: 'vote' });
        const source = hot('  -a 23ms b 44ms v', { a, b, v });
        const sourceSubs = '  ^';
        const expected = '    d 10ms A 9ms B 13ms C 9ms D 9ms E 9ms F 14ms G 9ms H 9ms I 9ms J';

        expectObservable(source.pipe(control(slewed, { scheduler: testScheduler }))).toBe(expected, {
          d: ctl('cutoff', 0.5, 0.5, 'default', 0, 0),
          A: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 0, 'alice'), 10),
          B: step('cutoff', 0.75, 0.625, 21, 0, 20, 'alice'),
          C: held(ctl('cutoff', 0.5625, 0.75, 'command', 35, 0, 'bob'), 10),
          D: step('cutoff', 0.375, 0.5625, 45, 0, 20, 'bob'),
          E: step('cutoff', 0.1875, 0.375, 55, 0, 30, 'bob'),
          F: step('cutoff', 0, 0.1875, 65, 0, 40, 'bob'),
          G: held(ctl('cutoff', 0.25, 0, 'vote', 80, 0), 10),
          H: step('cutoff', 0.5, 0.25, 90, 0, 20, undefined, 'vote'),
          I: step('cutoff', 0.75, 0.5, 100, 0, 30, undefined, 'vote'),
          J: step('cutoff', 1, 0.75, 110, 0, 40, undefined, 'vote'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('panic puts every variable at its default at once and cancels slews', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const config = ControlConfig.parse({
          variables: { cutoff: slewedInput.variables.cutoff, pitch: { range: [-5, 5], default: 0 } },
          emit_defaults: false,
        });
        const a = cmd('cv', { name: 'cutoff', value: 1 });
        const p = cmd('cv', { name: 'pitch', value: 1 });
        const x = mod({ subcommand: 'panic' });
        const source = hot('  -ap 12ms x', { a, p, x });
        const sourceSubs = '  ^';
        const expected = '    --P 8ms a 3ms (yz)';

        expectObservable(source.pipe(control(config, { scheduler: testScheduler }))).toBe(expected, {
          P: ctl('pitch', 5, 0, 'command', 2, 0, 'viewer'),
          a: held(ctl('cutoff', 0.625, 0.5, 'command', 11, 0, 'viewer'), 10),
          y: ctl('cutoff', 0.5, 0.625, 'panic', 15, 0, 'moddy'),
          z: ctl('pitch', 0, 5, 'panic', 15, 0, 'moddy'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });
  });

  describe('moderator controls', () => {
    const config = jumpy;
    const set = (value: number, options: CmdOptions = {}) => cmd('cv', { name: 'cutoff', value }, options);

    it('pause drops viewer commands (counted) until resume; moderators still pass', () => {
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out = run(
        config,
        [
          mod({ subcommand: 'pause' }),
          set(0.1),
          set(0.2, { user: 'moddy', roles: ['mod'] }),
          { ...set(0.3), args: { name: 'cutoff', value: 0.3, origin: 'vote' } },
          mod({ subcommand: 'resume' }),
          set(0.4),
        ],
        drops,
      );
      expect(out.slice(2).map((e) => [e.value, e.by?.login])).toEqual([
        [0.2, 'moddy'],
        [0.4, 'viewer'],
      ]);
      expect(drops.snapshot().dropped).toEqual({ paused: { count: 2, intentional: true } });
    });

    it('lock drops viewer commands for one variable until unlock', () => {
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out = run(
        config,
        [
          mod({ subcommand: 'lock', name: 'Cutoff' }),
          set(0.1),
          cmd('cv', { name: 'pitch', value: 1 }),
          set(0.2, { user: 'boss', roles: ['broadcaster'] }),
          mod({ subcommand: 'unlock', name: 'cutoff' }),
          set(0.3),
        ],
        drops,
      );
      expect(out.slice(2).map((e) => [e.variable, e.value])).toEqual([
        ['pitch', 5],
        ['cutoff', 0.2],
        ['cutoff', 0.3],
      ]);
      expect(drops.snapshot().dropped).toEqual({ locked: { count: 1, intentional: true } });
    });

    it('reset puts one variable at its default, cancelling its slew', () => {
      const out = run(config, [set(0.9), mod({ subcommand: 'reset', name: 'cutoff' })]);
      expect(out.at(-1)).toEqual(ctl('cutoff', 0.5, 0.9, 'reset', 0, 0, 'moddy'));
    });

    it('drops moderator actions from viewers, unknown subcommands and unknown targets', () => {
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out = run(
        config,
        [
          cmd('cv', { subcommand: 'panic' }),
          mod({ subcommand: 'dance' }),
          mod({ subcommand: 'reset', name: 'nothing' }),
          mod({ subcommand: 'lock', name: '$$$' }),
          mod({ subcommand: 'reset' }),
        ],
        drops,
      );
      expect(out).toHaveLength(2); // the defaults
      expect(drops.snapshot().dropped).toEqual({
        not_admin: { count: 1, intentional: true },
        unknown_subcommand: { count: 1, intentional: true },
        unknown_variable: { count: 1, intentional: true },
        invalid_name: { count: 2, intentional: true },
      });
    });

    it('honours admin_roles and admin_command', () => {
      const custom = ControlConfig.parse({ ...jumpyInput, admin_roles: ['vip'], admin_command: 'cvmod' });
      const out = run(custom, [
        cmd('cvmod', { subcommand: 'pause' }, { roles: ['mod'] }),
        cmd('cvmod', { subcommand: 'pause' }, { roles: ['vip'] }),
        set(0.1),
      ]);
      expect(out).toHaveLength(2);
    });
  });

  describe('change ids', () => {
    it('gives every change its own id: two viewers, same value, same millisecond; slew steps; defaults', () => {
      const scheduler = new VirtualTimeScheduler(VirtualAction, 1000);
      scheduler.schedule(() => undefined, 7); // subscribed at 7 ms
      scheduler.flush();
      const out: ControlEvent[] = [];
      const slewy = ControlConfig.parse({
        variables: { cutoff: { range: [0, 1], default: 0.5 }, wobble: { range: [0, 1], slew: '20ms' } },
      });
      const ann = cmd('cv', { name: 'cutoff', value: 0.9 }, { user: 'ann' });
      const bob = cmd('cv', { name: 'cutoff', value: 0.9 }, { user: 'bob' });
      from([ann, bob, cmd('cv', { name: 'wobble', value: 1 })])
        .pipe(control(slewy, { scheduler, idPrefix: 'studio/cv' }))
        .subscribe((e) => out.push(e));
      scheduler.flush();
      // Two defaults, ann's and bob's changes (alike but for `by`, at the same ms), two slew steps.
      expect(out.map((e) => [e.variable, e.origin, e.ts])).toEqual([
        ['cutoff', 'default', 7],
        ['wobble', 'default', 7],
        ['cutoff', 'command', 7],
        ['cutoff', 'command', 7],
        ['wobble', 'command', 17],
        ['wobble', 'slew', 27],
      ]);
      expect(out.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `studio/cv/7/${n}`));
    });

    it('starts ids with the instance and node in a pipeline', () => {
      const scheduler = new VirtualTimeScheduler();
      const ctx = testContext({ id: 'cv', type: 'control', scheduler });
      const out: ControlEvent[] = [];
      from([]).pipe(controlComponent.create(single, ctx)).subscribe((r) => out.push(r.event as ControlEvent));
      scheduler.flush();
      expect(out.map((e) => e.id)).toEqual(['test/cv/0/1']);
    });
  });

  describe('mapping commands', () => {
    it('reads cv name/value, commands named like a variable, and arg `note` as a MIDI note', () => {
      const config = ControlConfig.parse({
        variables: {
          cutoff: { range: [0, 10] },
          pitch: { range: [-5, 5], quantize: 'semitone' },
          level: { range: [0, 10], input: 'raw' },
        },
      });
      const out = run(config, [
        cmd('cv', { name: 'cutoff', value: 0.5 }),
        cmd('pitch', { note: 67 }),
        cmd('pitch', { value: 0.75 }),
        cmd('level', { amount: 3.3 }),
        cmd('cv', { name: 'LEVEL', value: 12 }),
      ]);
      expect(out.slice(3).map((e) => [e.variable, e.value])).toEqual([
        ['cutoff', 5],
        ['pitch', expect.closeTo(7 / 12, 12)],
        ['pitch', expect.closeTo(2.5, 12)],
        ['level', 3.3],
        ['level', 10],
      ]);
    });

    it('follows explicit command mappings', () => {
      const config = ControlConfig.parse({
        variables: { pitch: { range: [-5, 5], quantize: 'semitone' } },
        commands: { play: { fixed_variable: 'pitch', value_arg: 'n', input: 'note' }, set: { variable_arg: 'v' } },
      });
      const out = run(config, [cmd('play', { n: 72, x: 1 }), cmd('set', { v: 'pitch', value: 0 }), cmd('cv', { name: 'pitch', value: 1 })]);
      expect(out.slice(1).map((e) => e.value)).toEqual([expect.closeTo(1, 12), expect.closeTo(-5, 12)]);
    });

    it('drops invalid and undeclared names, missing values and unknown commands, counted', () => {
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out = run(
        jumpy,
        [
          cmd('cv', { name: '9lives', value: 1 }),
          cmd('cv', { name: 'a-b', value: 1 }),
          cmd('cv', { name: 'x'.repeat(40), value: 1 }),
          cmd('cv', { value: 1 }),
          cmd('cv', { name: 'cutoff', value: 'high' }),
          cmd('cv', { name: 'wobble', value: 1 }),
          cmd('hello', {}),
          { ...cmd('cv', {}), args: undefined } as unknown as CommandEvent,
        ],
        drops,
      );
      expect(out).toHaveLength(2);
      expect(drops.snapshot().dropped).toEqual({
        invalid_name: { count: 4, intentional: true },
        invalid_value: { count: 1, intentional: true },
        undeclared: { count: 1, intentional: true },
        unknown_command: { count: 1, intentional: true },
        error: { count: 1, intentional: false },
      });
    });

    it('applies vote results with origin vote and no author', () => {
      const v = { ...cmd('cv', { name: 'cutoff', value: 0.25, voters: 3, origin: 'vote' }, { roles: ['mod'] }) };
      expect(run(jumpy, [v]).at(-1)).toEqual(ctl('cutoff', 0.25, 0.5, 'vote', 0, 0));
    });

    it('drops events that are not commands', () => {
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out: ControlEvent[] = [];
      from([chat('!cv cutoff 1')])
        .pipe(control(jumpy, { drops }))
        .subscribe((e) => out.push(e));
      expect(out).toHaveLength(2);
      expect(drops.snapshot().dropped).toEqual({ not_a_command: { count: 1, intentional: true } });
    });
  });

  describe('behind parse_command', () => {
    it('runs the cmds and cv nodes of the example pipeline, with moderator subcommands', () => {
      const cmds = ParseCommandConfig.parse(
        parseYaml(`
prefix: "!"
commands:
  cv:
    args: [name, value:number]
    subcommands:
      panic: { roles: [mod] }
      reset: { args: [name], roles: [mod] }
  pitch: { args: [note:note] }
`),
      );
      const cv = ControlConfig.parse(
        parseYaml(`
variables:
  cutoff: { range: [0, 1], slew: 80ms, default: 0.5 }
  pitch:  { range: [-5, 5], quantize: semitone, default: 0 }
`),
      );
      const scheduler = new VirtualTimeScheduler();
      const out: ControlEvent[] = [];
      from([
        chat('!cv pitch 0.75'),
        chat('!pitch F#4'),
        chat('!cv cutoff 1'),
        chat('!cv panic'),
        chat('!cv panic', { user: 'moddy', roles: ['mod'] }),
      ])
        .pipe(
          parseCommand(cmds),
          filter((r) => r.port === 'cv' || r.port === 'pitch'),
          map((r) => r.event),
          control(cv, { scheduler }),
        )
        .subscribe((e) => out.push(e));
      scheduler.flush();
      expect(out.map((e) => [e.variable, e.value, e.origin, e.ts])).toEqual([
        ['cutoff', 0.5, 'default', 0],
        ['pitch', 0, 'default', 0],
        ['pitch', expect.closeTo(2.5, 12), 'command', 0],
        ['pitch', expect.closeTo(0.5, 12), 'command', 0],
        ['cutoff', 0.5, 'panic', 0],
        ['pitch', 0, 'panic', 0],
      ]);
    });
  });

  describe('undeclared variables', () => {
    const config = ControlConfig.parse({
      variables: { cutoff: { range: [0, 1] } },
      max_active: 3,
      allow_undeclared: { range: [0, 1], default: 0.5 },
    });
    const set = (name: string, value: number) => cmd('cv', { name, value });

    it('creates them from chat and evicts the least recently set one past max_active', () => {
      const out = run(config, [set('a', 0.1), set('b', 0.2), set('a', 0.3), set('c', 0.4), set('b', 0.6)]);
      expect(out.map((e) => [e.variable, e.value, e.previous, e.origin])).toEqual([
        ['cutoff', 0, 0, 'default'],
        ['a', 0.1, 0.5, 'command'],
        ['b', 0.2, 0.5, 'command'],
        ['a', 0.3, 0.1, 'command'],
        ['b', 0.5, 0.2, 'reset'],
        ['c', 0.4, 0.5, 'command'],
        ['a', 0.5, 0.3, 'reset'],
        ['b', 0.6, 0.5, 'command'],
      ]);
    });

    it('never evicts a locked variable, and drops new names when every one is locked', () => {
      const drops = new NodeMetrics('cv', 'operator', 'control');
      const out = run(
        config,
        [set('a', 0.1), set('b', 0.2), mod({ subcommand: 'lock', name: 'a' }), set('c', 0.3), mod({ subcommand: 'lock', name: 'c' }), set('d', 0.4)],
        drops,
      );
      expect(out.map((e) => [e.variable, e.origin])).toEqual([
        ['cutoff', 'default'],
        ['a', 'command'],
        ['b', 'command'],
        ['b', 'reset'],
        ['c', 'command'],
      ]);
      expect(drops.snapshot().dropped).toEqual({ max_active: { count: 1, intentional: true } });
    });

    it('resets undeclared variables on panic too', () => {
      const out = run(config, [set('a', 0.1), mod({ subcommand: 'panic' })]);
      expect(out.slice(2).map((e) => [e.variable, e.value, e.origin])).toEqual([
        ['cutoff', 0, 'panic'],
        ['a', 0.5, 'panic'],
      ]);
    });
  });

  describe('config', () => {
    const issues = (input: unknown) => {
      const result = ControlConfig.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };

    it('fills in the defaults', () => {
      const config = ControlConfig.parse({});
      expect(config).toMatchObject({
        variables: {},
        commands: { cv: { variable_arg: 'name' } },
        admin_command: 'cv',
        admin_roles: ['broadcaster', 'mod'],
        control_rate: { count: 100, periodMs: 1000 },
        max_active: 200,
        emit_defaults: true,
      });
      expect(compileVariable(VariableConfig.parse({ range: [2, 5] })).default).toBe(2);
      expect(compileVariable(VariableConfig.parse({ range: [-5, -1] })).default).toBe(-1);
      expect(compileVariable(VariableConfig.parse({ range: [-5, 5] })).default).toBe(0);
    });

    it('snaps a value halfway between two notes of the scale to the lower one', () => {
      // C major, 1 V/oct: C# (1/12 V) lies halfway between C (0 V) and D (2/12 V).
      const v = compileVariable(VariableConfig.parse({ range: [-1, 1], quantize: 'major', input: 'raw' }));
      expect(mapValue(v, 1 / 12)).toBe(0);
      expect(mapValue(v, 1.1 / 12)).toBeCloseTo(2 / 12, 12);
      // A#3 (-2/12 V) lies halfway between A3 and B3: below zero too, the lower one.
      expect(mapValue(v, -2 / 12)).toBeCloseTo(-3 / 12, 12);
    });

    it.each([
      [{ variables: { x: { range: [1, 0] } } }, 'variables.x.range: The low end of `range` must be below the high end'],
      [{ variables: { x: { default: 2 } } }, 'variables.x.default: `default` must lie within range [0, 1]'],
      [{ variables: { x: { root: 'C' } } }, 'variables.x.root: `root` only applies when `quantize` is a scale (major, minor, …)'],
      [{ variables: { x: { quantize: 'major', root: 'H' } } }, 'variables.x.root: `root` must be a note name such as C, F# or Bb'],
      [{ variables: { x: { range: [0.1, 0.2], quantize: 0.5 } } }, 'variables.x.quantize: No multiple of 0.5 lies within range [0.1, 0.2]'],
      [{ variables: { x: { range: [0.01, 0.02], quantize: 'major' } } }, 'variables.x.quantize: No note of major lies within range [0.01, 0.02]'],
      [{ variables: { reset: {} } }, 'variables.reset: "reset" is a moderator subcommand (`!cv reset`); pick another variable name'],
      [{ variables: { Bad: {} } }, 'variables.Bad: A variable name is a lower-case letter, then letters, digits or `_` (at most 32)'],
      [{ variables: { a: {}, b: {} }, max_active: 1 }, 'max_active: 2 variables are declared but `max_active` is 1'],
      [{ commands: { p: { fixed_variable: 'pitch' } } }, 'commands.p.fixed_variable: Variable "pitch" is not declared under `variables` (nor is `allow_undeclared` set)'],
      [{ control_rate: '2000/s' }, 'control_rate: `control_rate` is at most 1000/s'],
      [
        { commands: { cv: { variable: 'name' } } },
        'commands.cv.variable: `variable` is gone: it was a fixed variable, easily mistaken for an arg name. For the one variable "name", write `fixed_variable: name`; to take it from the arg "name", write `variable_arg: name`',
      ],
    ])('rejects %j', (input, message) => {
      expect(issues(input)).toContain(message);
    });
  });

  describe('component', () => {
    it('parses its examples and reads time from the context scheduler', () => {
      for (const example of controlComponent.examples) controlComponent.config.parse(parseYaml(example));
      const scheduler = new VirtualTimeScheduler();
      const ctx = testContext({ type: 'control', scheduler });
      const out: ControlEvent[] = [];
      from([cmd('cv', { name: 'cutoff', value: 1 }), cmd('cv', { name: 'nope', value: 1 })])
        .pipe(controlComponent.create(slewed, ctx))
        .subscribe((r) => out.push(r.event as ControlEvent));
      scheduler.flush();
      expect(out.map((e) => [e.value, e.ts])).toEqual([
        [0.5, 0],
        [0.625, 10],
        [0.75, 20],
        [0.875, 30],
        [1, 40],
      ]);
      expect(ctx.metrics.snapshot().dropped).toEqual({ undeclared: { count: 1, intentional: true } });
    });

    it('starts from the restored values and follows the control bus it finds among the services', () => {
      const bus = new ControlBus();
      const base = testContext({ type: 'control' });
      const ctx = {
        ...base,
        resources: {
          ...base.resources,
          services: new Services([provide(RESTORED_VARIABLES, new Map([['cutoff', 0.25]])), provide(CONTROL_BUS, bus)]),
        },
      };
      const out: ControlEvent[] = [];
      new Subject<ChatflowEvent>().pipe(controlComponent.create(slewed, ctx)).subscribe((r) => out.push(r.event as ControlEvent));
      expect(bus.send({ verb: 'panic', source: 'test' })).toBe(1);
      expect(out.map((e) => [e.origin, e.value])).toEqual([
        ['restore', 0.25],
        ['panic', 0.5],
      ]);
    });

    it('declares its variables as the overlay shows them', () => {
      const config = ControlConfig.parse({
        variables: { cutoff: { range: [0, 1], default: 0.5 }, pitch: { range: [-2, 3], input: 'note', volts_per_octave: 1.2 } },
      });
      expect(controlComponent.variables?.(config)).toEqual([
        { name: 'cutoff', range: [0, 1], input: 'normalized', default: 0.5, voltsPerOctave: 1 },
        { name: 'pitch', range: [-2, 3], input: 'note', default: 0, voltsPerOctave: 1.2 },
      ]);
    });
  });

  describe('properties', () => {
    const scaleNames = Object.keys(SCALES) as (keyof typeof SCALES)[];
    const variableInput = fc
      .record({
        lo: fc.double({ min: -100, max: 100, noNaN: true }),
        span: fc.double({ min: 0.5, max: 200, noNaN: true }),
        curve: fc.constantFrom('linear' as const, 'exponential' as const, 'logarithmic' as const),
        quantize: fc.oneof(
          fc.constantFrom('none' as const, 'semitone' as const, ...scaleNames),
          fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        ),
        root: fc.constantFrom('C', 'F#', 'Bb', 'A'),
        vpo: fc.constantFrom(1, 1.2, 0.5),
      })
      .map((r) => ({
        range: [r.lo, r.lo + r.span] as [number, number],
        curve: r.curve,
        quantize: r.quantize,
        volts_per_octave: r.vpo,
        ...(typeof r.quantize === 'string' && r.quantize !== 'none' && r.quantize !== 'semitone' ? { root: r.root } : {}),
      }));
    const input = fc.oneof(fc.double({ noNaN: false }), fc.double({ min: -2, max: 2 }), fc.integer({ min: 0, max: 127 }));
    const mode = fc.constantFrom<InputMode>('normalized', 'raw', 'note');

    it('always maps into the range', () => {
      fc.assert(
        fc.property(variableInput, input, mode, (raw, x, m) => {
          const v = compileVariable(VariableConfig.parse(raw));
          const out = mapValue(v, x, m);
          expect(out).toBeGreaterThanOrEqual(v.min);
          expect(out).toBeLessThanOrEqual(v.max);
        }),
        { numRuns: 3000 },
      );
    });

    it('always lands quantized values on the grid or scale', () => {
      fc.assert(
        fc.property(variableInput, input, mode, (raw, x, m) => {
          const v = compileVariable(VariableConfig.parse(raw));
          const out = mapValue(v, x, m);
          if (v.quantize === 'none' || !Number.isFinite(x)) return;
          const k = out / v.step;
          expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-6);
          if (v.quantize === 'scale') {
            const pc = ((Math.round(k) % 12) + 12) % 12;
            expect(v.pitchClasses[pc]).toBe(true);
          }
        }),
        { numRuns: 3000 },
      );
    });

    it('maps normalized input monotonically through every curve', () => {
      fc.assert(
        fc.property(variableInput, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (raw, x, y) => {
          const v = compileVariable(VariableConfig.parse({ ...raw, quantize: 'none', root: undefined }));
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          expect(mapValue(v, lo, 'normalized')).toBeLessThanOrEqual(mapValue(v, hi, 'normalized') + 1e-9);
        }),
      );
    });

    it('slews monotonically toward the target and reaches it exactly after `slew`', () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.integer({ min: 1, max: 500 }),
          fc.integer({ min: 1, max: 1000 }),
          (from0, to1, slew, perSecond) => {
            const config = ControlConfig.parse({
              variables: { x: { range: [0, 1], default: from0, slew: `${slew}ms` } },
              control_rate: `${perSecond}/s`,
            });
            const scheduler = new VirtualTimeScheduler();
            const source = new Subject<CommandEvent>();
            const out: ControlEvent[] = [];
            source.pipe(control(config, { scheduler })).subscribe((e) => out.push(e));
            source.next(cmd('cv', { name: 'x', value: to1 }));
            scheduler.flush();
            const steps = out.slice(1);
            expect(steps.at(-1)?.value).toBe(to1);
            if (from0 === to1) return;
            expect(steps.at(-1)?.ts).toBeCloseTo(slew, 6);
            const direction = Math.sign(to1 - from0);
            let last = from0;
            for (const step of steps) {
              expect(direction * (step.value - last)).toBeGreaterThanOrEqual(0);
              expect(direction * (to1 - step.value)).toBeGreaterThanOrEqual(0);
              last = step.value;
            }
            // One step per control period, the last one (within a microsecond) at `slew`.
            const stepMs = 1000 / perSecond;
            let n = 1;
            while (n * stepMs < slew - 1e-3) n++;
            expect(steps.length).toBe(n);
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});


describe('controlWithReplies', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const withReplies = (input: Record<string, unknown>) =>
    ControlConfig.parse({ variables: { cutoff: { default: 0.5 }, pitch: { range: [-5, 5], input: 'raw' } }, emit_defaults: false, ...input });
  const answered = (c: CommandEvent, text: string) => ({ port: CONTROL_REPLY_PORT, event: replyToChat(c.chat, text) });

  it('answers a locked variable on _reply, and passes changes on the default port', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const lock = mod({ subcommand: 'lock', name: 'cutoff' });
      const a = cmd('cv', { name: 'cutoff', value: 0.7 });
      const p = cmd('cv', { name: 'pitch', value: 2 });
      const source = hot('  -l-a-p-|', { l: lock, a, p });
      const sourceSubs = '  ^------!';
      const expected = '    ---r-c-|';
      expectObservable(source.pipe(controlWithReplies(withReplies({ reply: {} }), { scheduler: testScheduler }))).toBe(expected, {
        r: answered(a, '@viewer, cutoff is locked right now.'),
        c: { port: '', event: ctl('pitch', 2, 0, 'command', 5, 0, 'viewer') },
      });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('answers paused, unknown and (with out_of_range: refuse) out-of-range commands; confirms with reply.applied', () => {
    const config = withReplies({
      out_of_range: 'refuse',
      reply: { applied: '{{ user }} set {{ variable }} to {{ value }}', unknown_variable: 'no {{ variable }} ({{ variables }})' },
    });
    const drops = new NodeMetrics('cv', 'operator', 'control');
    const events = [
      cmd('cv', { name: 'cutoff', value: 7 }),
      cmd('cv', { name: 'pitch', value: -6 }),
      cmd('cv', { name: 'wobble', value: 0.5 }),
      cmd('cv', { name: 'cutoff', value: 0.7 }),
      mod({ subcommand: 'pause' }),
      cmd('cv', { name: 'pitch', value: 1 }),
      mod({ subcommand: 'reset', name: 'nope' }),
    ];
    const out: string[] = [];
    const scheduler = new VirtualTimeScheduler();
    from(events)
      .pipe(controlWithReplies(config, { scheduler, drops }))
      .subscribe((r) => out.push(r.event.kind === 'reply' ? `${r.port}: ${r.event.text}` : `${r.event.kind}`));
    scheduler.flush();
    expect(out).toEqual([
      '_reply: @viewer, 7 is out of range for cutoff.',
      '_reply: @viewer, -6 is out of range for pitch.',
      '_reply: no wobble (cutoff, pitch)',
      'control',
      '_reply: viewer set cutoff to 0.7',
      '_reply: @viewer, the mods paused the synth for now.',
      '_reply: no nope (cutoff, pitch)',
    ]);
    expect(drops.snapshot().dropped).toEqual({
      out_of_range: { count: 2, intentional: true },
      undeclared: { count: 1, intentional: true },
      paused: { count: 1, intentional: true },
      unknown_variable: { count: 1, intentional: true },
    });
  });

  it('never answers a vote, and says nothing without reply', () => {
    const vote = cmd('cv', { name: 'cutoff', value: 0.2, origin: 'vote' });
    const lock = mod({ subcommand: 'lock', name: 'cutoff' });
    const ports = (config: ControlConfig) => {
      const out: string[] = [];
      from([lock, vote, cmd('cv', { name: 'cutoff', value: 0.7 })])
        .pipe(controlWithReplies(config, { scheduler: new VirtualTimeScheduler() }))
        .subscribe((r) => out.push(r.port));
      return out;
    };
    // The vote is refused (locked) without an answer; the viewer's command gets one.
    expect(ports(withReplies({ reply: {} }))).toEqual(['_reply']);
    expect(ports(withReplies({}))).toEqual([]);
  });

  it('clamps out-of-range values by default', () => {
    expect(run(withReplies({}), [cmd('cv', { name: 'cutoff', value: 7 })]).map((e) => e.value)).toEqual([1]);
  });

  it('checks reply fields at validate time, and declares _reply only with reply', () => {
    const result = ControlConfig.safeParse({ reply: { locked: '{{ user }} {{ varaible }}' } });
    expect(result.success ? [] : result.error.issues.map((i) => i.message)).toEqual([
      'Unknown reply field "varaible"; use one of user, login, variable, value, variables, reason',
    ]);
    expect(controlComponent.ports(withReplies({ reply: {} }))).toEqual([CONTROL_REPLY_PORT]);
    expect(controlComponent.ports(withReplies({}))).toEqual([]);
  });
});


describe('control on_beat (quantize to the pipeline clock)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** cutoff lands on the next beat, wobble on the next bar; 120 BPM: a beat is 500 ms, a bar 2 s. */
  const onBeat = ControlConfig.parse({
    variables: {
      cutoff: { range: [0, 1], default: 0.5, on_beat: '1/4' },
      wobble: { range: [0, 1], default: 0, on_beat: 'bar' },
    },
  });
  const cutoffOnly = ControlConfig.parse({ variables: { cutoff: { range: [0, 1], default: 0.5, on_beat: '1/4' } } });
  const d = ctl('cutoff', 0.5, 0.5, 'default', 0, 0);
  const at = (ms: number) => ({ receivedAt: ms });
  /** A clock made inside `run`, so beat 0 is at virtual 0. */
  const clock120 = (): BeatClock => fixedClock(120, 4, testScheduler);

  it('lands a change on the next beat, the wait counted as heldMs', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(130));
      const source = hot('  130ms a 869ms |', { a });
      const sourceSubs = '  ^ 999ms       !';
      const expected = '    d 499ms A 499ms |';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe(expected, {
        d,
        A: waited(ctl('cutoff', 0.8, 0.5, 'command', 500, 130, 'viewer'), 370),
      });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('lands a bar variable on the next downbeat and the beat variable on the next beat', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'wobble', value: 1 }, at(700));
      const b = cmd('cv', { name: 'cutoff', value: 0 }, at(700));
      const source = hot('  700ms (ab) 1500ms |', { a, b });
      const expected = '    (cw) 996ms B 999ms W 203ms |';

      expectObservable(source.pipe(control(onBeat, { scheduler: testScheduler, beats: clock120() }))).toBe(expected, {
        c: d,
        w: ctl('wobble', 0, 0, 'default', 0, 0),
        B: waited(ctl('cutoff', 0, 0.5, 'command', 1000, 700, 'viewer'), 300),
        W: waited(ctl('wobble', 1, 0, 'command', 2000, 700, 'viewer'), 1300),
      });
    });
  });

  it('applies a change made exactly on a beat at once', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(500));
      const source = hot('  500ms a |', { a });
      const expected = '    d 499ms A |';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe(expected, {
        d,
        A: ctl('cutoff', 0.8, 0.5, 'command', 500, 500, 'viewer'),
      });
    });
  });

  it('replaces a change waiting for the beat with a newer one, counting it superseded', () => {
    const drops = new NodeMetrics('cv', 'operator', 'control');
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.1 }, at(100));
      const b = cmd('cv', { name: 'cutoff', value: 0.9 }, at(200));
      const source = hot('  100ms a 99ms b 499ms |', { a, b });
      const expected = '    d 499ms B 199ms |';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), drops }))).toBe(
        expected,
        { d, B: waited(ctl('cutoff', 0.9, 0.5, 'command', 500, 200, 'viewer'), 300) },
      );
    });
    expect(drops.snapshot().dropped).toEqual({ superseded: { count: 1, intentional: true } });
  });

  it('panics at once, dropping the change that waited for the beat', () => {
    const drops = new NodeMetrics('cv', 'operator', 'control');
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.1 }, at(100));
      const p = mod({ subcommand: 'panic' });
      const source = hot('  100ms a 199ms p 499ms |', { a, p });
      const expected = '    d 299ms P 499ms |';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), drops }))).toBe(
        expected,
        { d, P: ctl('cutoff', 0.5, 0.5, 'panic', 300, 0, 'moddy') },
      );
    });
    expect(drops.snapshot().dropped).toEqual({ superseded: { count: 1, intentional: true } });
  });

  it('starts a slew at the beat', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const config = ControlConfig.parse({
        variables: { cutoff: { range: [0, 1], default: 0.5, on_beat: '1/8', slew: '20ms' } },
      });
      const a = cmd('cv', { name: 'cutoff', value: 1 }, at(100));
      const source = hot('  100ms a 299ms |', { a });
      // 1/8: half a beat, 250 ms; the ramp's two steps at 260 and 270.
      const expected = '    d 259ms A 9ms B 129ms |';

      expectObservable(source.pipe(control(config, { scheduler: testScheduler, beats: clock120() }))).toBe(expected, {
        d,
        A: held(ctl('cutoff', 0.75, 0.5, 'command', 260, 100, 'viewer'), 160),
        B: step('cutoff', 1, 0.75, 270, 100, 170, 'viewer'),
      });
    });
  });

  it('applies changes at once without a clock, and while the clock has no grid', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(130));
      const source = hot('  130ms a |', { a });
      const expected = '    d 129ms A |';
      const values = { d, A: ctl('cutoff', 0.8, 0.5, 'command', 130, 130, 'viewer') };
      const lost: BeatClock = { grid: () => undefined, beats$: NEVER };

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler }))).toBe(expected, values);
      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: lost }))).toBe(expected, values);
    });
  });

  it('completes only after the change waiting for its beat has landed', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(100));
      const source = hot('  100ms a 99ms |', { a });
      const sourceSubs = '  ^ 199ms      !';
      const expected = '    d 499ms (A|)';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe(expected, {
        d,
        A: waited(ctl('cutoff', 0.8, 0.5, 'command', 500, 100, 'viewer'), 400),
      });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('emits only the defaults and never completes when the source never does', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>('-');
      const sourceSubs = '  ^';
      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe('d', { d });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('emits the defaults and completes when the source is empty', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatflowEvent>('|');
      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe('(d|)', { d });
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('forwards a source error at once, dropping the waiting change', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(130));
      const source = hot('  130ms a 19ms #', { a }, new Error('boom'));
      const sourceSubs = '  ^ 149ms     !';
      const expected = '    d 149ms #';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe(
        expected,
        { d },
        new Error('boom'),
      );
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps landing changes from an infinite source, one per beat', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.25 }, at(0));
      const b = cmd('cv', { name: 'cutoff', value: 0.75 }, at(0));
      const source = hot('  100ms a 499ms b 499ms a', { a, b });
      const expected = '    d 499ms A 499ms B 499ms C';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() }))).toBe(expected, {
        d,
        A: waited(ctl('cutoff', 0.25, 0.5, 'command', 500, 0, 'viewer'), 400),
        B: waited(ctl('cutoff', 0.75, 0.25, 'command', 1000, 0, 'viewer'), 400),
        C: waited(ctl('cutoff', 0.25, 0.75, 'command', 1500, 0, 'viewer'), 400),
      });
    });
  });

  it('drops the waiting change when the result is unsubscribed before the beat', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(100));
      const source = hot('  100ms a 899ms |', { a });
      const sourceSubs = '  ^ 299ms !';
      const unsub = '       ^ 299ms !';
      const expected = '    d';

      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() })), unsub).toBe(
        expected,
        { d },
      );
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('keeps waiting changes per subscription', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(100));
      const source = hot('  100ms a 999ms |', { a });
      const op = control(cutoffOnly, { scheduler: testScheduler, beats: clock120() });
      expectObservable(source.pipe(op)).toBe('d 499ms A 599ms |', {
        d,
        A: waited(ctl('cutoff', 0.8, 0.5, 'command', 500, 100, 'viewer'), 400),
      });
      // Subscribed after the command: its own defaults, nothing waiting.
      expectObservable(source.pipe(op), '200ms ^').toBe('200ms d 899ms |', {
        d: ctl('cutoff', 0.5, 0.5, 'default', 200, 200),
      });
    });
  });

  it('reads the clock from the BEAT_CLOCK service', () => {
    const scheduler = new VirtualTimeScheduler();
    const base = testContext({ type: 'control', scheduler });
    const beats = fixedClock(120, 4, scheduler);
    const ctx = { ...base, resources: { ...base.resources, services: new Services([provide(BEAT_CLOCK, beats)]) } };
    const out: ControlEvent[] = [];
    const source = new Subject<ChatflowEvent>();
    source.pipe(controlComponent.create(cutoffOnly, ctx)).subscribe((r) => out.push(r.event as ControlEvent));
    scheduler.schedule(() => {
      source.next(cmd('cv', { name: 'cutoff', value: 0.8 }));
      expect(out.map((e) => e.origin)).toEqual(['default']);
    }, 100);
    scheduler.flush();
    expect(out.map((e) => [e.origin, e.value, e.ts])).toEqual([
      ['default', 0.5, 0],
      ['command', 0.8, 500],
    ]);
  });

  it('reads on_beat 1 (a YAML number) as a whole note, and refuses other values', () => {
    expect(VariableConfig.parse(parseYaml('{ on_beat: 1 }')).on_beat).toBe('1');
    expect(VariableConfig.parse(parseYaml('{ on_beat: 1/4 }')).on_beat).toBe('1/4');
    expect(VariableConfig.safeParse(parseYaml('{ on_beat: 3/4 }')).success).toBe(false);
  });
});

describe('control on_beat, announced early (DUE_CHANGES)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const cutoffOnly = ControlConfig.parse({ variables: { cutoff: { range: [0, 1], default: 0.5, on_beat: '1/4' } } });
  const d = ctl('cutoff', 0.5, 0.5, 'default', 0, 0);
  const at = (ms: number) => ({ receivedAt: ms });
  const clock120 = (): BeatClock => fixedClock(120, 4, testScheduler);

  /** An announcer whose announcements (`due`, with their grid point) and withdrawals are a hot stream. */
  function recorder() {
    const heard$ = new Subject<{ readonly kind: 'due' | 'withdrawn'; readonly change: ControlEvent; readonly dueAt?: number }>();
    const announced: ControlEvent[] = [];
    const due: DueAnnouncer = {
      announce: (change, dueAt) => {
        announced.push(change);
        heard$.next({ kind: 'due', change, dueAt });
      },
      withdraw: (change) => heard$.next({ kind: 'withdrawn', change }),
    };
    return { heard$, announced, due };
  }

  it('announces a change when it is decided, with its beat, and emits the same event at the beat', () => {
    const { heard$, announced, due } = recorder();
    const out: ControlEvent[] = [];
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(130));
      const source = hot('  130ms a 869ms |', { a });
      const sourceSubs = '  ^ 999ms       !';
      const expected = '    d 499ms A 499ms |';
      const heard = '       130ms h';
      const A = waited(ctl('cutoff', 0.8, 0.5, 'command', 500, 130, 'viewer'), 370);

      const result = source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due }));
      expectObservable(result.pipe(tap((e) => out.push(e)))).toBe(expected, { d, A });
      expectObservable(heard$).toBe(heard, { h: { kind: 'due', change: A, dueAt: 500 } });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
    // The very object: an output that released it at the beat knows it when it arrives.
    expect(out[1]).toBe(announced[0]);
  });

  it('emits at the beat exactly what it emits without announcing (ids aside)', () => {
    const plain: ControlEvent[] = [];
    const early: ControlEvent[] = [];
    testScheduler.run(({ hot }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.1 }, at(100));
      const b = cmd('cv', { name: 'cutoff', value: 0.9 }, at(700));
      const source = hot('  100ms a 599ms b 999ms |', { a, b });
      source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120() })).subscribe((e) => plain.push(e));
      source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due: recorder().due })).subscribe((e) => early.push(e));
    });
    expect(early).toEqual(plain);
  });

  it('withdraws a change a newer one supersedes, and announces the newer one', () => {
    const { heard$, due } = recorder();
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.1 }, at(100));
      const b = cmd('cv', { name: 'cutoff', value: 0.9 }, at(200));
      const source = hot('  100ms a 99ms b 499ms |', { a, b });
      const A = waited(ctl('cutoff', 0.1, 0.5, 'command', 500, 100, 'viewer'), 400);
      const B = waited(ctl('cutoff', 0.9, 0.5, 'command', 500, 200, 'viewer'), 300);
      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due }))).toBe(
        'd 499ms B 199ms |',
        { d, B },
      );
      expectObservable(heard$).toBe('100ms a 99ms (wb)', {
        a: { kind: 'due', change: A, dueAt: 500 },
        w: { kind: 'withdrawn', change: A },
        b: { kind: 'due', change: B, dueAt: 500 },
      });
    });
  });

  it('withdraws the waiting change before a panic emits the default', () => {
    const { heard$, due } = recorder();
    const order: string[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.1 }, at(100));
      const p = mod({ subcommand: 'panic' });
      const source = hot('  100ms a 199ms p 499ms |', { a, p });
      const A = waited(ctl('cutoff', 0.1, 0.5, 'command', 500, 100, 'viewer'), 400);
      heard$.subscribe((h) => order.push(h.kind));
      const result = source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due }));
      expectObservable(result.pipe(tap((e) => order.push(e.origin)))).toBe('d 299ms P 499ms |', {
        d,
        P: ctl('cutoff', 0.5, 0.5, 'panic', 300, 0, 'moddy'),
      });
      expectObservable(heard$).toBe('100ms a 199ms w', {
        a: { kind: 'due', change: A, dueAt: 500 },
        w: { kind: 'withdrawn', change: A },
      });
    });
    expect(order).toEqual(['default', 'due', 'withdrawn', 'panic']);
  });

  it('withdraws the waiting change when the result is unsubscribed before the beat', () => {
    const { heard$, due } = recorder();
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.8 }, at(100));
      const source = hot('  100ms a 899ms |', { a });
      const sourceSubs = '  ^ 299ms !';
      const unsub = '       ^ 299ms !';
      const A = waited(ctl('cutoff', 0.8, 0.5, 'command', 500, 100, 'viewer'), 400);
      expectObservable(source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due })), unsub).toBe('d', {
        d,
      });
      expectObservable(heard$).toBe('100ms a 199ms w', {
        a: { kind: 'due', change: A, dueAt: 500 },
        w: { kind: 'withdrawn', change: A },
      });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
    });
  });

  it('emits an announced change whose beat passed while its timer was late before a newer one, instead of dropping it', () => {
    const { heard$, due } = recorder();
    const drops = new NodeMetrics('cv', 'operator', 'control');
    testScheduler.run(({ hot, expectObservable }) => {
      // A busy main loop: every timer fires 30 ms after it is due.
      const busy = {
        now: () => testScheduler.now(),
        schedule: (work: () => void, delay = 0) => testScheduler.schedule(work, delay + 30),
      } as SchedulerLike;
      const a = cmd('cv', { name: 'cutoff', value: 0.1 }, at(100));
      const b = cmd('cv', { name: 'cutoff', value: 0.9 }, at(510));
      const source = hot('  100ms a 409ms b 599ms |', { a, b });
      const A = waited(ctl('cutoff', 0.1, 0.5, 'command', 500, 100, 'viewer'), 400);
      const B = waited(ctl('cutoff', 0.9, 0.1, 'command', 1000, 510, 'viewer'), 490);
      // A at 510 (its beat was 500; the stage sent it then), B on its beat's late timer.
      expectObservable(source.pipe(control(cutoffOnly, { scheduler: busy, beats: fixedClock(120, 4, testScheduler), due, drops }))).toBe(
        'd 509ms A 519ms B 79ms |',
        { d, A, B },
      );
      expectObservable(heard$).toBe('100ms a 409ms b', {
        a: { kind: 'due', change: A, dueAt: 500 },
        b: { kind: 'due', change: B, dueAt: 1000 },
      });
    });
    expect(drops.snapshot().dropped).toEqual({});
  });

  it('does not announce a change with a slew (it starts from wherever the value is at the beat), nor one applied at once', () => {
    const { heard$, due } = recorder();
    testScheduler.run(({ hot, expectObservable }) => {
      const config = ControlConfig.parse({
        variables: {
          cutoff: { range: [0, 1], default: 0.5, on_beat: '1/8', slew: '20ms' },
          pitch: { range: [0, 1], default: 0 },
        },
      });
      const a = cmd('cv', { name: 'cutoff', value: 1 }, at(100));
      const b = cmd('cv', { name: 'pitch', value: 1 }, at(100));
      const source = hot('  100ms (ab) 299ms |', { a, b });
      source.pipe(control(config, { scheduler: testScheduler, beats: clock120(), due })).subscribe();
      expectObservable(heard$).toBe('');
    });
  });

  it('announces from a never-ending source, one change per beat, and nothing from one that never emits', () => {
    const { heard$, due } = recorder();
    testScheduler.run(({ hot, cold, expectObservable }) => {
      const a = cmd('cv', { name: 'cutoff', value: 0.25 }, at(0));
      const b = cmd('cv', { name: 'cutoff', value: 0.75 }, at(0));
      const source = hot('  100ms a 499ms b 499ms a', { a, b });
      source.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due })).subscribe();
      expectObservable(heard$.pipe(map((h) => `${h.kind}@${h.dueAt}`))).toBe('100ms x 499ms y 499ms z', {
        x: 'due@500',
        y: 'due@1000',
        z: 'due@1500',
      });
      const never = cold<ChatflowEvent>('-');
      expectObservable(never.pipe(control(cutoffOnly, { scheduler: testScheduler, beats: clock120(), due }))).toBe('d', { d });
    });
  });

  it('reads the announcer from the DUE_CHANGES service, by node id', () => {
    const scheduler = new VirtualTimeScheduler();
    const base = testContext({ type: 'control', scheduler });
    const hub = new DueChanges();
    const services = new Services([provide(BEAT_CLOCK, fixedClock(120, 4, scheduler)), provide(DUE_CHANGES, hub)]);
    const ctx = { ...base, resources: { ...base.resources, services } };
    const heard: string[] = [];
    hub.listen({ due: (node, _change, dueAt) => heard.push(`${node}@${dueAt}`), withdrawn: () => {} });
    const out: ControlEvent[] = [];
    const source = new Subject<ChatflowEvent>();
    source.pipe(controlComponent.create(cutoffOnly, ctx)).subscribe((r) => out.push(r.event as ControlEvent));
    scheduler.schedule(() => source.next(cmd('cv', { name: 'cutoff', value: 0.8 })), 100);
    scheduler.flush();
    expect(heard).toEqual([`${ctx.id}@500`]);
    expect(out.map((e) => [e.origin, e.ts, hub.isAnnounced(e)])).toEqual([
      ['default', 0, false],
      ['command', 500, true],
    ]);
  });
});

describe('fixedClock', () => {
  it('ticks every beat at drift-free times from when it was made', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const clock = fixedClock(120, 4, testScheduler);
      expectObservable(clock.beats$, '^ 1200ms !').toBe('a 499ms b 499ms c', {
        a: { at: 0, beat: 0, bpm: 120, beatsPerBar: 4 },
        b: { at: 500, beat: 1, bpm: 120, beatsPerBar: 4 },
        c: { at: 1000, beat: 2, bpm: 120, beatsPerBar: 4 },
      });
      // Subscribed between beats: from the next one.
      expectObservable(clock.beats$, '600ms ^ 500ms !').toBe('1000ms c', { c: { at: 1000, beat: 2, bpm: 120, beatsPerBar: 4 } });
    });
  });
});
