import fc from 'fast-check';
import { from } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { HUGE_COMMAND_LINES } from '../../../test/fixtures/adversarial.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandArg, CommandEvent, ReplyEvent, Role } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { formatDuration } from '../../core/units.js';
import { formatNote } from '../shared/music.js';
import { PARSE_COMMAND_PORTS, ParseCommandConfig, parseCommand, parseCommandComponent } from './index.js';

const { invalid: INVALID, reply: REPLY, unmatched: UNMATCHED } = PARSE_COMMAND_PORTS;

const to = (port: string, event: ChatflowEvent): Routed => ({ port, event });
const command = (c: ChatEvent, name: string, args: Record<string, CommandArg>): CommandEvent => ({
  kind: 'command',
  name,
  args,
  chat: c,
  receivedAt: c.receivedAt,
});
const reply = (c: ChatEvent, text: string): ReplyEvent => ({
  kind: 'reply',
  platform: c.platform,
  channel: c.channel,
  text,
  replyTo: c.id,
  viewer: { id: c.author.id, login: c.author.login, roles: c.author.roles },
  receivedAt: c.receivedAt,
});

const cvOnly = ParseCommandConfig.parse({ commands: { cv: { args: ['name', 'value:number(0..1)'] } } });
const CV_USAGE = 'usage: !cv <name> <value 0–1>';

const full = ParseCommandConfig.parse({
  prefix: ['!', '??'],
  commands: {
    cv: {
      args: ['name', 'value:number(0..1)'],
      subcommands: {
        panic: { roles: ['mod'], aliases: ['stop'] },
        reset: { args: ['name'], roles: ['mod'] },
      },
    },
    pitch: { aliases: ['p'], args: ['note:note(C2..C6)'] },
    wave: { args: ['mode:enum(sine|saw|square)'], reply: '{user} picked {args.mode} ({count} so far)' },
    level: { reply: 'cutoff is at {var.cutoff}, you said "{args}"' },
    say: { args: ['target:user', 'message:rest'], roles: ['vip'] },
    delay: { args: ['time:duration(0ms..10s)', 'amount:percent?', 'n:integer(1..16)?'] },
  },
});

/** Runs events through the operator synchronously and returns what came out. */
function run(
  config: ParseCommandConfig,
  events: readonly ChatflowEvent[],
  deps: Parameters<typeof parseCommand>[1] = {},
): Routed[] {
  const out: Routed[] = [];
  from(events)
    .pipe(parseCommand(config, deps))
    .subscribe((r) => out.push(r));
  return out;
}
/** The command event of a result (fails the test when there is none). */
function commandOf(out: readonly Routed[]): CommandEvent {
  const event = out[0]?.event;
  if (event?.kind !== 'command') throw new Error(`expected a command, got ${JSON.stringify(out)}`);
  return event;
}
const one = (config: ParseCommandConfig, text: string, roles: readonly Role[] = []): Routed[] =>
  run(config, [chat(text, { roles })]);

const a = chat('!cv cutoff 0.7');
const b = chat('hello');
const c = chat('!CV cutoff 2');
const values = { a, b, c };
const routed = {
  x: to('cv', command(a, 'cv', { name: 'cutoff', value: 0.7 })),
  u: to(UNMATCHED, b),
  i: to(INVALID, reply(c, `value takes a number 0–1 (${CV_USAGE})`)),
};

describe('parseCommand', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe('marbles', () => {
    it('sends commands to their port, other chat to _unmatched and bad commands to _invalid', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-|', values);
        const sourceSubs = '  ^------!';
        const expected = '    -x-u-i-|';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected, routed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('never emits and never completes when the source never does', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>(' -');
        const sourceSubs = '  ^';
        const expected = '    -';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes when the source is empty', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>(' |');
        const sourceSubs = '  (^!)';
        const expected = '    |';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards a source error', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-#', values, new Error('boom'));
        const sourceSubs = '  ^----!';
        const expected = '    -x-u-#';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected, routed, new Error('boom'));
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps parsing an infinite source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-a-b-c-', values);
        const sourceSubs = '  ^';
        const expected = '    -x-u-i-x-u-i-';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected, routed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('unsubscribes from the source when the result is unsubscribed', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-a-|', values);
        const sourceSubs = '  ^----!    ';
        const unsub = '       -----!    ';
        const expected = '    -x-u-     ';

        expectObservable(source.pipe(parseCommand(cvOnly)), unsub).toBe(expected, routed);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('keeps {count} per subscription', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const w = chat('!wave saw');
        const config = ParseCommandConfig.parse({
          commands: { wave: { args: ['mode:enum(sine|saw|square)'], reply: '#{count}' } },
        });
        const source = hot('   -w-----w-----w-----|', { w });
        const sourceSubs = [' ^------------------!', ' -----^-------------!'];
        const sub1 = '         ^';
        const sub2 = '         -----^';
        const expected1 = '    -(cA)--(cB)--(cC)--|';
        const expected2 = '    -------(cA)--(cB)--|';
        const marks = {
          c: to('wave', command(w, 'wave', { mode: 'saw' })),
          A: to(REPLY, reply(w, '#1')),
          B: to(REPLY, reply(w, '#2')),
          C: to(REPLY, reply(w, '#3')),
        };

        const result = source.pipe(parseCommand(config));
        expectObservable(result, sub1).toBe(expected1, marks);
        expectObservable(result, sub2).toBe(expected2, marks);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('errors the stream when the injected variables lookup throws', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const l = chat('!level');
        const config = ParseCommandConfig.parse({ commands: { level: { reply: '{var.cutoff}' } } });
        const variables = () => {
          throw new Error('lookup broke');
        };
        const source = hot('  -b-l-b-|', { b, l });
        const sourceSubs = '  ^--!    ';
        const expected = '    -u-(L#) ';

        expectObservable(source.pipe(parseCommand(config, { variables }))).toBe(
          expected,
          { u: to(UNMATCHED, b), L: to('level', command(l, 'level', {})) },
          new Error('lookup broke'),
        );
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it("sends the bot's own messages to _unmatched, even when they read as a command", () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const own = chat('!cv cutoff 0.7', { user: 'thebot', self: true });
        const source = hot('  -o-a-|', { o: own, a });
        const sourceSubs = '  ^----!';
        const expected = '    -O-x-|';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected, {
          O: to(UNMATCHED, own),
          x: routed.x,
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('sends non-chat events and backfilled history to _unmatched', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const old = chat('!cv cutoff 0.7', { backfill: true });
        const cmd = command(a, 'cv', { name: 'cutoff', value: 0.7 });
        const source = hot('  -o-k-|', { o: old, k: cmd });
        const sourceSubs = '  ^----!';
        const expected = '    -O-K-|';

        expectObservable(source.pipe(parseCommand(cvOnly))).toBe(expected, {
          O: to(UNMATCHED, old),
          K: to(UNMATCHED, cmd),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });
  });

  describe('commands', () => {
    it('matches names and aliases case-insensitively, after any prefix, and emits the canonical name', () => {
      for (const text of ['!pitch C4', '!PITCH c4', '??p C4', '  !P C4']) {
        const out = one(full, text);
        expect(out[0]?.port).toBe('pitch');
        expect(commandOf(out).name).toBe('pitch');
        expect(commandOf(out).args).toEqual({ note: 60 });
      }
    });

    it('sends unknown commands, a bare prefix and a space after the prefix to _unmatched', () => {
      for (const text of ['!nope 1', '!', '! cv cutoff 0.5', '?cv cutoff 0.5', 'cv cutoff 0.5', '']) {
        expect(one(full, text).map((r) => r.port)).toEqual([UNMATCHED]);
      }
    });

    it('ignores words past the last arg, Unicode spaces and the invisible tag characters clients append', () => {
      expect(one(cvOnly, '!cv cutoff 0.5 please')[0]?.event).toMatchObject({ args: { name: 'cutoff', value: 0.5 } });
      expect(one(cvOnly, '!cv\u3000cutoff\u00a00.5 \u{E0000}')[0]?.event).toMatchObject({
        args: { name: 'cutoff', value: 0.5 },
      });
      expect(one(cvOnly, '!cv cutoff \u{E0000}')[0]).toEqual(
        to(INVALID, reply(chat('!cv cutoff \u{E0000}'), CV_USAGE)),
      );
    });

    it('answers a missing arg with the usage line and counts it', () => {
      const drops = new NodeMetrics('cmds', 'operator', 'parse_command');
      const c1 = chat('!cv cutoff');
      expect(run(cvOnly, [c1], { drops })).toEqual([to(INVALID, reply(c1, CV_USAGE))]);
      expect(drops.snapshot().dropped).toEqual({ missing_args: { count: 1, intentional: true } });
    });

    it('routes subcommands to the parent port with args.subcommand, and checks their roles', () => {
      const mod = one(full, '!cv reset Cutoff', ['mod']);
      expect(mod).toEqual([
        to('cv', command(chat('!cv reset Cutoff', { roles: ['mod'] }), 'cv', { name: 'Cutoff', subcommand: 'reset' })),
      ]);
      expect(one(full, '!cv STOP', ['broadcaster'])[0]?.event).toMatchObject({ args: { subcommand: 'panic' } });
      expect(one(full, '!cv panic')[0]).toEqual(
        to(INVALID, reply(chat('!cv panic'), 'only the broadcaster or mods can use !cv panic')),
      );
      expect(one(full, '!cv reset', ['mod'])[0]?.event).toMatchObject({ text: 'usage: !cv reset <name>' });
      const inherits = ParseCommandConfig.parse({ commands: { cv: { roles: ['vip'], subcommands: { panic: {} } } } });
      expect(one(inherits, '!cv panic')[0]).toEqual(
        to(INVALID, reply(chat('!cv panic'), 'only the broadcaster or VIPs can use !cv panic')),
      );
      // A first word that is no subcommand is the parent's first arg.
      expect(one(full, '!cv resetx 0.5')[0]?.event).toMatchObject({ args: { name: 'resetx', value: 0.5 } });
    });

    it('refuses a command to authors without one of its roles, and counts it', () => {
      const drops = new NodeMetrics('cmds', 'operator', 'parse_command');
      const viewer = chat('!say @Ann hi there');
      const vip = chat('!say @Ann hi there  ', { roles: ['vip'] });
      expect(run(full, [viewer, vip], { drops })).toEqual([
        to(INVALID, reply(viewer, 'only the broadcaster or VIPs can use !say')),
        to('say', command(vip, 'say', { target: 'ann', message: 'hi there' })),
      ]);
      expect(drops.snapshot().dropped).toEqual({ forbidden: { count: 1, intentional: true } });
    });

    it('fills optional args when given and leaves them out otherwise', () => {
      expect(one(full, '!delay 2s')[0]?.event).toMatchObject({ args: { time: 2000 } });
      expect(commandOf(one(full, '!delay 2s')).args).toEqual({ time: 2000 });
      expect(one(full, '!delay 1.5s 80% 4')[0]?.event).toMatchObject({ args: { time: 1500, amount: 0.8, n: 4 } });
      expect(one(full, '!delay 20s')[0]?.event).toMatchObject({
        text: 'time takes a duration 0ms–10s (usage: !delay <time 0ms–10s> [amount 0–100%] [n 1–16])',
      });
    });

    it.each<[string, string, CommandArg | undefined]>([
      ['value:number', '0.7', 0.7],
      ['value:number', '-3', -3],
      ['value:number', '.5', 0.5],
      ['value:number', '0,25', 0.25],
      ['value:number', '\u22122', -2],
      ['value:number', '1e3', 1000],
      ['value:number', '0x10', undefined],
      ['value:number', 'Infinity', undefined],
      ['value:number', 'NaN', undefined],
      ['value:number', '1e999', undefined],
      ['value:number', '1.2.3', undefined],
      ['value:number(0..1)', '1.01', undefined],
      ['value:number(..0)', '-5', -5],
      ['value:number(0..)', '-5', undefined],
      ['n:integer(1..16)', '16', 16],
      ['n:integer(1..16)', '17', undefined],
      ['n:integer', '2.5', undefined],
      ['n:integer', '99999999999999999', undefined],
      ['mode:enum(sine|saw|Square)', 'SQUARE', 'Square'],
      ['mode:enum(sine|saw|square)', 'tri', undefined],
      ['amount:percent', '80%', 0.8],
      ['amount:percent', '80', 0.8],
      ['amount:percent', '101%', undefined],
      ['amount:percent(-50..200)', '150%', 1.5],
      ['note:note', 'C4', 60],
      ['note:note', 'F#3', 54],
      ['note:note', 'Bb2', 46],
      ['note:note', 'bb2', 46],
      ['note:note', 'E♭4', 63],
      ['note:note', 'C-1', 0],
      ['note:note', 'G9', 127],
      ['note:note', 'G#9', undefined],
      ['note:note', '69', 69],
      ['note:note', '128', undefined],
      ['note:note', 'H2', undefined],
      ['note:note(C2..C6)', 'C7', undefined],
      ['time:duration', '80ms', 80],
      ['time:duration', '2S', 2000],
      ['time:duration', '5m', 300_000],
      ['time:duration', '2', undefined],
      ['target:user', '@SomeOne_1', 'someone_1'],
      ['target:user', 'someone.else', 'someone.else'],
      ['target:user', '@', undefined],
      ['target:user', '@a/b', undefined],
      ['flag:boolean', 'ON', true],
      ['flag:boolean', 'no', false],
      ['flag:boolean', 'maybe', undefined],
      ['word', 'Hello', 'Hello'],
    ])('parses %s from "%s"', (spec, word, expected) => {
      const config = ParseCommandConfig.parse({ commands: { t: { args: [spec] } } });
      const [out] = one(config, `!t ${word}`);
      if (expected === undefined) expect(out?.port).toBe(INVALID);
      else expect(out).toMatchObject({ port: 't', event: { args: { [spec.split(':')[0] as string]: expected } } });
    });

    it('accepts args in object form', () => {
      const config = ParseCommandConfig.parse({
        commands: { t: { args: [{ name: 'note', type: 'note', min: 'C3', max: 72 }, { name: 'x', optional: true }] } },
      });
      expect(one(config, '!t C5')[0]?.event).toMatchObject({ args: { note: 72 } });
      expect(one(config, '!t B2')[0]?.event).toMatchObject({
        text: 'note takes a note C3–C5 (usage: !t <note C3–C5> [x])',
      });
    });
  });

  it('drops a malformed event (counted) and goes on', () => {
    const drops = new NodeMetrics('cmds', 'operator', 'parse_command');
    const broken = { ...chat('!cv cutoff 0.5'), author: undefined, text: undefined } as unknown as ChatEvent;
    expect(run(cvOnly, [broken, a], { drops })).toEqual([routed.x]);
    expect(drops.snapshot().dropped).toEqual({ error: { count: 1, intentional: false } });
  });

  describe('replies', () => {
    it('sends a rendered reply to _reply after the command', () => {
      const w = { ...chat('!wave SAW'), author: { ...chat('').author, displayName: 'Ann' } };
      expect(run(full, [w, w])).toEqual([
        to('wave', command(w, 'wave', { mode: 'saw' })),
        to(REPLY, reply(w, 'Ann picked saw (1 so far)')),
        to('wave', command(w, 'wave', { mode: 'saw' })),
        to(REPLY, reply(w, 'Ann picked saw (2 so far)')),
      ]);
    });

    it('renders {var.x} from the injected lookup, and "?" without one', () => {
      const l = chat('!level  up please ');
      const variables = (name: string) => (name === 'cutoff' ? 0.12345 : undefined);
      expect(run(full, [l], { variables })[1]).toEqual(to(REPLY, reply(l, 'cutoff is at 0.123, you said "up please"')));
      expect(run(full, [l])[1]).toEqual(to(REPLY, reply(l, 'cutoff is at ?, you said "up please"')));
    });

    it('takes {{ field }} placeholders as well as {field}', () => {
      const config = ParseCommandConfig.parse({ commands: { wave: { args: ['mode:enum(sine|saw)'], reply: '{{ user }} picked {{args.mode}} ({count})' } } });
      const w = chat('!wave saw');
      expect(run(config, [w])[1]).toEqual(to(REPLY, reply(w, 'viewer picked saw (1)')));
      expect(ParseCommandConfig.safeParse({ commands: { x: { reply: '{{ nobody }}' } } }).success).toBe(false);
    });

    it('never lets chat text start a reply with a chat command', () => {
      const config = ParseCommandConfig.parse({ commands: { echo: { args: ['text:rest'], reply: '{args}' } } });
      const e = chat('!echo /ban streamer');
      expect(run(config, [e])[1]).toEqual(to(REPLY, reply(e, 'ban streamer')));
    });
  });

  describe('config', () => {
    const issues = (input: unknown) => {
      const result = ParseCommandConfig.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };

    it('defaults the prefix to "!"', () => {
      expect(ParseCommandConfig.parse({ commands: { cv: {} } }).prefix).toBe('!');
    });

    it('explains a mistyped arg type with a suggestion', () => {
      expect(issues({ commands: { cv: { args: ['name', 'value:nubmer'] } } })).toEqual([
        'commands.cv.args.1: Arg "value" has unknown type "nubmer"; did you mean "number"? (types: string, number, integer, enum, percent, note, duration, user, rest, boolean)',
      ]);
    });

    it.each([
      [{ cv: { args: ['value:number(1..0)'] } }, 'commands.cv.args.0: Arg "value": min is greater than max'],
      [{ cv: { args: ['value:number(1)'] } }, 'commands.cv.args.0: Arg "value": expected a range like (0..1), got (1)'],
      [{ cv: { args: ['m:enum()'] } }, 'commands.cv.args.0: Arg "m": enum value "" must be one word'],
      [{ cv: { args: ['m:enum'] } }, 'commands.cv.args.0: Arg "m": an enum needs its values, as in m:enum(a|b|c)'],
      [{ cv: { args: ['m:enum(a|A)'] } }, 'commands.cv.args.0: Arg "m": enum value "A" is listed twice'],
      [{ cv: { args: ['origin'] } }, 'commands.cv.args.0: Arg name "origin" is reserved; pick another'],
      [{ cv: { args: ['s:string(1..3)'] } }, 'commands.cv.args.0: Arg "s": type string takes no parameters'],
      [{ cv: { args: ['n:note(C2..X)'] } }, 'commands.cv.args.0: Arg "n": max "X" is not a valid note'],
      [{ cv: { args: ['x', 'x'] } }, 'commands.cv.args.1: Arg "x" is declared twice'],
      [{ cv: { args: ['x?', 'y'] } }, 'commands.cv.args.1: Required arg "y" cannot follow an optional one; put optional args last'],
      [{ cv: { args: ['m:rest', 'y'] } }, 'commands.cv.args.0: Arg "m" takes the rest of the line, so it must be the last arg'],
      [{ cv: { args: ['n:number(0..1'] } }, 'commands.cv.args.0: Arg "n:number(0..1": missing ")" after the type\'s parameters'],
      [{ cv: { reply: 'hi {nobody}' } }, 'commands.cv.reply: Unknown placeholder {nobody}; use {user}, {login}, {args}, {count}, {var.<variable>}'],
      [{ a: { aliases: ['x'] }, b: { aliases: ['x'] } }, 'commands.b.aliases.0: "x" is already used by command "a"'],
      [{ a: { aliases: ['b'] }, b: {} }, 'commands.b: "b" is already used by command "a"'],
      [{ CV: {} }, 'commands.CV: A command name is lower-case letters, digits, `_` and `-`, at most 32 (chat matches it case-insensitively)'],
      [{}, 'commands: Declare at least one command'],
    ])('rejects %j', (commands, message) => {
      expect(issues({ commands })).toContain(message);
    });
  });

  describe('component', () => {
    it('parses its examples and lists a port per command plus the side ports', () => {
      for (const example of parseCommandComponent.examples) {
        const config = parseCommandComponent.config.parse(parseYaml(example));
        expect(parseCommandComponent.ports(config)).toContain(PARSE_COMMAND_PORTS.unmatched);
      }
      expect(parseCommandComponent.ports(cvOnly)).toEqual(['cv', '_invalid', '_reply', '_unmatched']);
      expect(parseCommandComponent.mirrorToDefault).toBe(true);
    });

    it('counts drops in the node metrics', () => {
      const ctx = testContext({ type: 'parse_command' });
      from([chat('!cv x 5')])
        .pipe(parseCommandComponent.create(cvOnly, ctx))
        .subscribe();
      expect(ctx.metrics.snapshot().dropped).toEqual({ invalid_args: { count: 1, intentional: true } });
    });

    it('declares the port it sends refused commands to, and that its other ports are command names', () => {
      const ports: string[] = [];
      from([chat('!cv x 5'), chat('!cv cutoff 0.5'), chat('hello')])
        .pipe(parseCommandComponent.create(cvOnly, testContext({ type: 'parse_command' })))
        .subscribe((routed) => ports.push(routed.port));
      expect(ports).toEqual([PARSE_COMMAND_PORTS.invalid, 'cv', PARSE_COMMAND_PORTS.unmatched]);
      expect(parseCommandComponent.metricRoles).toEqual({ rejectedPort: ports[0], commandPorts: true });
      const named = parseCommandComponent.ports(cvOnly).filter((port) => !port.startsWith('_'));
      expect(named).toEqual(Object.keys(cvOnly.commands));
    });
  });

  describe('properties', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.constantFrom('!', '!!', '??', '\u{E0000}', '\uDB40', '\uDC00', '\u0000', '%', '@', '..', '(', '|', '1e309', '-', '.'),
      fc.constantFrom('cv', 'CV', 'p', 'pitch', 'wave', 'say', 'delay', 'level', 'reset', 'panic', 'stop', '0.5', 'C4', '2s', '80%'),
    );
    const lines = fc.array(hostile, { maxLength: 8 }).map((words) => words.join(' '));
    const prefixed = fc.tuple(fc.constantFrom('!', '??', ' !', '!CV ', '!cv reset '), lines).map(([p, l]) => p + l);
    const roles = fc.subarray(['broadcaster', 'mod', 'vip', 'subscriber'] as Role[]);

    it('never throws, and answers every chat event on exactly one port (two with a reply)', () => {
      const variables = () => 0.5;
      fc.assert(
        fc.property(fc.oneof(lines, prefixed), roles, (text, r) => {
          const out = run(full, [chat(text, { roles: r })], { variables });
          expect(out.length === 1 || (out.length === 2 && out[1]?.port === REPLY)).toBe(true);
        }),
        { numRuns: 2000 },
      );
    });

    // How long these take is measured by bench/controlPath.ts (`hugeCommandLines`).
    it('parses million-character lines to the right ports', () => {
      const out = run(full, HUGE_COMMAND_LINES.map((t) => chat(t, { roles: ['vip'] })));
      expect(out.map((r) => r.port)).toEqual(['cv', UNMATCHED, 'say', UNMATCHED, INVALID, UNMATCHED]);
    });

    const roundTrip = (spec: string, word: string): CommandArg | undefined => {
      const config = ParseCommandConfig.parse({ commands: { t: { args: [spec] } } });
      const [out] = one(config, `!t ${word}`);
      return out?.port === 't' ? (out.event as CommandEvent).args.v : undefined;
    };
    const plusZero = (v: number) => (Object.is(v, -0) ? 0 : v);

    it('round-trips numbers within a range', () => {
      fc.assert(
        fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (v) => {
          expect(roundTrip('v:number(-1000000..1000000)', String(v))).toBe(plusZero(v));
        }),
      );
    });

    it('round-trips integers', () => {
      fc.assert(
        fc.property(fc.integer({ min: -1000, max: 1000 }), (v) => {
          expect(roundTrip('v:integer(-1000..1000)', String(v))).toBe(v);
        }),
      );
    });

    it('round-trips enum words in any case to the configured word', () => {
      const words = ['sine', 'saw', 'Square', 'tri_2'];
      fc.assert(
        fc.property(fc.constantFrom(...words), fc.boolean(), (w, upper) => {
          expect(roundTrip('v:enum(sine|saw|Square|tri_2)', upper ? w.toUpperCase() : w.toLowerCase())).toBe(w);
        }),
      );
    });

    it('round-trips percentages, with or without %', () => {
      fc.assert(
        fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.boolean(), (p, sign) => {
          const v = plusZero(p);
          expect(roundTrip('v:percent', `${v}${sign ? '%' : ''}`)).toBe(v / 100);
        }),
      );
    });

    it('round-trips notes written with sharps or flats', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 127 }), fc.boolean(), fc.boolean(), (midi, flats, lower) => {
          const name = formatNote(midi, flats);
          expect(roundTrip('v:note', lower ? name.toLowerCase() : name)).toBe(midi);
        }),
      );
    });

    it('round-trips durations', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 24 * 3_600_000 }), (ms) => {
          expect(roundTrip('v:duration', formatDuration(ms))).toBe(ms);
        }),
      );
    });
  });
});
