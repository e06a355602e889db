/**
 * What every signed-in account's status looks like (Twitch's roles, YouTube's and Kick's
 * accounts), and the one way a node that needs the token fails once it is unusable.
 */
import { filter, Observable, take } from 'rxjs';
import { SourceFatalError } from './errors.js';

/**
 * Whether a token can be used. `missing`: never signed in (or with another client id).
 * `failed`: revoked, or expired and not refreshable; only `chatflow auth <platform>` fixes
 * either, so whoever needs the token fails instead of retrying.
 */
export type TokenStatus =
  | { readonly state: 'ok' }
  | { readonly state: 'missing'; readonly reason: string }
  | { readonly state: 'failed'; readonly reason: string };

export type UnusableTokenStatus = Exclude<TokenStatus, { state: 'ok' }>;

/**
 * For a node that needs a token: an Observable that never emits and errors with a
 * {@link SourceFatalError} once `status` turns missing or failed. The error's message is the
 * status's reason (what `/health` and `chatflow top` show); `cause` says which token, so the
 * log (pino joins messages with causes) does not repeat the reason. Merged into a source (or a
 * sink's send loop), the runtime marks the node `failed` and does not restart it (no crash
 * loop); the `source_down` alert then fires.
 */
export function failWhenUnusable(
  status: Observable<TokenStatus>,
  node: string,
  cause: (status: UnusableTokenStatus) => Error,
): Observable<never> {
  return new Observable<never>((subscriber) =>
    status
      .pipe(
        filter((s): s is UnusableTokenStatus => s.state !== 'ok'),
        take(1),
      )
      .subscribe((s) => subscriber.error(new SourceFatalError(node, s.reason, { cause: cause(s) }))),
  );
}
