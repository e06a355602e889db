import { PassThrough } from 'node:stream';
import { firstValueFrom, VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_CLIENT_ID, FAKE_STREAMER, type FakeTwitchUser, FakeTwitchHelix, fakeTwitchNow } from '../../../test/fakes/twitchHelix.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { until } from '../../../test/support/poll.js';
import { SourceFatalError, TwitchAuthError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import type { TwitchAccountRole, TwitchTokenStatus } from '../../core/twitchAuth.js';
import { TwitchOAuth } from './oauth.js';
import { tokenFailure, TwitchAuthService } from './twitchAuthService.js';
import { tokenFileIn, TwitchTokenStore } from './tokenStore.js';

let fake: FakeTwitchHelix;
const dirs = tempDirs();
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
});
afterAll(async () => {
  await fake.close();
  await dirs.removeAll();
});

const SCOPES = ['channel:read:redemptions', 'user:read:chat'];

/** A signed-in account, a service over it, its captured log, and every token it ever held. */
async function setup(
  options: { role?: TwitchAccountRole; user?: FakeTwitchUser; scopes?: string[]; ageMs?: number; clientId?: string; auth?: string } = {},
) {
  const role = options.role ?? 'broadcaster';
  const user = options.user ?? FAKE_STREAMER;
  const scopes = options.scopes ?? SCOPES;
  const pair = fake.signIn(user, scopes);
  const store = new TwitchTokenStore(tokenFileIn(await dirs.make('chatflow-twauth-')));
  await store.save(role, {
    clientId: FAKE_CLIENT_ID,
    userId: user.id,
    login: user.login,
    scopes,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: 14124,
    obtainedAt: fakeTwitchNow() - (options.ageMs ?? 0),
  });
  const { tokens } = await store.read();
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => lines.push(c.toString()));
  const endpoints = { ...fake.endpoints, ...(options.auth ? { auth: options.auth } : {}) };
  const service = new TwitchAuthService({
    clientId: options.clientId ?? FAKE_CLIENT_ID,
    endpoints,
    store,
    tokens,
    logger: createLogger({ level: 'trace', destination: out }),
    now: fakeTwitchNow,
  });
  const secrets = new Set([pair.accessToken, pair.refreshToken]);
  const log = async () => {
    const now = (await store.read()).tokens[role];
    if (now) {
      secrets.add(now.accessToken);
      secrets.add(now.refreshToken);
    }
    return lines.join('');
  };
  /** The log holds no token the account ever had. */
  const expectNoSecrets = async () => {
    const text = await log();
    for (const secret of secrets) expect(text).not.toContain(secret);
  };
  return { service, store, pair, role, user, log, expectNoSecrets };
}

const refreshes = () => fake.requests.filter((r) => r.path === '/oauth2/token' && r.params.grant_type === 'refresh_token').length;

describe('TwitchAuthService against the fake Twitch', () => {
  it("gives components a twurple ApiClient that reaches the (fake) Helix with the account's token", async () => {
    const { service, expectNoSecrets } = await setup();
    expect(service.account('broadcaster')).toEqual({ userId: FAKE_STREAMER.id, login: 'streamer', scopes: SCOPES });
    expect(service.account('bot')).toBeUndefined();
    const user = await service.api().users.getUserById(FAKE_STREAMER.id);
    expect(user?.name).toBe('streamer');
    expect(service.endpoints.eventsubWs).toBe(`ws://127.0.0.1:${fake.port}/ws`);
    expect(await firstValueFrom(service.status('broadcaster'))).toEqual({ state: 'ok' });
    expect((await firstValueFrom(service.status('bot'))).state).toBe('missing');
    await expectNoSecrets();
  });

  it('refreshes on a Helix 401, retries the call once, and stores the new pair (the old refresh token is spent)', async () => {
    const { service, store, pair, expectNoSecrets } = await setup();
    fake.expireAccess(pair.accessToken);
    const before = refreshes();
    const user = await service.api().users.getUserById(FAKE_BOT.id);
    expect(user?.name).toBe('chatflow_bot');
    expect(refreshes() - before).toBe(1);
    const stored = (await store.read()).tokens.broadcaster;
    expect(stored?.refreshToken).not.toBe(pair.refreshToken);
    expect(fake.isValid(stored?.accessToken ?? '')).toBe(true);
    // Single use: the old refresh token is refused now.
    const oauth = new TwitchOAuth({ auth: fake.endpoints.auth, clientId: FAKE_CLIENT_ID });
    expect(await oauth.refresh(pair.refreshToken)).toBeUndefined();
    await expectNoSecrets();
  });

  it('refreshes before the call when the token is past its lifetime, once for concurrent calls', async () => {
    const { service, expectNoSecrets } = await setup({ ageMs: 5 * 3_600_000 });
    const before = refreshes();
    const unauthorized = fake.requests.filter((r) => r.status === 401).length;
    const users = await Promise.all([
      service.api().users.getUserById(FAKE_STREAMER.id),
      service.provider('broadcaster').getAccessTokenForUser(FAKE_STREAMER.id),
      service.provider('broadcaster').getAccessTokenForIntent?.('broadcaster'),
    ]);
    expect(users[0]?.name).toBe('streamer');
    expect(refreshes() - before).toBe(1);
    expect(fake.requests.filter((r) => r.status === 401).length).toBe(unauthorized);
    await expectNoSecrets();
  });

  it('turns a revoked token into `failed` with the reason and one error log, and never asks Twitch again', async () => {
    const { service, user, log, expectNoSecrets } = await setup();
    const statuses: TwitchTokenStatus[] = [];
    service.status('broadcaster').subscribe((s) => statuses.push(s));
    fake.revokeUser(user.id);
    const before = refreshes();
    const first = await service.api().users.getUserById(FAKE_STREAMER.id).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TwitchAuthError);
    expect((first as TwitchAuthError).reason).toBe('revoked');
    expect((first as Error).message).toContain('chatflow auth twitch');
    for (let i = 0; i < 5; i++) {
      await expect(service.api().users.getUserById(FAKE_STREAMER.id)).rejects.toBeInstanceOf(TwitchAuthError);
    }
    await expect(service.provider('broadcaster').getAnyAccessToken()).rejects.toBeInstanceOf(TwitchAuthError);
    expect(refreshes() - before).toBe(1);
    expect(statuses.map((s) => s.state)).toEqual(['ok', 'failed']);
    expect(statuses[1]).toMatchObject({ reason: expect.stringContaining('revoked') });
    const errors = (await log()).split('\n').filter((l) => l.includes('Twitch token cannot be used; sign in again.'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0] as string)).toMatchObject({ level: 50, account: 'broadcaster', reason: 'revoked' });
    await expectNoSecrets();
  });

  it('turns an expired token whose refresh token is spent into `failed` too (expired beyond refresh)', async () => {
    const { service, pair, expectNoSecrets } = await setup();
    // Another process refreshed with it (single use): this copy's refresh token is dead.
    expect(await new TwitchOAuth({ auth: fake.endpoints.auth, clientId: FAKE_CLIENT_ID }).refresh(pair.refreshToken)).toBeDefined();
    fake.expireAccess(pair.accessToken);
    const err = await service.api().users.getUserById(FAKE_STREAMER.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwitchAuthError);
    expect(service.currentStatus('broadcaster')).toMatchObject({ state: 'failed', reason: expect.stringContaining('has not been used for 30 days') });
    await expectNoSecrets();
  });

  it('validates at start: a dead access token is refreshed, a revoked one fails its role', async () => {
    const alive = await setup();
    fake.expireAccess(alive.pair.accessToken);
    await alive.service.validate();
    expect(alive.service.currentStatus('broadcaster')).toEqual({ state: 'ok' });
    expect((await alive.store.read()).tokens.broadcaster?.accessToken).not.toBe(alive.pair.accessToken);

    const revoked = await setup({ role: 'bot', user: FAKE_BOT });
    fake.revokeUser(FAKE_BOT.id);
    await revoked.service.validate();
    expect(revoked.service.currentStatus('bot').state).toBe('failed');
    await revoked.expectNoSecrets();
    await alive.expectNoSecrets();
  });

  it('keeps the status when Twitch cannot be reached, and says so as a warning', async () => {
    const { service, log } = await setup({ auth: 'http://127.0.0.1:9/oauth2' });
    await service.validate();
    expect(service.currentStatus('broadcaster')).toEqual({ state: 'ok' });
    expect(await log()).toContain('Twitch token validation failed; will try again.');
  });

  it('validates every hour (virtual time)', async () => {
    const { service } = await setup();
    const validations = () => fake.count('GET', '/oauth2/validate');
    const before = validations();
    const scheduler = new VirtualTimeScheduler(undefined, 3 * 3_600_000);
    const sub = service.validateEvery(scheduler);
    scheduler.flush();
    await until('three validations', () => validations() - before === 3);
    sub.unsubscribe();
    expect(validations() - before).toBe(3);
  });

  it('fails a role signed in with another client id without calling Twitch', async () => {
    const before = fake.requests.length;
    const { service } = await setup({ clientId: 'anotherclient' });
    expect(service.currentStatus('broadcaster')).toMatchObject({ state: 'failed', reason: expect.stringContaining('another client id') });
    await service.validate();
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a call needing a scope the token lacks, naming the scope and the fix', async () => {
    const { service } = await setup({ scopes: ['user:read:chat'] });
    const err = await service
      .api()
      .channelPoints.updateRedemptionStatusByIds(FAKE_STREAMER.id, 'reward', ['redemption'], 'FULFILLED')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwitchAuthError);
    expect((err as Error).message).toContain('channel:manage:redemptions');
    expect(fake.count('PATCH', '/channel_points/custom_rewards/redemptions')).toBe(0);
  });

  it('waits out a 429 until Ratelimit-Reset and retries (twurple), getting the answer', async () => {
    const { service } = await setup();
    const before = fake.count('GET', '/users');
    fake.rateLimit(1, Math.ceil(fakeTwitchNow() / 1000) + 1);
    const user = await service.api().users.getUserByName('streamer');
    expect(user?.id).toBe(FAKE_STREAMER.id);
    expect(fake.count('GET', '/users') - before).toBe(2);
    expect(fake.requests.filter((r) => r.path.endsWith('/users')).at(-2)?.status).toBe(429);
  });
});

describe('tokenFailure', () => {
  it('errors with a SourceFatalError carrying the reason once the token fails, and not before', async () => {
    const { service, user } = await setup();
    const seen: unknown[] = [];
    const sub = tokenFailure(service, 'broadcaster', 'events').subscribe({ error: (e: unknown) => seen.push(e) });
    expect(seen).toEqual([]);
    fake.revokeUser(user.id);
    await service.validate();
    sub.unsubscribe();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(SourceFatalError);
    expect((seen[0] as SourceFatalError).node).toBe('events');
    expect((seen[0] as Error).message).toContain('revoked');
    expect((seen[0] as Error).cause).toBeInstanceOf(TwitchAuthError);
  });

  it('errors at once for a role nobody signed in', async () => {
    const { service } = await setup();
    const seen: unknown[] = [];
    tokenFailure(service, 'bot', 'reply').subscribe({ error: (e: unknown) => seen.push(e) });
    expect(seen).toHaveLength(1);
    expect((seen[0] as Error).message).toContain('chatflow auth twitch --bot');
    expect(((seen[0] as Error).cause as TwitchAuthError).reason).toBe('missing');
  });
});
