/**
 * `chatflow auth kick` without the terminal: OAuth 2.1 authorization code with PKCE through a
 * loopback redirect (Kick has no device flow), then who signed in, stored in
 * `.chatflow/kick-tokens.json`; and `--check`.
 */
import { KICK_SCOPES, type KickAccount } from '../../core/kickAuth.js';
import { checkStoredToken, type TokenCheck } from '../userToken/checkToken.js';
import type { StoredUserToken, UserTokenStore } from '../userToken/tokenStore.js';
import type { KickOAuth } from './kickOAuth.js';
import { listenForRedirect } from './loopback.js';
import { kickAccountOf } from './openKickAuth.js';
import { newPkce, newState } from './pkce.js';

export interface KickSignInOptions {
  readonly oauth: KickOAuth;
  readonly store: UserTokenStore;
  readonly redirectUri: string;
  /** Called once the redirect is being listened for, with the URL the user opens. */
  readonly onUrl: (url: string) => void;
  /** Epoch ms, stored as when the token was obtained. */
  readonly wallNow: () => number;
  readonly signal?: AbortSignal;
}

export type KickSignInResult =
  | { readonly ok: true; readonly account: KickAccount; readonly refused: number }
  | { readonly ok: false; readonly reason: 'denied' | 'error' | 'aborted'; readonly error?: string };

export async function signInKick(options: KickSignInOptions): Promise<KickSignInResult> {
  const pkce = newPkce();
  const state = newState();
  const loopback = await listenForRedirect({
    redirectUri: options.redirectUri,
    state,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    options.onUrl(options.oauth.authorizeUrl({ redirectUri: options.redirectUri, scopes: KICK_SCOPES, challenge: pkce.challenge, state }));
    const redirect = await loopback.result;
    if (!redirect.ok) return redirect;
    const grant = await options.oauth.exchange(redirect.code, pkce.verifier, options.redirectUri);
    const obtainedAt = options.wallNow();
    const user = await options.oauth.user(grant.accessToken);
    const token: StoredUserToken = {
      clientId: options.oauth.clientId,
      accountId: String(user.userId),
      accountName: user.username,
      scopes: grant.scopes.length > 0 ? grant.scopes : KICK_SCOPES,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken as string,
      expiresIn: grant.expiresIn,
      obtainedAt,
    };
    await options.store.save(token);
    return { ok: true, account: kickAccountOf(token), refused: loopback.refused() };
  } finally {
    await loopback.close();
  }
}

export function checkKick(options: { oauth: KickOAuth; store: UserTokenStore; wallNow: () => number }): Promise<TokenCheck> {
  return checkStoredToken({
    store: options.store,
    clientId: options.oauth.clientId,
    inspect: async (accessToken) => {
      const info = await options.oauth.introspect(accessToken);
      return info.active
        ? { valid: true, scopes: info.scopes, expiresIn: Math.max(0, Math.round(info.exp - options.wallNow() / 1000)) }
        : { valid: false };
    },
    refresh: (refreshToken) => options.oauth.refresh(refreshToken),
    needs: [['chat:write']],
    wallNow: options.wallNow,
  });
}
