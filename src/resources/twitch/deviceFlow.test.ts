import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_CLIENT_ID, FakeTwitchHelix } from '../../../test/fakes/twitchHelix.js';
import { type DeviceFlowOptions, deviceCodeSignIn } from './deviceFlow.js';
import type { DeviceCodeStart } from './oauth.js';
import { TwitchOAuth } from './oauth.js';

let fake: FakeTwitchHelix;
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
});
afterAll(() => fake.close());

/** Virtual time: each wait moves the clock by its length at once, and is recorded. */
function virtualClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
  };
}

function flow(scopes: readonly string[], clock = virtualClock(), extra: Partial<DeviceFlowOptions> = {}) {
  const shown: DeviceCodeStart[] = [];
  const oauth = new TwitchOAuth({ auth: fake.endpoints.auth, clientId: FAKE_CLIENT_ID });
  const run = deviceCodeSignIn({ oauth, scopes, onCode: (s) => shown.push(s), sleep: clock.sleep, now: clock.now, ...extra });
  return { run, shown, clock };
}

const polls = () => fake.requests.filter((r) => r.path === '/oauth2/token' && r.params.grant_type?.includes('device_code'));

describe('deviceCodeSignIn against the fake id.twitch.tv', () => {
  it('shows the code and URL once, polls at the server interval through authorization_pending, and returns the tokens', async () => {
    fake.scriptDevice({ pending: 2, interval: 5 });
    const before = polls().length;
    const { run, shown, clock } = flow(['channel:read:redemptions', 'user:read:chat']);
    const result = await run;
    expect(shown).toHaveLength(1);
    expect(shown[0]?.verificationUri).toBe(`https://www.twitch.tv/activate?public=true&device-code=${shown[0]?.userCode}`);
    expect(shown[0]?.interval).toBe(5);
    expect(clock.waits).toEqual([5000, 5000, 5000]);
    expect(polls().length - before).toBe(3);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.grant.scopes).toEqual(['channel:read:redemptions', 'user:read:chat']);
    expect(fake.isValid(result.grant.accessToken)).toBe(true);
    // The device call carried the plural, space-separated `scopes`.
    const device = fake.requests.filter((r) => r.path === '/oauth2/device').at(-1);
    expect(device?.params.scopes).toBe('channel:read:redemptions user:read:chat');
  });

  it('adds 5 s to the interval for the rest of the flow after slow_down', async () => {
    fake.scriptDevice({ pending: 4, slowDownAt: [2], interval: 5 });
    const { run, clock } = flow(['user:read:chat']);
    const result = await run;
    expect(result.ok).toBe(true);
    // poll 1 pending, poll 2 slow_down, then 10 s: polls 3, 4 pending, poll 5 tokens.
    expect(clock.waits).toEqual([5000, 5000, 10000, 10000, 10000]);
  });

  it('gives up with `expired` when the code runs out before approval, without polling past its life', async () => {
    fake.scriptDevice({ pending: 1000, interval: 5, expiresIn: 12 });
    const before = polls().length;
    const { run, clock } = flow(['user:read:chat']);
    expect(await run).toEqual({ ok: false, reason: 'expired' });
    expect(clock.waits).toEqual([5000, 5000]);
    expect(polls().length - before).toBe(2);
  });

  it('stops with `denied` when Twitch answers `invalid device code` before the deadline (declined)', async () => {
    fake.scriptDevice({ pending: 1, outcome: 'deny', user: FAKE_BOT });
    const before = polls().length;
    const { run } = flow(['user:write:chat']);
    expect(await run).toEqual({ ok: false, reason: 'denied' });
    expect(polls().length - before).toBe(2);
  });

  it('stops with `aborted` when its signal aborts while waiting', async () => {
    fake.scriptDevice({ pending: 1000 });
    const controller = new AbortController();
    const clock = virtualClock();
    const sleep = async (ms: number) => {
      await clock.sleep(ms);
      if (clock.waits.length === 2) controller.abort();
    };
    const { run } = flow(['user:read:chat'], { ...clock, sleep }, { signal: controller.signal });
    expect(await run).toEqual({ ok: false, reason: 'aborted' });
    expect(clock.waits).toHaveLength(2);
  });

  it('throws the OAuth error for a client id Twitch does not know', async () => {
    const oauth = new TwitchOAuth({ auth: fake.endpoints.auth, clientId: 'unknownclient' });
    await expect(deviceCodeSignIn({ oauth, scopes: [], onCode: () => {} })).rejects.toThrow(
      'id.twitch.tv answered 400: invalid client',
    );
  });
});
