import { filter, map, of, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import { ControlConfig, control } from '../operators/control/index.js';
import { CooldownConfig, cooldown } from '../operators/cooldown/index.js';
import { ParseCommandConfig, parseCommand } from '../operators/parseCommand/index.js';
import { ThrottleConfig, throttle } from '../operators/throttle/index.js';
import { type CommandOutcome, CommandOutcomes, type OutcomeReporter, outcomeReporter } from './commandOutcomes.js';
import type { ChatflowEvent, CommandEvent, ControlEvent, PlatformEvent } from './events.js';
import { platformEvent, redemptionChat } from './events.js';

/** A redemption as `twitch_events` emits it for a reward mapped to `command`. */
function redemption(id: string, user: string, command: string | undefined): PlatformEvent {
  const author = { id: `id-${user}`, login: user, displayName: user, roles: [], badges: {} };
  const data: Record<string, string | number> = { rewardId: 'reward-1', rewardTitle: 'Filter sweep', cost: 100, input: '0.8', broadcasterId: '1971641' };
  if (command !== undefined) data.command = command;
  return platformEvent('twitch', 'redemption', id, 'streamer', author, 0, data, 0);
}

function reporter(bus: CommandOutcomes): OutcomeReporter {
  const report = outcomeReporter(bus);
  if (report === undefined) throw new Error('a bus gives a reporter');
  return report;
}

function collect(): { bus: CommandOutcomes; seen: CommandOutcome[] } {
  const bus = new CommandOutcomes();
  const seen: CommandOutcome[] = [];
  bus.outcomes.subscribe((o) => seen.push(o));
  return { bus, seen };
}

const parse = ParseCommandConfig.parse({ commands: { cv: { args: ['name', 'value:number(0..1)'] } } });
const commandsOf = (events: readonly ChatflowEvent[]) =>
  parseCommand(parse)(of(...events)).pipe(
    filter((r) => r.port === 'cv'),
    map((r) => r.event),
  );

describe('redemptionChat', () => {
  it('stands a mapped redemption in for a chat line from the redeemer, carrying the redemption', () => {
    const out = redemptionChat(redemption('r1', 'viewer32', 'cv cutoff 0.8'));
    expect(out).toMatchObject({ kind: 'chat', id: 'r1', text: 'cv cutoff 0.8', author: { login: 'viewer32' } });
    expect(out?.redemption).toEqual({ id: 'r1', rewardId: 'reward-1', broadcasterId: '1971641' });
  });

  it('is undefined for a redemption without a command, or another event', () => {
    expect(redemptionChat(redemption('r1', 'viewer32', undefined))).toBeUndefined();
    expect(redemptionChat({ ...redemption('r1', 'v', 'cv a 1'), type: 'follow' })).toBeUndefined();
  });
});

describe('outcomes of redemption commands', () => {
  it('parse_command makes the same command event of a redemption as of the chat line, with or without the prefix', () => {
    const out: ChatflowEvent[] = [];
    commandsOf([redemption('r1', 'viewer32', 'cv cutoff 0.8'), redemption('r2', 'viewer32', '!cv cutoff 0.5')]).subscribe((e) => out.push(e));
    expect(out.map((e) => (e as CommandEvent).args)).toEqual([
      { name: 'cutoff', value: 0.8 },
      { name: 'cutoff', value: 0.5 },
    ]);
    expect((out[0] as CommandEvent).chat.redemption?.id).toBe('r1');
  });

  it('parse_command reports invalid arguments and an unknown command as refused; chat commands are not reported', () => {
    const { bus, seen } = collect();
    const routed: string[] = [];
    parseCommand(parse, { outcomes: reporter(bus) })(
      of(redemption('r1', 'v', 'cv cutoff loud'), redemption('r2', 'v', 'wobble 1'), chat('!cv cutoff loud')),
    ).subscribe((r) => routed.push(r.port));
    expect(seen).toEqual([
      { redemption: { id: 'r1', rewardId: 'reward-1', broadcasterId: '1971641' }, outcome: 'refused', reason: 'invalid_args' },
      { redemption: { id: 'r2', rewardId: 'reward-1', broadcasterId: '1971641' }, outcome: 'refused', reason: 'unknown_command' },
    ]);
    expect(routed).toEqual(['_invalid', '_unmatched', '_invalid']);
  });

  it('throttle reports the second redemption of a user inside the window as throttled', () => {
    const { bus, seen } = collect();
    const scheduler = new VirtualTimeScheduler();
    const cfg = ThrottleConfig.parse({ rate: '1/30s', burst: 1, per: 'user' });
    const passed: string[] = [];
    commandsOf([redemption('r1', 'v', 'cv cutoff 0.8'), redemption('r2', 'v', 'cv cutoff 0.3'), chat('!cv cutoff 0.1', { user: 'v' })])
      .pipe(throttle(cfg, { scheduler, outcomes: reporter(bus) }))
      .subscribe((r) => passed.push((r.event as CommandEvent).chat.id));
    expect(passed).toEqual(['r1']);
    expect(seen.map((o) => [o.redemption.id, o.outcome, o.reason])).toEqual([['r2', 'refused', 'throttled']]);
  });

  it('cooldown reports a redemption while cooling', () => {
    const { bus, seen } = collect();
    const scheduler = new VirtualTimeScheduler();
    const cfg = CooldownConfig.parse({ duration: '30s', per: 'user' });
    commandsOf([redemption('r1', 'v', 'cv cutoff 0.8'), redemption('r2', 'v', 'cv cutoff 0.3')])
      .pipe(cooldown(cfg, { scheduler, outcomes: reporter(bus) }))
      .subscribe();
    expect(seen.map((o) => [o.redemption.id, o.reason])).toEqual([['r2', 'cooling']]);
  });

  it('control reports applied, and paused or locked as refused', () => {
    const { bus, seen } = collect();
    const scheduler = new VirtualTimeScheduler();
    const cfg = ControlConfig.parse({ variables: { cutoff: { range: [0, 1], default: 0.5 } }, emit_defaults: false });
    const mod = chat('!cv pause', { user: 'mia', roles: ['mod'] });
    const pause: CommandEvent = { kind: 'command', name: 'cv', args: { subcommand: 'pause' }, chat: mod, receivedAt: 0 };
    const resume: CommandEvent = { ...pause, args: { subcommand: 'resume' } };
    const lock: CommandEvent = { ...pause, args: { subcommand: 'lock', name: 'cutoff' } };
    const changes: ControlEvent[] = [];
    const events: ChatflowEvent[] = [];
    commandsOf([redemption('r1', 'v', 'cv cutoff 0.8')]).subscribe((e) => events.push(e));
    commandsOf([redemption('r2', 'v', 'cv cutoff 0.2')]).subscribe((e) => events.push(pause, e, resume, lock));
    commandsOf([redemption('r3', 'v', 'cv cutoff 0.1')]).subscribe((e) => events.push(e));
    of(...events)
      .pipe(control(cfg, { scheduler, outcomes: reporter(bus) }))
      .subscribe((c) => changes.push(c));
    expect(changes.map((c) => c.value)).toEqual([0.8]);
    expect(seen.map((o) => [o.redemption.id, o.outcome, o.reason])).toEqual([
      ['r1', 'applied', 'applied'],
      ['r2', 'refused', 'paused'],
      ['r3', 'refused', 'locked'],
    ]);
  });

  it('reports nothing without a bus, and nothing for events without a redemption', () => {
    expect(outcomeReporter(undefined)).toBeUndefined();
    const { bus, seen } = collect();
    outcomeReporter(bus)?.(chat('!cv cutoff 1'), 'refused', 'throttled');
    expect(seen).toEqual([]);
  });
});
