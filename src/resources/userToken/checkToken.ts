/**
 * `chatflow auth <youtube|kick> --check`: is the stored token still accepted (refreshing a dead
 * one once, and storing the new one), whose is it, and does it hold the scopes chatflow needs.
 */
import type { TokenGrant } from './http.js';
import type { StoredUserToken, UserTokenStore } from './tokenStore.js';

export interface TokenCheck {
  /**
   * `ok`: usable (maybe lacking scopes); `missing`: never signed in; `failed`: revoked or expired
   * and not refreshable; `other_client`: signed in with another client id.
   */
  readonly state: 'ok' | 'missing' | 'failed' | 'other_client';
  readonly token?: StoredUserToken;
  /** Seconds the access token has left, when known. */
  readonly expiresIn?: number;
  readonly refreshed: boolean;
  /** Needed scopes the token lacks (`ok` only). */
  readonly missing: readonly string[];
}

export interface CheckTokenOptions {
  readonly store: UserTokenStore;
  readonly clientId: string;
  /** What the platform says of an access token now. */
  readonly inspect: (accessToken: string) => Promise<{ valid: true; scopes: readonly string[]; expiresIn: number } | { valid: false }>;
  readonly refresh: (refreshToken: string) => Promise<TokenGrant | undefined>;
  /** Each entry: satisfied by any of its scopes. */
  readonly needs: ReadonlyArray<readonly string[]>;
  /** Epoch ms, for a refreshed token. */
  readonly wallNow: () => number;
}

export async function checkStoredToken(options: CheckTokenOptions): Promise<TokenCheck> {
  let { token } = await options.store.read();
  if (!token) return { state: 'missing', refreshed: false, missing: [] };
  if (token.clientId !== options.clientId) return { state: 'other_client', token, refreshed: false, missing: [] };
  let info = await options.inspect(token.accessToken);
  let refreshed = false;
  if (!info.valid) {
    const grant = await options.refresh(token.refreshToken);
    if (!grant) return { state: 'failed', token, refreshed: false, missing: [] };
    token = {
      ...token,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken ?? token.refreshToken,
      scopes: grant.scopes.length > 0 ? grant.scopes : token.scopes,
      expiresIn: grant.expiresIn,
      obtainedAt: options.wallNow(),
    };
    await options.store.save(token);
    refreshed = true;
    info = await options.inspect(token.accessToken);
    if (!info.valid) return { state: 'failed', token, refreshed, missing: [] };
  }
  const scopes = info.scopes.length > 0 ? info.scopes : token.scopes;
  const missing = options.needs.filter((anyOf) => !anyOf.some((s) => scopes.includes(s))).map((anyOf) => anyOf.join(' or '));
  return { state: 'ok', token: { ...token, scopes }, expiresIn: info.expiresIn, refreshed, missing };
}
