/**
 * The Google OAuth calls chatflow makes for YouTube (oauth2.googleapis.com): the device flow of
 * a "TV and limited input" client, refresh (Google keeps the refresh token: the answer has
 * none), tokeninfo, revoke, and who signed in (`channels.list?mine=true`, 1 quota unit).
 * Google's errors are RFC 6749 `{error, error_description}`; what is thrown never holds a token.
 */
import type { YoutubeEndpoints } from '../../core/youtubeAuth.js';
import type { DeviceCodeClient, DeviceCodeStart, DevicePoll } from '../userToken/deviceFlow.js';
import { bodyOf, field, grantOf, OAUTH_TIMEOUT_MS, postForm, scopesOf, type TokenGrant } from '../userToken/http.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** An answer of Google that is none of the expected ones (its status and `error`). */
export class GoogleOAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description = '',
  ) {
    super(`Google answered ${status}: ${error}${description ? ` (${description})` : ''}`);
    this.name = 'GoogleOAuthError';
  }
}

export interface GoogleOAuthOptions {
  readonly endpoints: YoutubeEndpoints;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly fetch?: typeof fetch;
}

function errorOf(status: number, body: unknown): GoogleOAuthError {
  const error = field(body, 'error');
  const code = typeof error === 'string' ? error : typeof body === 'string' ? body : '';
  const description = field(body, 'error_description');
  return new GoogleOAuthError(status, code, typeof description === 'string' ? description : '');
}

export class GoogleOAuth implements DeviceCodeClient {
  readonly #auth: string;
  readonly #api: string;
  readonly #fetch: typeof fetch;

  constructor(readonly options: GoogleOAuthOptions) {
    this.#auth = options.endpoints.auth.replace(/\/+$/, '');
    this.#api = options.endpoints.api.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
  }

  get clientId(): string {
    return this.options.clientId;
  }

  async startDevice(scopes: readonly string[]): Promise<DeviceCodeStart> {
    const { status, body } = await postForm(this.#fetch, `${this.#auth}/device/code`, {
      client_id: this.clientId,
      scope: scopes.join(' '),
    });
    if (status !== 200) throw errorOf(status, body);
    return {
      deviceCode: String(field(body, 'device_code')),
      userCode: String(field(body, 'user_code')),
      // Google says `verification_url`; RFC 8628 says `verification_uri`.
      verificationUrl: String(field(body, 'verification_url') ?? field(body, 'verification_uri')),
      expiresIn: Number(field(body, 'expires_in')),
      interval: Number(field(body, 'interval') ?? 5),
    };
  }

  async pollDevice(deviceCode: string): Promise<DevicePoll> {
    const { status, body } = await postForm(this.#fetch, `${this.#auth}/token`, {
      client_id: this.clientId,
      client_secret: this.options.clientSecret,
      device_code: deviceCode,
      grant_type: DEVICE_GRANT,
    });
    if (status === 200) return { kind: 'token', grant: grantOf(body, 'Google') };
    const error = field(body, 'error');
    // Google: 428 authorization_pending, 403 slow_down / access_denied, 400 expired_token.
    if (error === 'authorization_pending') return { kind: 'pending' };
    if (error === 'slow_down') return { kind: 'slow_down' };
    if (error === 'access_denied') return { kind: 'denied' };
    if (error === 'expired_token') return { kind: 'expired' };
    throw errorOf(status, body);
  }

  /** A new access token; undefined when Google refuses the refresh token (`invalid_grant`: revoked, expired). */
  async refresh(refreshToken: string): Promise<TokenGrant | undefined> {
    const { status, body } = await postForm(this.#fetch, `${this.#auth}/token`, {
      client_id: this.clientId,
      client_secret: this.options.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    if (status === 200) return grantOf(body, 'Google');
    if (status === 400 && field(body, 'error') === 'invalid_grant') return undefined;
    throw errorOf(status, body);
  }

  /** Whether Google still accepts an access token, and its scopes. */
  async tokenInfo(accessToken: string): Promise<{ valid: true; scopes: string[]; expiresIn: number } | { valid: false }> {
    const response = await this.#fetch(`${this.#auth}/tokeninfo?access_token=${encodeURIComponent(accessToken)}`, {
      signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
    });
    const body = await bodyOf(response);
    if (response.status === 400) return { valid: false };
    if (response.status !== 200) throw errorOf(response.status, body);
    return { valid: true, scopes: scopesOf(field(body, 'scope')), expiresIn: Number(field(body, 'expires_in') ?? 0) };
  }

  async revoke(token: string): Promise<void> {
    const { status, body } = await postForm(this.#fetch, `${this.#auth}/revoke`, { token });
    if (status !== 200) throw errorOf(status, body);
  }

  /** The channel of the signed-in account (`channels.list?part=snippet&mine=true`). */
  async channel(accessToken: string): Promise<{ channelId: string; title: string }> {
    const response = await this.#fetch(`${this.#api}/channels?part=snippet&mine=true`, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
    });
    const body = await bodyOf(response);
    if (response.status !== 200) {
      const reason = (field(field(body, 'error'), 'errors') as Array<{ reason?: string }> | undefined)?.[0]?.reason ?? '';
      throw new GoogleOAuthError(response.status, reason || 'channels.list failed');
    }
    const first = (field(body, 'items') as Array<{ id?: unknown; snippet?: { title?: unknown } }> | undefined)?.[0];
    if (!first || typeof first.id !== 'string') {
      throw new GoogleOAuthError(200, 'no_channel', 'this Google account has no YouTube channel; create one, or sign in with the account that owns it');
    }
    return { channelId: first.id, title: typeof first.snippet?.title === 'string' ? first.snippet.title : first.id };
  }
}
