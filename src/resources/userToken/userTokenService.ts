/**
 * The service behind `YOUTUBE_AUTH` and `KICK_AUTH` (core/userTokenAuth.ts): holds the signed-in
 * account's token, refreshes it a minute before it expires or after a 401, stores each new one
 * at once (Kick's refresh token is single-use), and turns a refresh the platform refuses into a
 * `failed` status that is logged once as an error and remembered: a revoked token costs one
 * refresh request, not one per message, and the nodes needing it fail instead of looping.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { PlatformAuthError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { UserTokenPlatform, UserTokenStatus } from '../../core/userTokenAuth.js';
import type { TokenGrant } from './http.js';
import type { StoredUserToken, UserTokenStore } from './tokenStore.js';

/** Refresh this long before the stated expiry. */
export const EXPIRY_GRACE_MS = 60_000;

export const PLATFORM_NAMES: Record<UserTokenPlatform, string> = { youtube: 'YouTube', kick: 'Kick' };

export interface UserTokenServiceOptions<A> {
  readonly platform: UserTokenPlatform;
  readonly clientId: string;
  /** The stored token, if any. */
  readonly token: StoredUserToken | undefined;
  /** Set when no token can be used whatever is stored (no client id, an unreadable file): `failed` with this reason. */
  readonly unavailable?: string;
  readonly store: UserTokenStore;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
  /** Trades a refresh token for a new grant; undefined when the platform refuses it (revoked, expired). */
  readonly refresh: (refreshToken: string) => Promise<TokenGrant | undefined>;
  /** Whether the platform still accepts an access token (start-up check); true when unsure. */
  readonly check?: (accessToken: string) => Promise<boolean>;
  readonly account: (token: StoredUserToken) => A;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

export class UserTokenService<A> {
  readonly platform: UserTokenPlatform;
  readonly #options: UserTokenServiceOptions<A>;
  readonly #status: BehaviorSubject<UserTokenStatus>;
  readonly #fetch: typeof fetch;
  #token: StoredUserToken | undefined;
  #failure: PlatformAuthError | undefined;
  #refreshing: Promise<StoredUserToken> | undefined;

  constructor(options: UserTokenServiceOptions<A>) {
    this.platform = options.platform;
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#token = options.token;
    const name = PLATFORM_NAMES[options.platform];
    this.#status = new BehaviorSubject<UserTokenStatus>(
      options.token
        ? { state: 'ok' }
        : { state: 'missing', reason: `No ${name} account is signed in; run \`chatflow auth ${options.platform}\`.` },
    );
    if (options.unavailable !== undefined) {
      this.#fail(new PlatformAuthError(options.platform, 'client', options.unavailable));
    } else if (options.token && options.token.clientId !== options.clientId) {
      this.#fail(
        new PlatformAuthError(
          options.platform,
          'client',
          `The ${name} account was signed in with another client id than the configured one; run \`chatflow auth ${options.platform}\` again.`,
        ),
      );
    }
  }

  account(): A | undefined {
    return this.#token ? this.#options.account(this.#token) : undefined;
  }

  status(): Observable<UserTokenStatus> {
    return this.#status.asObservable();
  }

  /** The status right now. */
  currentStatus(): UserTokenStatus {
    return this.#status.value;
  }

  async accessToken(): Promise<string> {
    const token = this.#usable();
    if (this.#options.now() >= token.obtainedAt + token.expiresIn * 1000 - EXPIRY_GRACE_MS) return (await this.#refresh()).accessToken;
    return token.accessToken;
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const sent = await this.accessToken();
    const response = await this.#fetch(url, withBearer(init, sent));
    if (response.status !== 401) return response;
    await response.body?.cancel();
    // Another call may have refreshed meanwhile; only a token that is still the current one is refreshed.
    const current = this.#usable();
    const fresh = current.accessToken === sent ? (await this.#refresh()).accessToken : current.accessToken;
    return this.#fetch(url, withBearer(init, fresh));
  }

  /**
   * Start-up check: refreshes a token that expired while chatflow was not running (or that the
   * platform no longer accepts), so a revoked sign-in is `failed` before the first message.
   * Network trouble is logged and changes nothing.
   */
  async validate(): Promise<void> {
    const token = this.#token;
    if (!token || this.#failure) return;
    const log = this.#options.logger;
    try {
      const expired = this.#options.now() >= token.obtainedAt + token.expiresIn * 1000 - EXPIRY_GRACE_MS;
      if (!expired && (await (this.#options.check?.(token.accessToken) ?? Promise.resolve(true)))) return;
      await this.#refresh();
    } catch (err) {
      if (err instanceof PlatformAuthError) return; // failed, and said so
      log.warn({ err, platform: this.platform }, 'Token check failed; will try again when the token is used.');
    }
  }

  close(): void {
    this.#status.complete();
  }

  #usable(): StoredUserToken {
    if (this.#failure) throw this.#failure;
    if (!this.#token) {
      const s = this.#status.value;
      throw new PlatformAuthError(this.platform, 'missing', s.state === 'ok' ? 'Not signed in.' : s.reason);
    }
    return this.#token;
  }

  #fail(error: PlatformAuthError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#options.logger.error({ platform: this.platform, reason: error.reason, err: error }, 'Token cannot be used; sign in again.');
    this.#status.next({ state: 'failed', reason: error.message });
  }

  #refresh(): Promise<StoredUserToken> {
    if (this.#refreshing) return this.#refreshing;
    let current: StoredUserToken;
    try {
      current = this.#usable();
    } catch (err) {
      return Promise.reject(err);
    }
    const name = PLATFORM_NAMES[this.platform];
    const refreshing = (async () => {
      // A network error propagates and is not remembered: the next call tries again.
      const grant = await this.#options.refresh(current.refreshToken);
      if (!grant) {
        const error = new PlatformAuthError(
          this.platform,
          'revoked',
          `${name} refused to refresh the token of ${current.accountName}: it was revoked or has expired. Run \`chatflow auth ${this.platform}\` to sign in again.`,
        );
        this.#fail(error);
        throw error;
      }
      const next: StoredUserToken = {
        ...current,
        accessToken: grant.accessToken,
        // Google keeps the refresh token (the answer has none); Kick rotates it.
        refreshToken: grant.refreshToken ?? current.refreshToken,
        scopes: grant.scopes.length > 0 ? grant.scopes : current.scopes,
        expiresIn: grant.expiresIn,
        obtainedAt: this.#options.now(),
      };
      this.#token = next;
      try {
        await this.#options.store.save(next);
        this.#options.logger.info({ platform: this.platform, account: next.accountName }, 'Token refreshed and stored.');
      } catch (err) {
        // The new refresh token lives only in memory now: the next start may need a sign-in.
        this.#options.logger.error({ err, platform: this.platform, file: this.#options.store.file }, 'Refreshed token could not be stored.');
      }
      return next;
    })();
    this.#refreshing = refreshing;
    const clear = () => {
      this.#refreshing = undefined;
    };
    refreshing.then(clear, clear);
    return refreshing;
  }
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return { ...init, headers };
}
