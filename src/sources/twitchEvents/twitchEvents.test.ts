import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEventSub } from '../../../test/fakes/twitchEventSub.js';
import { type TestAuth, testTwitchAuth } from '../../../test/fakes/twitchTestAuth.js';
import { until } from '../../../test/support/poll.js';
import { CommandOutcomes } from '../../core/commandOutcomes.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import type { SourceHealth } from '../../core/metrics.js';
import { TwitchEventsConfig } from './config.js';
import { createTwitchEventsNodeState, type TwitchEventsNodeState, twitchEvents } from './twitchEvents.js';

interface Run {
  readonly fake: FakeEventSub;
  readonly auth: TestAuth;
  readonly events: (ChatEvent | PlatformEvent)[];
  readonly health: SourceHealth[];
  readonly drops: Record<string, number>;
  readonly errors: Error[];
  readonly state: TwitchEventsNodeState;
  readonly subscription: Subscription;
}

let runs: Run[] = [];
afterEach(async () => {
  for (const run of runs) {
    run.subscription.unsubscribe();
    await run.fake.stop();
  }
  runs = [];
});

async function start(
  raw: Record<string, unknown>,
  options: { fake?: FakeEventSub; keepaliveSeconds?: number; outcomes?: CommandOutcomes; state?: TwitchEventsNodeState; foreignRewards?: string[]; forbiddenTypes?: string[] } = {},
): Promise<Run> {
  const fake =
    options.fake ??
    (await FakeEventSub.start({
      keepaliveSeconds: options.keepaliveSeconds ?? 10,
      reconnectGraceMs: 2000,
      ...(options.foreignRewards ? { foreignRewards: options.foreignRewards } : {}),
      ...(options.forbiddenTypes ? { forbiddenTypes: options.forbiddenTypes } : {}),
    }));
  const auth = testTwitchAuth(fake.port, { bot: true });
  const events: (ChatEvent | PlatformEvent)[] = [];
  const health: SourceHealth[] = [];
  const drops: Record<string, number> = {};
  const errors: Error[] = [];
  const state = options.state ?? createTwitchEventsNodeState();
  const subscription = twitchEvents(TwitchEventsConfig.parse(raw), {
    id: 'events',
    auth,
    ...(options.outcomes ? { outcomes: options.outcomes } : {}),
    now: () => 1_773_515_000_000,
    metrics: { drop: (reason, _intentional, count = 1) => void (drops[reason] = (drops[reason] ?? 0) + count) },
    setHealth: (h) => health.push(h),
    state,
  }).subscribe({ next: (e) => events.push(e), error: (err: Error) => errors.push(err) });
  const run = { fake, auth, events, health, drops, errors, state, subscription };
  runs.push(run);
  return run;
}

const live = (run: Run) => until('the source is live', () => run.health.at(-1) === 'live', { timeoutMs: 15_000, detail: () => JSON.stringify({ health: run.health, errors: run.errors.map(String) }) });

describe('twitch_events against the fake EventSub', () => {
  it('subscribes after the welcome, goes live, and emits a redemption with its command', async () => {
    const run = await start({ events: ['redemptions'], rewards: { 'Play a sound': 'sound {input}' }, settle: false });
    await live(run);
    expect(run.health).toEqual(['connecting', 'live']);
    expect(run.fake.enabled().map((s) => [s.type, s.condition])).toEqual([
      ['channel.channel_points_custom_reward_redemption.add', { broadcaster_user_id: '1971641' }],
      ['channel.channel_points_custom_reward_redemption.update', { broadcaster_user_id: '1971641' }],
    ]);
    run.fake.notifySample('channel.channel_points_custom_reward_redemption.add');
    await until('the redemption arrives', () => run.events.length === 1);
    expect(run.events[0]).toMatchObject({ kind: 'platform', type: 'redemption', data: { command: 'sound airhorn', input: 'airhorn' } });
  });
});
