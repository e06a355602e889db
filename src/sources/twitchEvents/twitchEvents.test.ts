import { type Subscription, VirtualTimeScheduler } from 'rxjs';
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
  options: {
    fake?: FakeEventSub;
    keepaliveSeconds?: number;
    outcomes?: CommandOutcomes;
    state?: TwitchEventsNodeState;
    foreignRewards?: string[];
    /** Scopes the broadcaster's token lacks. */
    withoutScopes?: string[];
    scheduler?: VirtualTimeScheduler;
    auth?: TestAuth;
  } = {},
): Promise<Run> {
  const fake =
    options.fake ??
    (await FakeEventSub.start({
      keepaliveSeconds: options.keepaliveSeconds ?? 10,
      reconnectGraceMs: 2000,
      ...(options.foreignRewards ? { foreignRewards: options.foreignRewards } : {}),
    }));
  const auth = options.auth ?? testTwitchAuth(fake.helix, { bot: true, ...(options.withoutScopes ? { withoutScopes: options.withoutScopes } : {}) });
  const events: (ChatEvent | PlatformEvent)[] = [];
  const health: SourceHealth[] = [];
  const drops: Record<string, number> = {};
  const errors: Error[] = [];
  const state = options.state ?? createTwitchEventsNodeState();
  const subscription = twitchEvents(TwitchEventsConfig.parse(raw), {
    id: 'events',
    auth,
    ...(options.outcomes ? { outcomes: options.outcomes } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    now: () => 1_773_515_000_000,
    metrics: {
      drop: (reason, _intentional, count = 1) => {
        drops[reason] = (drops[reason] ?? 0) + count;
      },
    },
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

  it('emits a notification delivered twice (same message id) once, and the same event under a new message id once', async () => {
    const run = await start({ events: ['follows'] });
    await live(run);
    const messageId = run.fake.notifySample('channel.follow') as string;
    run.fake.resend(messageId);
    run.fake.notifySample('channel.follow');
    run.fake.notifySample('channel.follow', { user_id: '4145994', user_login: 'viewer32', user_name: 'Viewer32' });
    await until('both follows', () => run.events.length === 2 && (run.drops.duplicate ?? 0) === 2);
    expect(run.events.map((e) => e.author?.login)).toEqual(['nightowl_gg', 'viewer32']);
  });

  it('keepalive timeout: reconnects to a new session, subscribes again, nothing of the new session lost', async () => {
    const run = await start({ events: ['follows', 'cheers'] }, { keepaliveSeconds: 1 });
    await live(run);
    const first = run.fake.current;
    run.fake.silence();
    const onNew = () => run.fake.enabled().filter((s) => s.transport.session_id === run.fake.sessions[1]?.id);
    await until('a second session is live', () => run.fake.sessions.length === 2 && run.health.at(-1) === 'live' && onNew().length === 2, {
      timeoutMs: 15_000,
    });
    expect(run.health).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    // twurple abandons the silent socket (it counts as dead) rather than closing it.
    expect(run.fake.sessions[1]).not.toBe(first);
    run.fake.notifySample('channel.cheer');
    await until('the cheer on the new session', () => run.events.length === 1);
  });

  it('session_reconnect handover: no resubscription, the old socket delivers until the new welcome, nothing lost, nothing twice', async () => {
    const run = await start({ events: ['follows', 'cheers'] });
    await live(run);
    const posts = () => run.fake.helix.count('POST', '/eventsub/subscriptions');
    expect(posts()).toBe(2);
    const old = run.fake.reconnect();
    // Sent on the old socket after the reconnect message, before the client reaches the new one.
    const onOld = run.fake.notifySample('channel.follow') as string;
    await until('the new session owns the subscriptions and the old one is closed', () => run.fake.sessions.length === 2 && old.closed, { timeoutMs: 10_000 });
    // Twitch may deliver again on the new socket what the old one already did: same message id.
    run.fake.resend(onOld);
    run.fake.notifySample('channel.cheer');
    await until('the follow and the cheer', () => run.events.length === 2 && (run.drops.duplicate ?? 0) === 1);
    expect(run.events.map((e) => (e as PlatformEvent).type)).toEqual(['follow', 'cheer']);
    expect(posts()).toBe(2);
    expect(run.fake.enabled().map((s) => s.transport.session_id)).toEqual([run.fake.current?.id, run.fake.current?.id]);
    expect(old.closeCode).not.toBe(4004);
    expect(run.health).toEqual(['connecting', 'live']);
  });

  it.each([4000, 4001, 4002, 4003, 4004, 4005, 4006, 4007, 1006])('close code %i: reconnects, subscribes again on the new session, events flow', async (code) => {
    const run = await start({ events: ['cheers'] });
    await live(run);
    if (code === 1006) run.fake.drop();
    else run.fake.close(code);
    await until('live on a second session', () => run.fake.sessions.length === 2 && run.fake.enabled().length === 1 && run.health.at(-1) === 'live', { timeoutMs: 15_000 });
    expect(run.health).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    expect(run.fake.sessions[0]?.closeCode).toBe(code);
    expect(run.fake.subscriptions.map((s) => s.status)).toEqual([expect.stringMatching(/^websocket_/), 'enabled']);
    run.fake.notifySample('channel.cheer');
    await until('the cheer', () => run.events.length === 1);
    expect(run.errors).toEqual([]);
  });

  it('a revoked subscription: stale while others work; failed when none is left', async () => {
    const run = await start({ events: ['follows', 'cheers'] });
    await live(run);
    run.fake.revoke('channel.follow', 'authorization_revoked');
    await until('stale', () => run.health.at(-1) === 'stale');
    run.fake.notifySample('channel.cheer');
    await until('the cheer still arrives', () => run.events.length === 1);
    expect(run.drops.subscription_revoked).toBe(1);
    run.fake.revoke('channel.cheer', 'user_removed');
    await until('failed', () => run.errors.length === 1);
    expect(run.health.at(-1)).toBe('failed');
    expect(run.errors[0]?.message).toMatch(/channel\.follow: revoked: authorization_revoked; channel\.cheer: revoked: user_removed.*chatflow auth twitch/);
  });

  it('a scope the token lacks: that subscription is refused (403), the node is stale, the rest works', async () => {
    const run = await start({ events: ['follows', 'cheers'] }, { withoutScopes: ['bits:read'] });
    await until('stale', () => run.health.at(-1) === 'stale');
    expect(run.health).toEqual(['connecting', 'stale']);
    run.fake.notifySample('channel.follow');
    await until('the follow', () => run.events.length === 1);
  });

  it('every subscription refused: failed, naming the fix', async () => {
    const run = await start({ events: ['cheers'] }, { withoutScopes: ['bits:read'] });
    await until('failed', () => run.errors.length === 1);
    expect(run.health).toEqual(['connecting', 'failed']);
    expect(run.errors[0]?.message).toMatch(/channel\.cheer: the token lacks the scope.*chatflow auth twitch --check/);
  });

  it('a token revoked or expired while running: failed at once, no retry loop', async () => {
    const run = await start({ events: ['cheers'] });
    await live(run);
    run.auth.setStatus('broadcaster', { state: 'failed', reason: 'refresh token invalid' });
    expect(run.health.at(-1)).toBe('failed');
    expect(run.errors[0]).toMatchObject({ code: 'ERR_SOURCE_FATAL' });
    expect(run.errors[0]?.message).toContain('refresh token invalid');
    await until('the socket is closed', () => run.fake.current === undefined);
  });

  it('a token already unusable at start: failed before any socket opens', async () => {
    const fake = await FakeEventSub.start();
    const auth = testTwitchAuth(fake.helix);
    auth.setStatus('broadcaster', { state: 'failed', reason: 'token revoked' });
    const run = await start({ events: ['cheers'] }, { fake, auth });
    expect(run.health).toEqual(['connecting', 'failed']);
    expect(run.errors[0]?.message).toContain('token revoked');
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.sessions).toEqual([]);
  });

  it('not signed in, or no bot account for chat: failed with the command to run', async () => {
    const fake = await FakeEventSub.start();
    const noBroadcaster = await start({ events: ['cheers'] }, { fake, auth: testTwitchAuth(fake.helix, { broadcaster: false }) });
    expect(noBroadcaster.errors[0]?.message).toMatch(/No Twitch broadcaster account is signed in: run `chatflow auth twitch`/);
    const fake2 = await FakeEventSub.start();
    const noBot = await start({ events: ['chat'], chat_account: 'bot' }, { fake: fake2, auth: testTwitchAuth(fake2.helix, { bot: false }) });
    expect(noBot.errors[0]?.message).toMatch(/`chatflow auth twitch --bot`/);
  });

  it('chat read as the bot: conditions name the bot as the reading user, on its own socket', async () => {
    const run = await start({ events: ['chat', 'cheers'], chat_account: 'bot' });
    await live(run);
    expect(run.fake.enabled().map((s) => [s.type, s.condition])).toEqual(
      expect.arrayContaining([
        ['channel.chat.message', { broadcaster_user_id: '1971641', user_id: '2914196' }],
        ['channel.cheer', { broadcaster_user_id: '1971641' }],
      ]),
    );
    expect(run.fake.sessions).toHaveLength(2);
    run.fake.notifySample('channel.chat.message-emote-mention');
    await until('the chat message', () => run.events.length === 1);
    expect(run.events[0]).toMatchObject({ kind: 'chat', text: 'hi @streamer Kappa' });
  });
});

describe("the bot's own chat", () => {
  it('is marked self: the signed-in bot by default, or bot_login', async () => {
    const run = await start({ events: ['chat'], chat_account: 'bot' });
    await live(run);
    run.fake.notifySample('channel.chat.message-emote-mention', { message_id: 'm-bot', chatter_user_id: '2914196', chatter_user_login: 'chatflow_bot', chatter_user_name: 'chatflow_bot' });
    run.fake.notifySample('channel.chat.message-emote-mention', { message_id: 'm-viewer' });
    await until('two chat messages', () => run.events.length === 2);
    expect(run.events.map((e) => [e.kind === 'chat' ? e.author.login : '', e.kind === 'chat' ? e.self : ''])).toEqual([
      ['chatflow_bot', true],
      ['viewer32', undefined],
    ]);
    const named = await start({ events: ['chat'], chat_account: 'bot', bot_login: 'viewer32' });
    await live(named);
    named.fake.notifySample('channel.chat.message-emote-mention', { message_id: 'm-2' });
    await until('one chat message', () => named.events.length === 1);
    expect(named.events[0]).toMatchObject({ self: true });
  });
});

describe('redemptions as commands: settled through Helix', () => {
  const rewards = { 'Play a sound': 'sound {input}' };

  it('applied → FULFILLED; refused → CANCELED with the refusal; the update event follows', async () => {
    const outcomes = new CommandOutcomes();
    const run = await start({ events: ['redemptions'], rewards }, { outcomes });
    await live(run);
    outcomes.outcomes.subscribe(() => undefined);
    run.fake.notifySample('channel.channel_points_custom_reward_redemption.add', { id: 'r-1' });
    run.fake.notifySample('channel.channel_points_custom_reward_redemption.add', { id: 'r-2' });
    await until('two redemptions', () => run.events.length === 2);
    const ref = (id: string) => ({ id, rewardId: '92af127c-7326-4483-a52b-b0da0be61c01', broadcasterId: '1971641' });
    outcomes.report({ redemption: ref('r-1'), outcome: 'applied', reason: 'applied' });
    outcomes.report({ redemption: ref('r-2'), outcome: 'refused', reason: 'throttled' });
    // Reported twice: settled once.
    outcomes.report({ redemption: ref('r-2'), outcome: 'refused', reason: 'throttled' });
    await until('two updates', () => run.events.filter((e) => (e as PlatformEvent).type === 'redemption_update').length === 2);
    expect(run.fake.patches).toEqual([
      { ids: ['r-1'], rewardId: '92af127c-7326-4483-a52b-b0da0be61c01', status: 'FULFILLED', answer: 200 },
      { ids: ['r-2'], rewardId: '92af127c-7326-4483-a52b-b0da0be61c01', status: 'CANCELED', answer: 200 },
    ]);
    expect(run.events.filter((e) => (e as PlatformEvent).type === 'redemption_update').map((e) => (e as PlatformEvent).data.status)).toEqual(['fulfilled', 'canceled']);
  });

  it('no outcome within settle_timeout → refunded; an unmapped reward is left alone', async () => {
    const scheduler = new VirtualTimeScheduler();
    const run = await start({ events: ['redemptions'], rewards, settle_timeout: '20s' }, { scheduler, outcomes: new CommandOutcomes() });
    await live(run);
    run.fake.notifySample('channel.channel_points_custom_reward_redemption.add', { id: 'r-1' });
    run.fake.notifySample('channel.channel_points_custom_reward_redemption.add', { id: 'r-2', reward: { id: 'other', title: 'Hydrate', cost: 100, prompt: '' } });
    await until('two redemptions', () => run.events.length === 2);
    expect(run.events[1]?.kind === 'platform' && 'command' in run.events[1].data).toBe(false);
    expect(run.fake.patches).toEqual([]);
    scheduler.flush();
    await until('a refund', () => run.fake.patches.length === 1);
    expect(run.fake.patches[0]).toMatchObject({ ids: ['r-1'], status: 'CANCELED', answer: 200 });
  });

  it('a reward chatflow may not manage (403) is reported once and not sent to Helix again', async () => {
    const outcomes = new CommandOutcomes();
    const rewardId = '92af127c-7326-4483-a52b-b0da0be61c01';
    const run = await start({ events: ['redemptions'], rewards }, { outcomes, foreignRewards: [rewardId] });
    await live(run);
    for (const id of ['r-1', 'r-2', 'r-3']) {
      run.fake.notifySample('channel.channel_points_custom_reward_redemption.add', { id });
      await until(`redemption ${id}`, () => run.events.some((e) => e.id === id));
      outcomes.report({ redemption: { id, rewardId, broadcasterId: '1971641' }, outcome: 'applied', reason: 'applied' });
      await until(`${id} settled or skipped`, () => (run.drops.reward_not_manageable ?? 0) >= Number(id.slice(2)));
    }
    expect(run.fake.patches.map((p) => p.answer)).toEqual([403]);
    expect([...run.state.unmanageable]).toEqual([rewardId]);
    // The commands themselves still went out.
    expect(run.events.filter((e) => e.kind === 'platform' && e.data.command === 'sound airhorn')).toHaveLength(3);
  });

  it('a 429 from Helix: twurple waits for Ratelimit-Reset and the redemption is still settled', async () => {
    const outcomes = new CommandOutcomes();
    const run = await start({ events: ['redemptions'], rewards }, { outcomes });
    await live(run);
    run.fake.notifySample('channel.channel_points_custom_reward_redemption.add', { id: 'r-1' });
    await until('the redemption', () => run.events.length === 1);
    run.fake.helix.rateLimit(1);
    outcomes.report({ redemption: { id: 'r-1', rewardId: '92af127c-7326-4483-a52b-b0da0be61c01', broadcasterId: '1971641' }, outcome: 'applied', reason: 'applied' });
    await until('settled after the 429', () => run.fake.patches.length === 1, { timeoutMs: 10_000 });
    expect(run.fake.helix.requests.filter((r) => r.path.endsWith('/channel_points/custom_rewards/redemptions')).map((r) => r.status)).toEqual([429, 200]);
    expect(run.fake.patches[0]).toMatchObject({ status: 'FULFILLED', answer: 200 });
  });
});
