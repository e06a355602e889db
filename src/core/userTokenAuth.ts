/**
 * What YouTube's and Kick's sign-in services have in common (core/youtubeAuth.ts,
 * core/kickAuth.ts): one signed-in account per platform, whose user access token the service
 * hands out fresh (refreshing it before it expires, or after a 401) and whose status says when
 * it became unusable. The chat sink sends through {@link UserTokenAuth.fetch}.
 */
import type { Observable } from 'rxjs';
import { PlatformAuthError } from './errors.js';
import { failWhenUnusable, type TokenStatus } from './tokenStatus.js';

/** The platforms signed in with a stored user token (Twitch has its own service, core/twitchAuth.ts). */
export type UserTokenPlatform = 'youtube' | 'kick';

/** Whether the account's token can be used (see {@link TokenStatus}). */
export type UserTokenStatus = TokenStatus;

export interface UserTokenAuth<Account> {
  readonly platform: UserTokenPlatform;
  /** The signed-in account, or undefined when none is. */
  account(): Account | undefined;
  /**
   * A usable access token: the stored one, or a new one when it expires within a minute.
   * Rejects with a {@link PlatformAuthError} once the token is missing or failed (never with
   * a token in its message); a network failure while refreshing rejects with that error and is
   * tried again by the next call.
   */
  accessToken(): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer <token>` added. On a 401 the token is refreshed and the
   * request sent once more (so a body must be a string or absent); a second 401 is returned as
   * it came (e.g. Kick's answer to a missing scope), a refused refresh rejects as
   * {@link accessToken} does.
   */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** The status now, then each change (a revoked token turns `failed`, for good). */
  status(): Observable<UserTokenStatus>;
}

/**
 * For a node that needs the account: fails it for good once the token is missing or failed
 * (see {@link failWhenUnusable}), the cause a {@link PlatformAuthError}.
 */
export function userTokenFailure<A>(auth: UserTokenAuth<A>, node: string): Observable<never> {
  return failWhenUnusable(
    auth.status(),
    node,
    (s) => new PlatformAuthError(auth.platform, s.state === 'missing' ? 'missing' : 'revoked', s.reason),
  );
}
