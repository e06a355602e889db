/**
 * A twurple `AuthProvider` over the stored tokens of the broadcaster and bot accounts: hands
 * twurple the right user's token, refreshes it when it is about to expire or Helix answers 401,
 * stores each new pair at once (public-client refresh tokens are single-use), and turns a
 * refresh Twitch refuses into a `TwitchAuthError` that is remembered, so a revoked token costs
 * one refresh request, not one per call.
 *
 * Why not twurple's RefreshingAuthProvider: in twurple 7 it requires a client secret, which a
 * device-code (public) client does not have, and it always refreshes at https://id.twitch.tv,
 * so it could not be pointed at a test server without patching.
 */
import type { AccessToken, AccessTokenMaybeWithUserId, AccessTokenWithUserId, AuthProvider } from '@twurple/auth';
import type { UserIdResolvable } from '@twurple/common';
import { TwitchAuthError } from '../../core/errors.js';
import { TWITCH_ACCOUNT_ROLES, type TwitchAccountRole } from '../../core/twitchAuth.js';
import type { TwitchOAuth } from './oauth.js';
import type { StoredToken, StoredTokens } from './tokenStore.js';

/** Refresh this long before the stated expiry (twurple's own grace period). */
const EXPIRY_GRACE_MS = 60_000;

export interface TokenProviderOptions {
  readonly oauth: TwitchOAuth;
  readonly tokens: StoredTokens;
  /** Stores a refreshed token; awaited before the new token is used. */
  readonly onRefresh: (role: TwitchAccountRole, token: StoredToken) => Promise<void>;
  /** A role's token became unusable (told once per role). */
  readonly onFailure: (role: TwitchAccountRole, error: TwitchAuthError) => void;
  /** Epoch ms: when a token was obtained, and whether it expired. */
  readonly now: () => number;
}

function userIdOf(user: UserIdResolvable): string {
  return typeof user === 'object' ? user.id : String(user);
}

export function isRole(name: string): name is TwitchAccountRole {
  return (TWITCH_ACCOUNT_ROLES as readonly string[]).includes(name);
}

export class StoredTokenProvider implements AuthProvider {
  readonly authorizationType = 'Bearer';
  readonly #options: TokenProviderOptions;
  readonly #tokens = new Map<TwitchAccountRole, StoredToken>();
  readonly #failed = new Map<TwitchAccountRole, TwitchAuthError>();
  readonly #refreshing = new Map<TwitchAccountRole, Promise<AccessTokenWithUserId>>();

  constructor(options: TokenProviderOptions) {
    this.#options = options;
    for (const role of TWITCH_ACCOUNT_ROLES) {
      const token = options.tokens[role];
      if (token) this.#tokens.set(role, token);
    }
  }

  get clientId(): string {
    return this.#options.oauth.clientId;
  }

  /** The stored token of a role (for validation and the account facts). */
  token(role: TwitchAccountRole): StoredToken | undefined {
    return this.#tokens.get(role);
  }

  /** Why a role's token cannot be used, once it cannot. */
  failure(role: TwitchAccountRole): TwitchAuthError | undefined {
    return this.#failed.get(role);
  }

  /** Marks a role's token unusable (a refresh refused, or validation found it dead and unrefreshable). */
  fail(role: TwitchAccountRole, error: TwitchAuthError): void {
    if (this.#failed.has(role)) return;
    this.#failed.set(role, error);
    this.#options.onFailure(role, error);
  }

  getCurrentScopesForUser(user: UserIdResolvable): string[] {
    const role = this.#roleOf(userIdOf(user));
    return role ? [...(this.#tokens.get(role)?.scopes ?? [])] : [];
  }

  async getAccessTokenForUser(
    user: UserIdResolvable,
    ...scopeSets: Array<string[] | undefined>
  ): Promise<AccessTokenWithUserId | null> {
    const role = this.#roleOf(userIdOf(user));
    return role ? this.#tokenFor(role, scopeSets) : null;
  }

  async getAccessTokenForIntent(intent: string, ...scopeSets: Array<string[] | undefined>): Promise<AccessTokenWithUserId | null> {
    return isRole(intent) && this.#tokens.has(intent) ? this.#tokenFor(intent, scopeSets) : null;
  }

  async getAnyAccessToken(user?: UserIdResolvable): Promise<AccessTokenMaybeWithUserId> {
    // twurple passes the user a call is about (e.g. the one looked up), who need not be signed
    // in; without an app token, any signed-in user's token does (Helix reads are not per user).
    const own = user === undefined ? undefined : this.#roleOf(userIdOf(user));
    const role = own ?? TWITCH_ACCOUNT_ROLES.find((r) => this.#tokens.has(r) && !this.#failed.has(r)) ?? TWITCH_ACCOUNT_ROLES.find((r) => this.#tokens.has(r));
    if (!role) {
      throw new TwitchAuthError('broadcaster', 'missing', 'No Twitch account is signed in; run `chatflow auth twitch`.');
    }
    return this.#tokenFor(role, []);
  }

  async refreshAccessTokenForUser(user: UserIdResolvable): Promise<AccessTokenWithUserId> {
    const role = this.#roleOf(userIdOf(user));
    if (!role) throw new TwitchAuthError('broadcaster', 'missing', 'That Twitch user is not signed in to chatflow.');
    return this.#refresh(role);
  }

  async refreshAccessTokenForIntent(intent: string): Promise<AccessTokenWithUserId> {
    if (!isRole(intent) || !this.#tokens.has(intent)) {
      throw new TwitchAuthError(isRole(intent) ? intent : 'broadcaster', 'missing', `No Twitch ${intent} account is signed in.`);
    }
    return this.#refresh(intent);
  }

  /** Refreshes a role's token now (validation found it expired), or throws its failure. */
  refresh(role: TwitchAccountRole): Promise<AccessTokenWithUserId> {
    return this.#refresh(role);
  }

  #roleOf(userId: string): TwitchAccountRole | undefined {
    return TWITCH_ACCOUNT_ROLES.find((r) => this.#tokens.get(r)?.userId === userId);
  }

  async #tokenFor(role: TwitchAccountRole, scopeSets: ReadonlyArray<readonly string[] | undefined>): Promise<AccessTokenWithUserId> {
    const failed = this.#failed.get(role);
    if (failed) throw failed;
    const token = this.#tokens.get(role) as StoredToken;
    for (const set of scopeSets) {
      if (set && set.length > 0 && !set.some((s) => token.scopes.includes(s))) {
        throw new TwitchAuthError(
          role,
          'scope',
          `The Twitch ${role} account (${token.login}) lacks the scope ${set.join(' or ')}; run \`chatflow auth twitch${role === 'bot' ? ' --bot' : ''}\` again.`,
        );
      }
    }
    if (this.#options.now() >= token.obtainedAt + token.expiresIn * 1000 - EXPIRY_GRACE_MS) return this.#refresh(role);
    return accessTokenOf(token);
  }

  #refresh(role: TwitchAccountRole): Promise<AccessTokenWithUserId> {
    const failed = this.#failed.get(role);
    if (failed) return Promise.reject(failed);
    const running = this.#refreshing.get(role);
    if (running) return running;
    const current = this.#tokens.get(role);
    if (!current) {
      return Promise.reject(new TwitchAuthError(role, 'missing', `No Twitch ${role} account is signed in.`));
    }
    const refreshing = (async () => {
      // A network error propagates and is not remembered: the next call tries again.
      const grant = await this.#options.oauth.refresh(current.refreshToken);
      if (!grant) {
        const error = new TwitchAuthError(
          role,
          'revoked',
          `Twitch refused to refresh the ${role} account's token (${current.login}): it was revoked or has not been used for 30 days. Run \`chatflow auth twitch${role === 'bot' ? ' --bot' : ''}\` to sign in again.`,
        );
        this.fail(role, error);
        throw error;
      }
      const next: StoredToken = {
        ...current,
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken,
        scopes: grant.scopes.length > 0 ? grant.scopes : current.scopes,
        expiresIn: grant.expiresIn,
        obtainedAt: this.#options.now(),
      };
      this.#tokens.set(role, next);
      await this.#options.onRefresh(role, next);
      return accessTokenOf(next);
    })();
    this.#refreshing.set(role, refreshing);
    const clear = () => {
      this.#refreshing.delete(role);
    };
    refreshing.then(clear, clear);
    return refreshing;
  }
}

function accessTokenOf(token: StoredToken): AccessTokenWithUserId {
  const access: AccessToken = {
    accessToken: token.accessToken,
    refreshToken: token.refreshToken,
    scope: [...token.scopes],
    expiresIn: token.expiresIn,
    obtainmentTimestamp: token.obtainedAt,
  };
  return { ...access, userId: token.userId };
}
