/**
 * The Twitch sign-in service components use (`resources.services.get(TWITCH_AUTH)`): a twurple
 * AuthProvider and ApiClient for the signed-in broadcaster and bot accounts, their tokens kept
 * in `.chatflow/twitch-tokens.json` and refreshed on their own (src/resources/twitch/). The
 * runtime provides it when an enabled node declares `scopes` (core/component.ts).
 */
import type { ApiClient } from '@twurple/api';
import type { AuthProvider } from '@twurple/auth';
import type { Observable } from 'rxjs';
import { serviceKey } from './services.js';
import type { TokenStatus } from './tokenStatus.js';

/** Which signed-in account: the channel's owner, or a separate account that chats as a bot. */
export type TwitchAccountRole = 'broadcaster' | 'bot';

export const TWITCH_ACCOUNT_ROLES: readonly TwitchAccountRole[] = ['broadcaster', 'bot'];

/** A signed-in account, as the token store and `/oauth2/validate` know it. */
export interface TwitchAccount {
  readonly userId: string;
  readonly login: string;
  readonly scopes: readonly string[];
}

/** Whether a role's token can be used (see {@link TokenStatus}). */
export type TwitchTokenStatus = TokenStatus;

/** Where Helix and id.twitch.tv live: the real ones by default, the fakes in tests. */
export interface TwitchEndpoints {
  /** Helix base URL without the trailing slash: `https://api.twitch.tv/helix`, or a fake's root. */
  readonly helix: string;
  /** OAuth base URL: `https://id.twitch.tv/oauth2`. */
  readonly auth: string;
  /** EventSub WebSocket URL: `wss://eventsub.wss.twitch.tv/ws`. */
  readonly eventsubWs: string;
}

export interface TwitchAuth {
  /**
   * twurple AuthProvider holding the named account's token; refreshes itself and persists the
   * new tokens. One provider serves both accounts (twurple picks the user per call); the
   * role is also a twurple intent (`getAccessTokenForIntent('bot')`).
   */
  provider(account: TwitchAccountRole): AuthProvider;
  /** The account signed in for this role, or undefined when none is. */
  account(account: TwitchAccountRole): TwitchAccount | undefined;
  /**
   * A twurple ApiClient on that provider, pointed at `endpoints.helix` (a fake through twurple's
   * `mockServerPort`, which also sends EventSubWsListener to `ws://127.0.0.1:<port>/ws`).
   */
  api(): ApiClient;
  /** The role's token status now, then each change (a revoked token turns `failed`). */
  status(account: TwitchAccountRole): Observable<TwitchTokenStatus>;
  readonly endpoints: TwitchEndpoints;
}

export const TWITCH_AUTH = serviceKey<TwitchAuth>('twitchAuth');

/**
 * A scope a node needs on an account's token (a definition's `scopes` fact): satisfied by any
 * of `anyOf`; sign-in requests the first. `why` is shown by `chatflow auth twitch --check`.
 */
export interface TwitchScopeNeed {
  readonly account: TwitchAccountRole;
  readonly anyOf: readonly [string, ...string[]];
  readonly why: string;
}
