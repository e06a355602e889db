/**
 * The `TWITCH_AUTH` service (core/twitchAuth.ts): the signed-in accounts, one twurple
 * AuthProvider and ApiClient over them, each role's token status, and validation at start-up
 * and every hour (Twitch requires both). A token that turns out revoked or expired and cannot
 * be refreshed is `failed`, logged once as an error, and never retried: the nodes that need it
 * fail with the reason (see {@link tokenFailure}) instead of restarting in a loop.
 */
import { createRequire } from 'node:module';
import type { ApiClient } from '@twurple/api';
import type { AuthProvider } from '@twurple/auth';
import { BehaviorSubject, type Observable, type SchedulerLike, type Subscription, timer } from 'rxjs';
import { TwitchAuthError } from '../../core/errors.js';
import { failWhenUnusable } from '../../core/tokenStatus.js';
import type { Logger } from '../../core/logger.js';
import {
  TWITCH_ACCOUNT_ROLES,
  type TwitchAccount,
  type TwitchAccountRole,
  type TwitchAuth,
  type TwitchEndpoints,
  type TwitchTokenStatus,
} from '../../core/twitchAuth.js';
import { helixMockPort } from './endpoints.js';
import { TwitchOAuth } from './oauth.js';
import { StoredTokenProvider } from './tokenProvider.js';
import type { StoredTokens, TwitchTokenStore } from './tokenStore.js';

/** Twitch: "validate at start-up and then hourly". */
export const VALIDATE_EVERY_MS = 3_600_000;

export interface TwitchAuthServiceOptions {
  readonly clientId: string;
  /**
   * Set when no account can be used whatever the tokens (no client id configured, an unreadable
   * token file): every role is `failed` with this reason.
   */
  readonly unavailable?: string;
  readonly endpoints: TwitchEndpoints;
  readonly store: TwitchTokenStore;
  readonly tokens: StoredTokens;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
  /** Default: one on `endpoints.auth` with the global fetch. */
  readonly oauth?: TwitchOAuth;
}

// twurple is loaded when Helix is first used, not when chatflow starts: about 40 MiB of a show's
// memory that a pipeline without Twitch never needs (docs/architecture.md, "Memory"). Loaded
// with `require`, the same copy the EventSub listener loads (sources/twitchEvents/listener.ts).
const load = createRequire(import.meta.url);

/** twurple's own log lines, at warning and above only (its debug and trace lines carry request bodies). */
export function twurpleLogger(logger: Logger) {
  return {
    minLevel: 'warning',
    custom: (level: number, message: string) => {
      if (level <= 1) logger.error({ twurple: message }, 'Twitch client library (twurple) reported an error.');
      else logger.warn({ twurple: message }, 'Twitch client library (twurple) reported a problem.');
    },
  };
}

export class TwitchAuthService implements TwitchAuth {
  readonly endpoints: TwitchEndpoints;
  readonly #provider: StoredTokenProvider;
  readonly #oauth: TwitchOAuth;
  readonly #log: Logger;
  readonly #status = new Map<TwitchAccountRole, BehaviorSubject<TwitchTokenStatus>>();
  #api: ApiClient | undefined;

  constructor(options: TwitchAuthServiceOptions) {
    this.endpoints = options.endpoints;
    this.#log = options.logger;
    this.#oauth = options.oauth ?? new TwitchOAuth({ auth: options.endpoints.auth, clientId: options.clientId });
    for (const role of TWITCH_ACCOUNT_ROLES) {
      const token = options.tokens[role];
      this.#status.set(
        role,
        new BehaviorSubject<TwitchTokenStatus>(
          token
            ? { state: 'ok' }
            : { state: 'missing', reason: `No Twitch ${role} account is signed in; run \`chatflow auth twitch${role === 'bot' ? ' --bot' : ''}\`.` },
        ),
      );
    }
    this.#provider = new StoredTokenProvider({
      oauth: this.#oauth,
      tokens: options.tokens,
      now: options.now,
      onRefresh: async (role, token) => {
        try {
          await options.store.save(role, token);
          this.#log.info({ account: role, login: token.login }, 'Twitch token refreshed and stored.');
        } catch (err) {
          // The new refresh token lives only in memory now: the next start will need a sign-in.
          this.#log.error({ err, account: role, file: options.store.file }, 'Refreshed Twitch token could not be stored.');
        }
      },
      reload: async (role) => {
        const token = (await options.store.read()).tokens[role];
        return token?.clientId === options.clientId ? token : undefined;
      },
      onFailure: (role, error) => {
        this.#log.error({ account: role, reason: error.reason, err: error }, 'Twitch token cannot be used; sign in again.');
        this.#status.get(role)?.next({ state: 'failed', reason: error.message });
      },
    });
    for (const role of TWITCH_ACCOUNT_ROLES) {
      const token = options.tokens[role];
      if (options.unavailable !== undefined) {
        this.#provider.fail(role, new TwitchAuthError(role, 'client', options.unavailable));
      } else if (token && token.clientId !== options.clientId) {
        this.#provider.fail(
          role,
          new TwitchAuthError(
            role,
            'client',
            `The Twitch ${role} account was signed in with another client id than the configured one; run \`chatflow auth twitch${role === 'bot' ? ' --bot' : ''}\` again.`,
          ),
        );
      }
    }
  }

  provider(_account: TwitchAccountRole): AuthProvider {
    return this.#provider;
  }

  account(account: TwitchAccountRole): TwitchAccount | undefined {
    const token = this.#provider.token(account);
    return token ? { userId: token.userId, login: token.login, scopes: token.scopes } : undefined;
  }

  api(): ApiClient {
    if (this.#api === undefined) {
      const { ApiClient: Client } = load('@twurple/api') as typeof import('@twurple/api');
      const port = helixMockPort(this.endpoints.helix);
      this.#api = new Client({
        authProvider: this.#provider,
        logger: twurpleLogger(this.#log),
        ...(typeof port === 'number' ? { mockServerPort: port } : {}),
      });
    }
    return this.#api;
  }

  status(account: TwitchAccountRole): Observable<TwitchTokenStatus> {
    return (this.#status.get(account) as BehaviorSubject<TwitchTokenStatus>).asObservable();
  }

  /** The status right now. */
  currentStatus(account: TwitchAccountRole): TwitchTokenStatus {
    return (this.#status.get(account) as BehaviorSubject<TwitchTokenStatus>).value;
  }

  /**
   * Validates every stored token that is still usable: a dead one is refreshed, and one that
   * cannot be refreshed fails its role. Network trouble is logged and changes nothing.
   */
  async validate(): Promise<void> {
    for (const role of TWITCH_ACCOUNT_ROLES) {
      const token = this.#provider.token(role);
      if (!token || this.#provider.failure(role)) continue;
      try {
        const result = await this.#oauth.validate(token.accessToken);
        if (result.valid) continue;
        await this.#provider.refresh(role);
      } catch (err) {
        if (err instanceof TwitchAuthError) continue; // failed its role already, and said so
        this.#log.warn({ err, account: role }, 'Twitch token validation failed; will try again.');
      }
    }
  }

  /** Validates every `everyMs` (the first time after `everyMs`) until the subscription ends. */
  validateEvery(scheduler: SchedulerLike, everyMs = VALIDATE_EVERY_MS): Subscription {
    return timer(everyMs, everyMs, scheduler).subscribe(() => {
      void this.validate();
    });
  }

  close(): void {
    for (const subject of this.#status.values()) subject.complete();
  }
}

/**
 * For a node that needs a role's token: fails it for good once the token is missing, revoked
 * or expired (see {@link failWhenUnusable}), the cause a `TwitchAuthError` naming the role.
 */
export function tokenFailure(auth: TwitchAuth, role: TwitchAccountRole, node: string): Observable<never> {
  return failWhenUnusable(
    auth.status(role),
    node,
    (s) => new TwitchAuthError(role, s.state === 'missing' ? 'missing' : 'revoked', `Twitch ${role} token ${s.state}`),
  );
}
