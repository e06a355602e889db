/**
 * A `TwitchAuth` for tests of components: tokens the fake Twitch (twitchHelix.ts) issued to its
 * broadcaster and bot as if they had signed in, no refresh and no call to id.twitch.tv, and an
 * ApiClient pointed at the fake's port through twurple's `mockServerPort` (which also sends
 * `EventSubWsListener` to `ws://127.0.0.1:<port>/ws`, where twitchEventSub.ts listens). Token
 * status changes are the test's (`setStatus`); the real service (resources/twitch) is tested
 * against the same fake elsewhere.
 */
import { ApiClient } from '@twurple/api';
import type { AccessTokenWithUserId, AuthProvider } from '@twurple/auth';
import { BehaviorSubject } from 'rxjs';
import type { TwitchAccount, TwitchAccountRole, TwitchAuth, TwitchTokenStatus } from '../../src/core/twitchAuth.js';
import { FAKE_BOT, FAKE_CLIENT_ID, FAKE_STREAMER, type FakeTwitchHelix } from './twitchHelix.js';

/** The broadcaster's scopes: everything `twitch_events` reads, and settling redemptions. */
export const TEST_BROADCASTER_SCOPES: readonly string[] = [
  'channel:manage:redemptions',
  'channel:read:subscriptions',
  'moderator:read:followers',
  'bits:read',
  'channel:read:polls',
  'channel:read:predictions',
  'channel:read:hype_train',
  'channel:read:ads',
  'user:read:chat',
];
export const TEST_BOT_SCOPES: readonly string[] = ['user:read:chat', 'user:write:chat'];

class FixedTokens implements AuthProvider {
  readonly clientId = FAKE_CLIENT_ID;
  readonly authorizationType = 'Bearer';
  constructor(private readonly accounts: readonly { account: TwitchAccount; accessToken: string }[]) {}

  #find(user: unknown) {
    const id = String(typeof user === 'object' && user !== null ? (user as { id: string }).id : user);
    return this.accounts.find((a) => a.account.userId === id);
  }

  #token({ account, accessToken }: { account: TwitchAccount; accessToken: string }): AccessTokenWithUserId {
    return { accessToken, refreshToken: null, scope: [...account.scopes], expiresIn: null, obtainmentTimestamp: 0, userId: account.userId };
  }

  getCurrentScopesForUser(user: unknown): string[] {
    return [...(this.#find(user)?.account.scopes ?? [])];
  }

  async getAccessTokenForUser(user: unknown): Promise<AccessTokenWithUserId | null> {
    const found = this.#find(user);
    return found === undefined ? null : this.#token(found);
  }

  async getAccessTokenForIntent(intent: string): Promise<AccessTokenWithUserId | null> {
    const found = intent === 'bot' ? this.accounts[1] : this.accounts[0];
    return found === undefined ? null : this.#token(found);
  }

  async getAnyAccessToken(): Promise<AccessTokenWithUserId> {
    return this.#token(this.accounts[0] as { account: TwitchAccount; accessToken: string });
  }
}

export interface TestAuth extends TwitchAuth {
  /** Changes an account's token status (a revoked token: `{ state: 'failed', reason }`). */
  setStatus(role: TwitchAccountRole, status: TwitchTokenStatus): void;
}

export interface TestAuthOptions {
  /** Sign in the bot too; default no. */
  readonly bot?: boolean;
  /** Sign in the broadcaster; default yes. */
  readonly broadcaster?: boolean;
  /** Scopes the broadcaster's token lacks (Twitch then answers 403 to what needs them). */
  readonly withoutScopes?: readonly string[];
}

/** A TwitchAuth whose ApiClient and EventSub socket go to `twitch`, with tokens it issued. */
export function testTwitchAuth(twitch: FakeTwitchHelix, options: TestAuthOptions = {}): TestAuth {
  const signIn = (user: typeof FAKE_STREAMER, scopes: readonly string[]) => ({
    account: { userId: user.id, login: user.login, scopes },
    accessToken: twitch.signIn(user, scopes).accessToken,
  });
  const without = new Set(options.withoutScopes ?? []);
  const broadcaster = options.broadcaster === false ? undefined : signIn(FAKE_STREAMER, TEST_BROADCASTER_SCOPES.filter((s) => !without.has(s)));
  const bot = options.bot === true ? signIn(FAKE_BOT, TEST_BOT_SCOPES) : undefined;
  const provider = new FixedTokens([broadcaster, bot].filter((a) => a !== undefined));
  const api = new ApiClient({ authProvider: provider, mockServerPort: twitch.port });
  const statuses = { broadcaster: new BehaviorSubject<TwitchTokenStatus>({ state: 'ok' }), bot: new BehaviorSubject<TwitchTokenStatus>({ state: 'ok' }) };
  return {
    provider: () => provider,
    account: (role) => (role === 'bot' ? bot : broadcaster)?.account,
    api: () => api,
    status: (role) => statuses[role].asObservable(),
    setStatus: (role, status) => statuses[role].next(status),
    endpoints: twitch.endpoints,
  };
}
