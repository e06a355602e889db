/**
 * A `TwitchAuth` for tests: fixed tokens for a broadcaster and a bot, no refresh and no call to
 * id.twitch.tv (twurple's StaticAuthProvider validates every token there, which a test cannot
 * reach), and an ApiClient pointed at a fake's port through twurple's `mockServerPort`, which
 * also sends `EventSubWsListener` to `ws://127.0.0.1:<port>/ws`.
 */
import { ApiClient } from '@twurple/api';
import type { AccessTokenWithUserId, AuthProvider } from '@twurple/auth';
import { BehaviorSubject } from 'rxjs';
import type { TwitchAccount, TwitchAccountRole, TwitchAuth, TwitchTokenStatus } from '../../src/core/twitchAuth.js';

export const TEST_CLIENT_ID = 'chatflow-test-client';
export const TEST_BROADCASTER: TwitchAccount = {
  userId: '1971641',
  login: 'streamer',
  scopes: ['channel:manage:redemptions', 'channel:read:subscriptions', 'moderator:read:followers', 'bits:read', 'channel:read:polls', 'channel:read:predictions', 'channel:read:hype_train', 'channel:read:ads', 'user:read:chat'],
};
export const TEST_BOT: TwitchAccount = { userId: '2914196', login: 'chatflow_bot', scopes: ['user:read:chat', 'user:write:chat'] };

class FixedTokens implements AuthProvider {
  readonly clientId = TEST_CLIENT_ID;
  readonly authorizationType = 'Bearer';
  constructor(private readonly accounts: readonly TwitchAccount[]) {}

  #token(account: TwitchAccount): AccessTokenWithUserId {
    return { accessToken: `token-${account.userId}`, refreshToken: null, scope: [...account.scopes], expiresIn: null, obtainmentTimestamp: 0, userId: account.userId };
  }

  getCurrentScopesForUser(user: unknown): string[] {
    return [...(this.accounts.find((a) => a.userId === String(typeof user === 'object' && user !== null ? (user as { id: string }).id : user))?.scopes ?? [])];
  }

  async getAccessTokenForUser(user: unknown): Promise<AccessTokenWithUserId | null> {
    const id = String(typeof user === 'object' && user !== null ? (user as { id: string }).id : user);
    const account = this.accounts.find((a) => a.userId === id);
    return account === undefined ? null : this.#token(account);
  }

  async getAccessTokenForIntent(intent: string): Promise<AccessTokenWithUserId | null> {
    const account = intent === 'bot' ? this.accounts[1] : this.accounts[0];
    return account === undefined ? null : this.#token(account);
  }

  async getAnyAccessToken(): Promise<AccessTokenWithUserId> {
    return this.#token(this.accounts[0] as TwitchAccount);
  }
}

export interface TestAuth extends TwitchAuth {
  /** Changes an account's token status (a revoked token: `{ state: 'failed', reason }`). */
  setStatus(role: TwitchAccountRole, status: TwitchTokenStatus): void;
}

/** A TwitchAuth whose ApiClient and EventSub socket go to the fake on `port`. */
export function testTwitchAuth(port: number, options: { bot?: boolean; broadcaster?: boolean } = {}): TestAuth {
  const broadcaster = options.broadcaster === false ? undefined : TEST_BROADCASTER;
  const bot = options.bot === true ? TEST_BOT : undefined;
  const provider = new FixedTokens([broadcaster, bot].filter((a): a is TwitchAccount => a !== undefined));
  const api = new ApiClient({ authProvider: provider, mockServerPort: port });
  const statuses = { broadcaster: new BehaviorSubject<TwitchTokenStatus>({ state: 'ok' }), bot: new BehaviorSubject<TwitchTokenStatus>({ state: 'ok' }) };
  return {
    provider: () => provider,
    account: (role) => (role === 'bot' ? bot : broadcaster),
    api: () => api,
    status: (role) => statuses[role].asObservable(),
    setStatus: (role, status) => statuses[role].next(status),
    endpoints: { helix: `http://localhost:${port}/mock`, auth: `http://localhost:${port}/auth`, eventsubWs: `ws://127.0.0.1:${port}/ws` },
  };
}
