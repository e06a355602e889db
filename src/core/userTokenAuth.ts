/**
 * What YouTube's and Kick's sign-in services have in common (core/youtubeAuth.ts,
 * core/kickAuth.ts): one signed-in account per platform, whose user access token the service
 * hands out fresh (refreshing it before it expires, or after a 401) and whose status says when
 * it became unusable. The chat sink sends through {@link UserTokenAuth.fetch}.
 */
import { filter, Observable, take } from 'rxjs';
import { PlatformAuthError, SourceFatalError } from './errors.js';

/** The platforms signed in with a stored user token (Twitch has its own service, core/twitchAuth.ts). */
export type UserTokenPlatform = 'youtube' | 'kick';

/**
 * Whether the account's token can be used. `missing`: never signed in (or with another client
 * id). `failed`: revoked, or expired and not refreshable; only `chatflow auth <platform>` fixes
 * either, so whoever needs the token fails instead of retrying.
 */
export type UserTokenStatus =
  | { readonly state: 'ok' }
  | { readonly state: 'missing'; readonly reason: string }
  | { readonly state: 'failed'; readonly reason: string };

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
 * For a node that needs the account: an Observable that never emits and errors with a
 * {@link SourceFatalError} (its cause a {@link PlatformAuthError}) once the token is missing or
 * failed. Merged into a source (or a sink's send loop), the runtime marks the node `failed`
 * with the reason and does not restart it (no crash loop); the `source_down` alert then fires.
 */
export function userTokenFailure<A>(auth: UserTokenAuth<A>, node: string): Observable<never> {
  return new Observable<never>((subscriber) =>
    auth
      .status()
      .pipe(
        filter((s): s is Exclude<UserTokenStatus, { state: 'ok' }> => s.state !== 'ok'),
        take(1),
      )
      .subscribe((s) => {
        subscriber.error(
          new SourceFatalError(node, s.reason, {
            cause: new PlatformAuthError(auth.platform, s.state === 'missing' ? 'missing' : 'revoked', s.reason),
          }),
        );
      }),
  );
}
