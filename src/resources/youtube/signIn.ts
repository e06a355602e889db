/**
 * `chatflow auth youtube` without the terminal: the device flow for the `youtube` scope, then
 * whose channel it is, stored in `.chatflow/youtube-tokens.json`; and `--check`.
 */
import { YOUTUBE_SCOPE, YOUTUBE_SEND_SCOPES, type YoutubeAccount } from '../../core/youtubeAuth.js';
import { checkStoredToken, type TokenCheck } from '../userToken/checkToken.js';
import { type DeviceCodeStart, type DeviceFlowResult, deviceFlow } from '../userToken/deviceFlow.js';
import type { StoredUserToken, UserTokenStore } from '../userToken/tokenStore.js';
import type { GoogleOAuth } from './googleOAuth.js';
import { youtubeAccountOf } from './openYoutubeAuth.js';

export interface YoutubeSignInOptions {
  readonly oauth: GoogleOAuth;
  readonly store: UserTokenStore;
  readonly onCode: (start: DeviceCodeStart) => void;
  /** Epoch ms, stored as when the token was obtained. */
  readonly wallNow: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

export type YoutubeSignInResult = { readonly ok: true; readonly account: YoutubeAccount } | Extract<DeviceFlowResult, { ok: false }>;

export async function signInYoutube(options: YoutubeSignInOptions): Promise<YoutubeSignInResult> {
  const result = await deviceFlow({
    client: options.oauth,
    scopes: [YOUTUBE_SCOPE],
    onCode: options.onCode,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!result.ok) return result;
  const obtainedAt = options.wallNow();
  if (result.grant.refreshToken === undefined) throw new Error('Google granted no refresh token; run the command again.');
  const channel = await options.oauth.channel(result.grant.accessToken);
  const token: StoredUserToken = {
    clientId: options.oauth.clientId,
    accountId: channel.channelId,
    accountName: channel.title,
    scopes: result.grant.scopes.length > 0 ? result.grant.scopes : [YOUTUBE_SCOPE],
    accessToken: result.grant.accessToken,
    refreshToken: result.grant.refreshToken,
    expiresIn: result.grant.expiresIn,
    obtainedAt,
  };
  await options.store.save(token);
  return { ok: true, account: youtubeAccountOf(token) };
}

export function checkYoutube(options: { oauth: GoogleOAuth; store: UserTokenStore; wallNow: () => number }): Promise<TokenCheck> {
  return checkStoredToken({
    store: options.store,
    clientId: options.oauth.clientId,
    inspect: async (accessToken) => {
      const info = await options.oauth.tokenInfo(accessToken);
      return info.valid ? { valid: true, scopes: info.scopes, expiresIn: info.expiresIn } : { valid: false };
    },
    refresh: (refreshToken) => options.oauth.refresh(refreshToken),
    needs: [YOUTUBE_SEND_SCOPES],
    wallNow: options.wallNow,
  });
}
