import { from } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { chat } from '../../../test/support/events.js';
import type { ChatEvent, ChatflowEvent, ControlEvent, ReplyEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { type CounterStore, LocalCounterStore, TextCommandsConfig, textCommands, textCommandsComponent } from './index.js';

const reply = (c: ChatEvent, text: string): ReplyEvent => ({
  kind: 'reply',
  platform: c.platform,
  channel: c.channel,
  text,
  replyTo: c.id,
  viewer: { id: c.author.id, login: c.author.login, roles: c.author.roles },
  receivedAt: c.receivedAt,
});
const control = (variable: string, value: number): ControlEvent => ({
  kind: 'control',
  variable,
  value,
  previous: 0,
  origin: 'command',
  ts: 0,
  receivedAt: 0,
});

const config = TextCommandsConfig.parse({
  commands: {
    discord: { reply: 'Join us: discord.gg/x', cooldown: '30s' },
    synth: { reply: 'cutoff {{ var.cutoff }}, pitch {{ var.pitch }}', aliases: ['knobs'] },
    hug: { reply: '{{ user }} hugs {{ args.0 }} ({{ count }} so far)' },
    hugs: { reply: '{{ count }} hugs', counter: 'hug', increments: false },
    so: { reply: 'Follow {{ args.0 }}!', roles: ['mod'] },
    echo: { reply: '{{ args }}', user_cooldown: '10s' },
  },
  help: { also: ['!cv <name> <value>'] },
});

function run(events: readonly ChatflowEvent[], deps: Parameters<typeof textCommands>[1] = {}, cfg = config): string[] {
  const out: string[] = [];
  from(events)
    .pipe(textCommands(cfg, deps))
    .subscribe((r) => out.push(r.text));
  return out;
}

describe('textCommands', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const a = chat('!discord');
  const b = chat('hello');

  describe('marbles', () => {
    it('answers a command, stays quiet while it cools down, answers again after', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-a 30s a|', { a, b });
        const sourceSubs = '  ^----- 30s -!';
        const expected = '    -r---- 30s r|';
        expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler }))).toBe(expected, {
          r: reply(a, 'Join us: discord.gg/x'),
        });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('never emits for a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>('-');
        expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler }))).toBe('-');
        expectSubscriptions(source.subscriptions).toBe('^');
      });
    });

    it('completes with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>('|');
        expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler }))).toBe('|');
        expectSubscriptions(source.subscriptions).toBe('(^!)');
      });
    });

    it('passes an error on', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-#', { a });
        const expected = '    -r-#';
        expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler }))).toBe(expected, {
          r: reply(a, 'Join us: discord.gg/x'),
        });
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('keeps answering an infinite source, and unsubscribes early', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const h = chat('!hug bob');
        const source = hot('  -h-h-h-h-h-h-', { h });
        const unsub = '       ------!       ';
        const expected = '    -x-y-z-       ';
        expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler })), unsub).toBe(expected, {
          x: reply(h, 'viewer hugs bob (1 so far)'),
          y: reply(h, 'viewer hugs bob (2 so far)'),
          z: reply(h, 'viewer hugs bob (3 so far)'),
        });
        expectSubscriptions(source.subscriptions).toBe('^-----!');
      });
    });

    it('keeps cooldowns and counters per subscription', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const h = chat('!hug bob');
        const source = cold('-a-h|', { a, h });
        const op = textCommands(config, { scheduler: testScheduler });
        const values = { r: reply(a, 'Join us: discord.gg/x'), x: reply(h, 'viewer hugs bob (1 so far)') };
        expectObservable(source.pipe(op)).toBe('-r-x|', values);
        expectObservable(source.pipe(op)).toBe('-r-x|', values);
      });
    });

    it('answers in arrival order when the counter store answers late', () => {
      testScheduler.run(({ hot, cold, expectObservable }) => {
        const h = chat('!hug bob');
        const slow: CounterStore = {
          add: () => {
            // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, settled in virtual time.
            const value = { then: (ok: (n: number) => void) => cold('---(v|)', { v: 7 }).subscribe((n) => ok(n)) };
            return value as unknown as PromiseLike<number>;
          },
          close: () => {},
        };
        const source = hot('  -h-a------|', { h, a });
        const expected = '    ----(xr)--|';
        expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler, counters: () => slow }))).toBe(expected, {
          x: reply(h, 'viewer hugs bob (7 so far)'),
          r: reply(a, 'Join us: discord.gg/x'),
        });
      });
    });
  });

  it('renders variables from the control events it reads, "?" before one arrives', () => {
    const s = chat('!synth');
    const k = chat('!KNOBS');
    expect(run([s, control('cutoff', 0.70001), control('pitch', -2), k])).toEqual(['cutoff ?, pitch ?', 'cutoff 0.7, pitch -2']);
  });

  it('counts a counter up, and shows it without counting', () => {
    const h = chat('!hug @ann');
    expect(run([h, h, chat('!hugs')])).toEqual(['viewer hugs @ann (1 so far)', 'viewer hugs @ann (2 so far)', '2 hugs']);
  });

  it('keeps counts in the store it is given (a restart keeps them)', () => {
    const kept = new Map<string, number>();
    const counters = () => new LocalCounterStore(kept);
    run([chat('!hug x')], { counters });
    expect(run([chat('!hug x')], { counters })).toEqual(['viewer hugs x (2 so far)']);
    expect(kept.get('hug')).toBe(2);
  });

  it('answers a role-limited command only for those roles (and the broadcaster), counting the others', () => {
    const drops = new NodeMetrics('t', 'operator', 'text_commands');
    const out = run(
      [chat('!so ann'), chat('!so ann', { roles: ['mod'] }), chat('!so ann', { roles: ['broadcaster'] })],
      { drops },
    );
    expect(out).toEqual(['Follow ann!', 'Follow ann!']);
    expect(drops.snapshot().dropped).toEqual({ forbidden: { count: 1, intentional: true } });
  });

  it("lists in !help only the commands the viewer's roles allow, then help.also", () => {
    expect(run([chat('!help')])).toEqual(['Commands: !discord !synth !hug !hugs !echo !cv <name> <value>']);
    expect(run([chat('!help', { roles: ['mod'] })])).toEqual([
      'Commands: !discord !synth !hug !hugs !so !echo !cv <name> <value>',
    ]);
  });

  it('cools a user_cooldown per viewer; exempt roles skip cooldowns', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const ann = chat('!echo hi', { user: 'ann' });
      const bob = chat('!echo hi', { user: 'bob' });
      const mod = chat('!discord', { user: 'mo', roles: ['mod'] });
      const source = hot('  -a-b-a-m-m 10s a|', { a: ann, b: bob, m: mod });
      const expected = '    -x-y---z-z 10s x|';
      expectObservable(source.pipe(textCommands(config, { scheduler: testScheduler }))).toBe(expected, {
        x: reply(ann, 'hi'),
        y: reply(bob, 'hi'),
        z: reply(mod, 'Join us: discord.gg/x'),
      });
    });
  });

  it("never answers the bot's own messages, and counts them", () => {
    const drops = new NodeMetrics('t', 'operator', 'text_commands');
    expect(run([chat('!discord', { user: 'thebot', self: true })], { drops })).toEqual([]);
    expect(drops.snapshot().dropped).toEqual({ own_message: { count: 1, intentional: true } });
  });

  it('keeps chat commands and its own prefix out of the start of a reply', () => {
    const texts = ['!echo /ban streamer', '!echo .timeout x 600', '!echo  \u200b /me hi', '!echo !discord', '!echo !!/!.x'];
    expect(run(texts.map((t, i) => chat(t, { user: `u${i}` })))).toEqual(['ban streamer', 'timeout x 600', 'me hi', 'discord', 'x']);
  });

  it('counts what it does not answer, and survives a malformed event', () => {
    const drops = new NodeMetrics('t', 'operator', 'text_commands');
    const broken = { ...chat('!discord'), text: undefined } as unknown as ChatEvent;
    expect(run([b, chat('!nope'), chat('!discord', { backfill: true }), broken, a], { drops })).toEqual(['Join us: discord.gg/x']);
    expect(drops.snapshot().dropped).toEqual({
      not_a_command: { count: 3, intentional: true },
      error: { count: 1, intentional: false },
    });
  });

  it('renders "?" and tells once when the counter store fails', async () => {
    const errors: unknown[] = [];
    const failing: CounterStore = { add: () => Promise.reject(new Error('down')), close: () => {} };
    const out: string[] = [];
    await new Promise<void>((done) => {
      from([chat('!hug a'), chat('!hug b')])
        .pipe(textCommands(config, { counters: () => failing, onStoreError: (err) => errors.push(err) }))
        .subscribe({ next: (r) => out.push(r.text), complete: done });
    });
    expect(out).toEqual(['viewer hugs a (? so far)', 'viewer hugs b (? so far)']);
    expect(errors).toHaveLength(1);
  });

  describe('config', () => {
    const issues = (input: unknown) => {
      const result = TextCommandsConfig.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    it.each([
      [{ commands: { x: { reply: 'hi {{ usr }}' } } }, 'commands.x.reply: Unknown reply field "usr"; did you mean "user"? (fields: user, login, platform, channel, args, count, commands, args.0 … args.9, var.<variable>)'],
      [{ commands: { x: { reply: 'hi {{ user }' } } }, 'commands.x.reply: Unbalanced "{{ }}" in template "hi {{ user }"'],
      [{ commands: { x: { reply: '{{ args.10 }}' } } }, 'commands.x.reply: Unknown reply field "args.10"; did you mean "args.0"? (fields: user, login, platform, channel, args, count, commands, args.0 … args.9, var.<variable>)'],
      [{ commands: { x: { reply: '!x again' } } }, 'commands.x.reply: A reply must not start with the prefix "!": the bot would be answering a command of its own'],
      [{ commands: { x: { reply: 'a' }, y: { reply: 'b', aliases: ['x'] } } }, 'commands.y.aliases.0: "x" is already used by command "x"'],
      [{ commands: { help: { reply: 'a' } } }, 'commands.help: "help" is already used by the help command'],
      [{ commands: {}, help: { command: null } }, 'commands: Declare at least one command (or keep the help command)'],
    ])('rejects %j', (input, message) => {
      expect(issues(input)).toContain(message);
    });
  });

  describe('component', () => {
    it('parses its examples, and needs Redis only for counters', () => {
      for (const example of textCommandsComponent.examples) textCommandsComponent.config.parse(parseYaml(example));
      expect(textCommandsComponent.needs?.(config)).toEqual(['redis']);
      expect(textCommandsComponent.needs?.(TextCommandsConfig.parse({ commands: { d: { reply: 'x' } } }))).toEqual([]);
      expect(textCommandsComponent.needs?.({ ...config, counters: 'local' })).toEqual([]);
      expect(textCommandsComponent.metricRoles).toEqual({ limitedDrops: ['cooling'] });
    });
  });
});
