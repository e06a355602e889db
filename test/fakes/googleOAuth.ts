/**
 * A fake Google OAuth (`oauth2.googleapis.com`) and the one Data API call sign-in makes
 * (`channels.list?mine=true`), enforcing Google's rules for a "TV and limited input" client
 * (reference/youtube-send.md §4, Google's device-flow guide):
 *
 * - `POST /device/code`: a known client id, and only the scopes the device flow allows
 *   (`youtube`, `youtube.readonly`, openid/email/profile…; `youtube.force-ssl` is `invalid_scope`).
 * - `POST /token`, device grant: the client secret checked (401 `invalid_client`); scripted
 *   `authorization_pending` (428), `slow_down` (403), `access_denied` (403), `expired_token`
 *   (400); a code that already gave tokens is `invalid_grant`.
 * - `POST /token`, refresh grant: a new access token and **no** `refresh_token` (Google does not
 *   rotate it: the old one keeps working); a revoked or unknown one is 400 `invalid_grant`.
 * - `GET /tokeninfo`: 200 with `scope`, `expires_in`; 400 `invalid_token` for a dead token.
 * - `POST /revoke`: revoking either token revokes the grant (its refresh and access tokens).
 * - `GET /youtube/v3/channels?part=snippet&mine=true`: Bearer checked (401 `authError` in
 *   Google's error envelope), the signed-in channel.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { bearerOf, closeServer, type FakeRequestLog, json, serve } from './fakeHttp.js';

export const FAKE_GOOGLE_CLIENT_ID = '1234567890-chatflowtv.apps.googleusercontent.com';
export const FAKE_GOOGLE_CLIENT_SECRET = 'GOCSPX-fake-secret';
export const FAKE_CHANNEL = { id: 'UCvJwrtYddo7hQhSdOLN6hVw', title: 'ChatFlow Bot' } as const;

/** Scopes Google's device flow accepts (the rest: `invalid_scope`). */
export const DEVICE_FLOW_SCOPES = [
  'https://www.googleapis.com/auth/youtube',
  'https://www.googleapis.com/auth/youtube.readonly',
  'openid',
  'email',
  'profile',
];

export interface GoogleDeviceScript {
  readonly pending?: number;
  /** Poll numbers (1-based, among the pending ones) answered `slow_down`. */
  readonly slowDownAt?: readonly number[];
  readonly outcome?: 'approve' | 'deny' | 'expire';
  readonly interval?: number;
  readonly expiresIn?: number;
}

interface Grant {
  readonly refreshToken: string;
  readonly scopes: readonly string[];
  revoked: boolean;
}

interface AccessToken {
  readonly grant: Grant;
  readonly expiresAt: number;
}

export class FakeGoogle {
  readonly requests: FakeRequestLog[] = [];
  /** Lifetime of new access tokens, seconds (Google: 3599). */
  accessTtl = 3599;
  #server: Server | undefined;
  #base = '';
  readonly #scripts: GoogleDeviceScript[] = [];
  readonly #devices = new Map<string, { script: Required<GoogleDeviceScript>; scopes: string[]; polls: number; used: boolean }>();
  readonly #grants = new Map<string, Grant>();
  readonly #access = new Map<string, AccessToken>();
  /** The channel `channels.list?mine=true` answers; undefined: the account has none. */
  channel: { id: string; title: string } | undefined = { ...FAKE_CHANNEL };

  static async start(): Promise<FakeGoogle> {
    const fake = new FakeGoogle();
    const { server, base } = await serve((req, url, params, res) => fake.#handle(req.method ?? 'GET', url, params, bearerOf(req), res), fake.requests);
    fake.#server = server;
    fake.#base = base;
    return fake;
  }

  /** `resources.youtube.auth_url`. */
  get authUrl(): string {
    return this.#base;
  }

  /** `resources.youtube.api_url`. */
  get apiUrl(): string {
    return `${this.#base}/youtube/v3`;
  }

  /** What the user does with the next device code (default: approve at the first poll). */
  script(next: GoogleDeviceScript): void {
    this.#scripts.push(next);
  }

  /** The user removes chatflow's access (myaccount.google.com → Security → Third-party access). */
  revokeAll(): void {
    for (const grant of this.#grants.values()) grant.revoked = true;
  }

  /** Ends the life of every access token now (as an hour passing would). */
  expireAccessTokens(): void {
    for (const [token, access] of this.#access) this.#access.set(token, { ...access, expiresAt: 0 });
  }

  /** A grant made without the device flow, e.g. to seed a token file. */
  issue(scopes: readonly string[] = [DEVICE_FLOW_SCOPES[0] as string]): { accessToken: string; refreshToken: string; expiresIn: number } {
    const grant: Grant = { refreshToken: `1//${randomBytes(24).toString('base64url')}`, scopes, revoked: false };
    this.#grants.set(grant.refreshToken, grant);
    return { accessToken: this.#newAccess(grant), refreshToken: grant.refreshToken, expiresIn: this.accessTtl };
  }

  count(path: string, grantType?: string): number {
    return this.requests.filter((r) => r.path === path && (grantType === undefined || r.params.grant_type === grantType)).length;
  }

  close(): Promise<void> {
    return this.#server ? closeServer(this.#server) : Promise.resolve();
  }

  #newAccess(grant: Grant): string {
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    this.#access.set(token, { grant, expiresAt: Date.now() + this.accessTtl * 1000 });
    return token;
  }

  #live(token: string | undefined): AccessToken | undefined {
    const access = token === undefined ? undefined : this.#access.get(token);
    return access && !access.grant.revoked && access.expiresAt > Date.now() ? access : undefined;
  }

  #handle(method: string, url: URL, params: Record<string, string>, bearer: string | undefined, res: import('node:http').ServerResponse): unknown {
    const oauthError = (status: number, error: string, description?: string) =>
      json(res, status, description === undefined ? { error } : { error, error_description: description });
    if (method === 'POST' && url.pathname === '/device/code') {
      if (params.client_id !== FAKE_GOOGLE_CLIENT_ID) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
      const scopes = (params.scope ?? '').split(' ').filter(Boolean);
      if (scopes.length === 0 || scopes.some((s) => !DEVICE_FLOW_SCOPES.includes(s))) return oauthError(400, 'invalid_scope');
      const script = { pending: 0, slowDownAt: [], outcome: 'approve' as const, interval: 5, expiresIn: 1800, ...this.#scripts.shift() };
      const code = `AH-${randomBytes(16).toString('base64url')}`;
      this.#devices.set(code, { script, scopes, polls: 0, used: false });
      return json(res, 200, {
        device_code: code,
        user_code: 'GQVQ-JKEC',
        verification_url: 'https://www.google.com/device',
        expires_in: script.expiresIn,
        interval: script.interval,
      });
    }
    if (method === 'POST' && url.pathname === '/token') {
      if (params.client_id !== FAKE_GOOGLE_CLIENT_ID || params.client_secret !== FAKE_GOOGLE_CLIENT_SECRET) {
        return oauthError(401, 'invalid_client', 'Unauthorized');
      }
      if (params.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        const device = this.#devices.get(params.device_code ?? '');
        if (!device || device.used) return oauthError(400, 'invalid_grant', 'Malformed auth code.');
        device.polls += 1;
        const { script } = device;
        if (device.polls <= script.pending) {
          return script.slowDownAt.includes(device.polls) ? oauthError(403, 'slow_down') : oauthError(428, 'authorization_pending', 'Precondition Required');
        }
        if (script.outcome === 'deny') return oauthError(403, 'access_denied', 'Forbidden');
        if (script.outcome === 'expire') return oauthError(400, 'expired_token', 'Bad Request');
        device.used = true;
        const grant: Grant = { refreshToken: `1//${randomBytes(24).toString('base64url')}`, scopes: device.scopes, revoked: false };
        this.#grants.set(grant.refreshToken, grant);
        return json(res, 200, {
          access_token: this.#newAccess(grant),
          expires_in: this.accessTtl,
          refresh_token: grant.refreshToken,
          scope: grant.scopes.join(' '),
          token_type: 'Bearer',
        });
      }
      if (params.grant_type === 'refresh_token') {
        const grant = this.#grants.get(params.refresh_token ?? '');
        if (!grant || grant.revoked) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
        // Not rotated: no refresh_token in the answer, and the old one stays valid.
        return json(res, 200, { access_token: this.#newAccess(grant), expires_in: this.accessTtl, scope: grant.scopes.join(' '), token_type: 'Bearer' });
      }
      return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
    }
    if (method === 'GET' && url.pathname === '/tokeninfo') {
      const access = this.#live(params.access_token);
      if (!access) return oauthError(400, 'invalid_token', 'Invalid Value');
      return json(res, 200, {
        azp: FAKE_GOOGLE_CLIENT_ID,
        aud: FAKE_GOOGLE_CLIENT_ID,
        scope: access.grant.scopes.join(' '),
        exp: String(Math.floor(access.expiresAt / 1000)),
        expires_in: String(Math.max(0, Math.floor((access.expiresAt - Date.now()) / 1000))),
        access_type: 'offline',
      });
    }
    if (method === 'POST' && url.pathname === '/revoke') {
      const token = params.token ?? '';
      const grant = this.#grants.get(token) ?? this.#access.get(token)?.grant;
      if (!grant) return oauthError(400, 'invalid_token', 'Token expired or revoked');
      grant.revoked = true;
      return json(res, 200, {});
    }
    if (method === 'GET' && url.pathname === '/youtube/v3/channels') {
      const access = this.#live(bearer);
      if (!access) {
        return json(res, 401, {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials.',
            errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
            status: 'UNAUTHENTICATED',
          },
        });
      }
      if (url.searchParams.get('part') !== 'snippet' || url.searchParams.get('mine') !== 'true') {
        return json(res, 400, { error: { code: 400, message: 'No filter selected.', errors: [{ reason: 'missingRequiredParameter' }] } });
      }
      const items = this.channel ? [{ kind: 'youtube#channel', id: this.channel.id, snippet: { title: this.channel.title } }] : [];
      return json(res, 200, { kind: 'youtube#channelListResponse', pageInfo: { totalResults: items.length, resultsPerPage: 5 }, items });
    }
    return json(res, 404, { error: { code: 404, message: 'Not Found', errors: [{ reason: 'notFound' }] } });
  }
}
