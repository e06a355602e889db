import { PassThrough } from 'node:stream';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_GOOGLE_CLIENT_ID, FAKE_GOOGLE_CLIENT_SECRET, FakeGoogle } from '../../../test/fakes/googleOAuth.js';
import { FAKE_KICK_CLIENT_ID, FAKE_KICK_CLIENT_SECRET, FAKE_KICK_USER, FakeKick } from '../../../test/fakes/kickOAuth.js';
import { fakeOAuthNow } from '../../../test/fakes/fakeHttp.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { PlatformAuthError, SourceFatalError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { userTokenFailure } from '../../core/userTokenAuth.js';
import { KickOAuth } from '../kick/kickOAuth.js';
import { kickAccountOf } from '../kick/openKickAuth.js';
import { GoogleOAuth } from '../youtube/googleOAuth.js';
import { youtubeAccountOf } from '../youtube/openYoutubeAuth.js';
import { type StoredUserToken, UserTokenStore, userTokenFileIn } from './tokenStore.js';
import { UserTokenService } from './userTokenService.js';

let kick: FakeKick;
let google: FakeGoogle;
const dirs = tempDirs();
beforeAll(async () => {
  [kick, google] = await Promise.all([FakeKick.start(), FakeGoogle.start()]);
});
afterAll(async () => {
  await Promise.all([kick.close(), google.close()]);
  await dirs.removeAll();
});

/** A signed-in Kick or YouTube account, a service over it, its captured log, and every token it held. */
async function setup(platform: 'kick' | 'youtube', options: { ageMs?: number; clientId?: string; token?: boolean } = {}) {
  const store = new UserTokenStore(userTokenFileIn(await dirs.make('chatflow-uts-'), platform), platform);
  const pair = platform === 'kick' ? kick.issue() : google.issue();
  const clientId = platform === 'kick' ? FAKE_KICK_CLIENT_ID : FAKE_GOOGLE_CLIENT_ID;
  const token: StoredUserToken = {
    clientId,
    accountId: platform === 'kick' ? String(FAKE_KICK_USER.user_id) : 'UCvJwrtYddo7hQhSdOLN6hVw',
    accountName: platform === 'kick' ? FAKE_KICK_USER.name : 'ChatFlow Bot',
    scopes: platform === 'kick' ? ['user:read', 'chat:write'] : ['https://www.googleapis.com/auth/youtube'],
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: pair.expiresIn,
    obtainedAt: fakeOAuthNow() - (options.ageMs ?? 0),
  };
  if (options.token !== false) await store.save(token);
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => lines.push(c.toString()));
  const logger = createLogger({ level: 'trace', destination: out });
  const seen = new Set([pair.accessToken, pair.refreshToken]);
  const common = {
    clientId: options.clientId ?? clientId,
    token: options.token === false ? undefined : token,
    store,
    logger,
    now: fakeOAuthNow,
  };
  let service: UserTokenService<unknown>;
  if (platform === 'kick') {
    const oauth = new KickOAuth({ endpoints: { auth: kick.authUrl, api: kick.apiUrl }, clientId: FAKE_KICK_CLIENT_ID, clientSecret: FAKE_KICK_CLIENT_SECRET });
    service = new UserTokenService({
      ...common,
      platform,
      refresh: (r) => oauth.refresh(r),
      check: async (a) => (await oauth.introspect(a)).active,
      account: kickAccountOf,
    });
  } else {
    const oauth = new GoogleOAuth({ endpoints: { auth: google.authUrl, api: google.apiUrl }, clientId: FAKE_GOOGLE_CLIENT_ID, clientSecret: FAKE_GOOGLE_CLIENT_SECRET });
    service = new UserTokenService({
      ...common,
      platform,
      refresh: (r) => oauth.refresh(r),
      check: async (a) => (await oauth.tokenInfo(a)).valid,
      account: youtubeAccountOf,
    });
  }
  const remember = async () => {
    const stored = (await store.read()).token;
    if (stored) {
      seen.add(stored.accessToken);
      seen.add(stored.refreshToken);
    }
  };
  return { service, store, lines, seen, remember, original: token };
}

const userUrl = () => `${kick.apiUrl}/users`;
const channelUrl = () => `${google.apiUrl}/channels?part=snippet&mine=true`;

describe('UserTokenService (Kick: refresh tokens rotate)', () => {
  it('hands out a fresh token as stored, without asking Kick', async () => {
    const s = await setup('kick');
    const before = kick.count('/oauth/token');
    expect(await s.service.accessToken()).toBe(s.original.accessToken);
    expect(kick.count('/oauth/token')).toBe(before);
    expect(s.service.account()).toEqual({ userId: FAKE_KICK_USER.user_id, username: FAKE_KICK_USER.name, scopes: ['user:read', 'chat:write'] });
  });

  it('refreshes a token about to expire, stores the rotated pair at once, and the next refresh uses the new refresh token', async () => {
    const s = await setup('kick', { ageMs: 7200_000 });
    const first = await s.service.accessToken();
    expect(first).not.toBe(s.original.accessToken);
    const stored = (await s.store.read()).token as StoredUserToken;
    expect(stored.accessToken).toBe(first);
    expect(stored.refreshToken).not.toBe(s.original.refreshToken);
    // The old refresh token is spent at Kick: only the stored new one can work.
    const again = new KickOAuth({ endpoints: { auth: kick.authUrl, api: kick.apiUrl }, clientId: FAKE_KICK_CLIENT_ID, clientSecret: FAKE_KICK_CLIENT_SECRET });
    expect(await again.refresh(s.original.refreshToken)).toBeUndefined();
    kick.expireAccessTokens();
    const response = await s.service.fetch(userUrl());
    expect(response.status).toBe(200);
    expect(s.service.currentStatus()).toEqual({ state: 'ok' });
  });

  it('on a 401 refreshes once and sends again; concurrent callers share one refresh', async () => {
    const s = await setup('kick');
    kick.expireAccessTokens();
    const before = kick.count('/oauth/token', 'refresh_token');
    const answers = await Promise.all([s.service.fetch(userUrl()), s.service.fetch(userUrl()), s.service.fetch(userUrl())]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(kick.count('/oauth/token', 'refresh_token') - before).toBe(1);
  });

  it('a revoked sign-in: failed with the reason, one error line, one refresh request, then refused without asking', async () => {
    const s = await setup('kick');
    kick.revokeAll();
    const statuses = lastValueFrom(s.service.status().pipe(toArray()));
    const failure = firstValueFrom(userTokenFailure(s.service as never, 'chat').pipe(toArray())).catch((e: unknown) => e);
    const before = kick.count('/oauth/token', 'refresh_token');
    const err = await s.service.fetch(userUrl()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformAuthError);
    expect((err as PlatformAuthError).code).toBe('ERR_KICK_AUTH');
    expect((err as Error).message).toMatch(/revoked .*chatflow auth kick/);
    await expect(s.service.accessToken()).rejects.toBe(err);
    await expect(s.service.fetch(userUrl())).rejects.toBe(err);
    expect(kick.count('/oauth/token', 'refresh_token') - before).toBe(1);
    const fatal = await failure;
    expect(fatal).toBeInstanceOf(SourceFatalError);
    expect((fatal as SourceFatalError).cause).toBeInstanceOf(PlatformAuthError);
    s.service.close();
    expect((await statuses).map((x) => x.state)).toEqual(['ok', 'failed']);
    const errors = s.lines.filter((l) => l.includes('Token cannot be used; sign in again.'));
    expect(errors).toHaveLength(1);
    await s.remember();
    const log = s.lines.join('');
    for (const secret of s.seen) expect(log).not.toContain(secret);
  });

  it('a token of another client id, and no token at all, are not used', async () => {
    const other = await setup('kick', { clientId: 'another-client' });
    expect(other.service.currentStatus().state).toBe('failed');
    await expect(other.service.accessToken()).rejects.toThrow(/another client id/);
    const none = await setup('kick', { token: false });
    expect(none.service.currentStatus()).toEqual({ state: 'missing', reason: 'No Kick account is signed in; run `chatflow auth kick`.' });
    await expect(none.service.accessToken()).rejects.toMatchObject({ code: 'ERR_KICK_AUTH', reason: 'missing' });
  });

  it('validate at start: a token Kick no longer accepts is refreshed; an unrefreshable one fails before any send', async () => {
    const alive = await setup('kick');
    kick.expireAccessTokens();
    await alive.service.validate();
    expect((await alive.store.read()).token?.accessToken).not.toBe(alive.original.accessToken);
    expect(alive.service.currentStatus().state).toBe('ok');
    const dead = await setup('kick');
    kick.revokeAll();
    await dead.service.validate();
    expect(dead.service.currentStatus().state).toBe('failed');
  });
});

describe('UserTokenService (YouTube: the refresh token stays)', () => {
  it('refreshes an expired token and keeps the refresh token, which keeps working', async () => {
    const s = await setup('youtube', { ageMs: 3600_000 });
    const first = await s.service.accessToken();
    expect(first).not.toBe(s.original.accessToken);
    const stored = (await s.store.read()).token as StoredUserToken;
    expect(stored.refreshToken).toBe(s.original.refreshToken);
    google.expireAccessTokens();
    const response = await s.service.fetch(channelUrl());
    expect(response.status).toBe(200);
    expect((await s.store.read()).token?.refreshToken).toBe(s.original.refreshToken);
  });

  it('fails with ERR_YOUTUBE_AUTH when Google says invalid_grant, and never retries', async () => {
    const s = await setup('youtube');
    google.revokeAll();
    const before = google.count('/token', 'refresh_token');
    await expect(s.service.fetch(channelUrl())).rejects.toMatchObject({ code: 'ERR_YOUTUBE_AUTH', reason: 'revoked' });
    await expect(s.service.fetch(channelUrl())).rejects.toMatchObject({ code: 'ERR_YOUTUBE_AUTH' });
    expect(google.count('/token', 'refresh_token') - before).toBe(1);
    expect(s.service.currentStatus()).toMatchObject({ state: 'failed', reason: expect.stringContaining('chatflow auth youtube') });
  });

  it('a network failure while refreshing is not a failed sign-in: the next call tries again', async () => {
    const s = await setup('youtube', { ageMs: 3600_000 });
    const service = new UserTokenService({
      platform: 'youtube',
      clientId: FAKE_GOOGLE_CLIENT_ID,
      token: s.original,
      store: s.store,
      logger: createLogger({ level: 'silent' }),
      now: fakeOAuthNow,
      refresh: async () => {
        throw new TypeError('fetch failed');
      },
      account: youtubeAccountOf,
    });
    await expect(service.accessToken()).rejects.toThrow('fetch failed');
    expect(service.currentStatus().state).toBe('ok');
    await expect(service.accessToken()).rejects.toThrow('fetch failed');
  });
});
