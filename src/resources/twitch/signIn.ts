/**
 * `chatflow auth twitch`'s two jobs, without the terminal: sign a role in with the Device Code
 * Grant and store its tokens, and check the stored tokens against what a pipeline needs.
 */
import { TWITCH_ACCOUNT_ROLES, type TwitchAccount, type TwitchAccountRole } from '../../core/twitchAuth.js';
import { type DeviceFlowOptions, type DeviceFlowResult, deviceCodeSignIn } from './deviceFlow.js';
import type { TwitchOAuth } from './oauth.js';
import { missingScopes, type NodeScopeNeed } from './scopes.js';
import type { StoredToken, TwitchTokenStore } from './tokenStore.js';

export interface SignInOptions extends Omit<DeviceFlowOptions, 'oauth' | 'scopes'> {
  readonly oauth: TwitchOAuth;
  readonly store: TwitchTokenStore;
  readonly role: TwitchAccountRole;
  readonly scopes: readonly string[];
  /** Epoch ms, stored as when the token was obtained. */
  readonly wallNow: () => number;
}

export type SignInResult =
  | { readonly ok: true; readonly account: TwitchAccount }
  | Extract<DeviceFlowResult, { ok: false }>;

/** Runs the device flow; on approval, asks Twitch whose token it is and stores it for `role`. */
export async function signIn(options: SignInOptions): Promise<SignInResult> {
  const result = await deviceCodeSignIn({ ...options, oauth: options.oauth, scopes: options.scopes });
  if (!result.ok) return result;
  const obtainedAt = options.wallNow();
  const who = await options.oauth.validate(result.grant.accessToken);
  if (!who.valid) throw new Error('Twitch refused the token it had just issued; try again.');
  const token: StoredToken = {
    clientId: options.oauth.clientId,
    userId: who.userId,
    login: who.login,
    scopes: result.grant.scopes.length > 0 ? result.grant.scopes : who.scopes,
    accessToken: result.grant.accessToken,
    refreshToken: result.grant.refreshToken,
    expiresIn: result.grant.expiresIn,
    obtainedAt,
  };
  await options.store.save(options.role, token);
  return { ok: true, account: { userId: token.userId, login: token.login, scopes: token.scopes } };
}

/** What `--check` found for one role. */
export interface RoleCheck {
  readonly role: TwitchAccountRole;
  /**
   * `ok`: a usable token (maybe lacking scopes); `missing`: never signed in; `failed`: revoked
   * or expired and not refreshable; `other_client`: signed in with another client id.
   */
  readonly state: 'ok' | 'missing' | 'failed' | 'other_client';
  readonly account?: TwitchAccount;
  /** Seconds the access token has left (after a refresh, if one was needed). */
  readonly expiresIn?: number;
  /** True when the check had to refresh the token (and stored the new one). */
  readonly refreshed: boolean;
  /** The pipeline's needs this role does not meet (all of them unless `ok`). */
  readonly missing: readonly NodeScopeNeed[];
  /** How many needs the pipeline has on this role. */
  readonly needed: number;
}

export interface CheckOptions {
  readonly oauth: TwitchOAuth;
  readonly store: TwitchTokenStore;
  readonly needs: readonly NodeScopeNeed[];
  /** Epoch ms, for a refreshed token. */
  readonly wallNow: () => number;
}

/**
 * For each role the pipeline needs or that is signed in: validates the stored token with
 * `/oauth2/validate` (refreshing a dead one once) and lists the needs its scopes miss.
 */
export async function checkTokens(options: CheckOptions): Promise<RoleCheck[]> {
  const { tokens } = await options.store.read();
  const checks: RoleCheck[] = [];
  for (const role of TWITCH_ACCOUNT_ROLES) {
    const needs = options.needs.filter((n) => n.account === role);
    let token = tokens[role];
    if (needs.length === 0 && !token) continue;
    const base = { role, needed: needs.length, refreshed: false };
    if (!token) {
      checks.push({ ...base, state: 'missing', missing: needs });
      continue;
    }
    const account = { userId: token.userId, login: token.login, scopes: token.scopes };
    if (token.clientId !== options.oauth.clientId) {
      checks.push({ ...base, state: 'other_client', account, missing: needs });
      continue;
    }
    let who = await options.oauth.validate(token.accessToken);
    let refreshed = false;
    if (!who.valid) {
      const grant = await options.oauth.refresh(token.refreshToken);
      if (!grant) {
        checks.push({ ...base, state: 'failed', account, missing: needs });
        continue;
      }
      token = {
        ...token,
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken,
        scopes: grant.scopes.length > 0 ? grant.scopes : token.scopes,
        expiresIn: grant.expiresIn,
        obtainedAt: options.wallNow(),
      };
      await options.store.save(role, token);
      refreshed = true;
      who = await options.oauth.validate(token.accessToken);
      if (!who.valid) {
        checks.push({ ...base, state: 'failed', account, missing: needs });
        continue;
      }
    }
    checks.push({
      ...base,
      refreshed,
      state: 'ok',
      account: { userId: who.userId, login: who.login, scopes: who.scopes },
      expiresIn: who.expiresIn,
      missing: missingScopes(needs, role, who.scopes),
    });
  }
  return checks;
}
