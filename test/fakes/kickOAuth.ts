/**
 * A fake Kick OAuth 2.1 server (`id.kick.com`) and the one public API call sign-in makes
 * (`GET /public/v1/users`), on one port, enforcing the rules of reference/kick-send.md §1:
 *
 * - `GET /oauth/authorize`: a known client id, a `redirect_uri` registered for it **exactly**,
 *   `code_challenge_method=S256` with a challenge, a `state` (required by Kick); then, as the
 *   scripted user decides, a 302 to `redirect_uri?code=…&state=…` or `?error=access_denied&state=…`.
 * - `POST /oauth/token`, authorization code: client id **and secret**, a code used once and
 *   within its 10 minutes, the same `redirect_uri` as the authorize request, and
 *   `S256(code_verifier)` equal to the challenge; any failure is Kick's `400 {"error":"Invalid request"}`.
 * - `POST /oauth/token`, refresh: **both tokens rotate**: the old refresh token is spent (a
 *   second use is refused); a revoked one is refused. Client credentials: an app token.
 * - `POST /oauth/revoke?token=…&token_hint_type=…` (200 `OK`), `POST /oauth/token/introspect`.
 * - `GET /public/v1/users`: Bearer with `user:read`, else 401 `{"data":{},"message":"Unauthorized"}`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import { bearerOf, closeServer, type FakeRequestLog, json, serve } from './fakeHttp.js';

export const FAKE_KICK_CLIENT_ID = '01JH8Y3KX4T1V9Q2W5N6M7B8C9';
export const FAKE_KICK_CLIENT_SECRET = 'kick-fake-client-secret';
export const FAKE_KICK_USER = { user_id: 987654321, name: 'chatflow_bot' } as const;

const INVALID = { error: 'Invalid request' };
const UNAUTHORIZED = { data: {}, message: 'Unauthorized' };
const CODE_TTL_MS = 600_000;

interface Code {
  readonly challenge: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly issuedAt: number;
  used: boolean;
}

interface Family {
  readonly scopes: readonly string[];
  revoked: boolean;
}

export class FakeKick {
  readonly requests: FakeRequestLog[] = [];
  /** The redirect URIs registered for the application (set by the test). */
  readonly redirectUris = new Set<string>();
  /** Lifetime of new access tokens, seconds. */
  accessTtl = 7200;
  /** What the user does at the next authorize page: approve (default) or deny. */
  decide: 'approve' | 'deny' = 'approve';
  #server: Server | undefined;
  #base = '';
  readonly #codes = new Map<string, Code>();
  /** refresh token -> its family, and whether it was spent by a refresh. */
  readonly #refresh = new Map<string, { family: Family; spent: boolean }>();
  readonly #access = new Map<string, { family: Family; expiresAt: number }>();

  static async start(): Promise<FakeKick> {
    const fake = new FakeKick();
    const { server, base } = await serve((req, url, params, res) => fake.#handle(req.method ?? 'GET', url, params, bearerOf(req), res), fake.requests);
    fake.#server = server;
    fake.#base = base;
    return fake;
  }

  /** `resources.kick.auth_url`. */
  get authUrl(): string {
    return this.#base;
  }

  /** `resources.kick.api_url`. */
  get apiUrl(): string {
    return `${this.#base}/public/v1`;
  }

  /** The user disconnects the app (or Kick revokes it): every token stops working. */
  revokeAll(): void {
    for (const { family } of this.#refresh.values()) family.revoked = true;
  }

  expireAccessTokens(): void {
    for (const [token, access] of this.#access) this.#access.set(token, { ...access, expiresAt: 0 });
  }

  /** A token pair made without the browser, e.g. to seed a token file. */
  issue(scopes: readonly string[] = ['user:read', 'chat:write']): { accessToken: string; refreshToken: string; expiresIn: number } {
    const family: Family = { scopes, revoked: false };
    const pair = this.#pair(family);
    return { accessToken: pair.access_token, refreshToken: pair.refresh_token, expiresIn: pair.expires_in };
  }

  /**
   * Plays the browser: opens the authorize URL and follows Kick's redirect to chatflow's loopback
   * server. Returns the loopback's status, or Kick's own status when it did not redirect.
   */
  async browse(authorizeUrl: string, tamper?: (redirect: URL) => void): Promise<{ status: number; redirected: boolean }> {
    const page = await fetch(authorizeUrl, { redirect: 'manual' });
    await page.body?.cancel();
    const location = page.headers.get('location');
    if (page.status !== 302 || location === null) return { status: page.status, redirected: false };
    const target = new URL(location);
    tamper?.(target);
    const back = await fetch(target);
    await back.body?.cancel();
    return { status: back.status, redirected: true };
  }

  count(path: string, grantType?: string): number {
    return this.requests.filter((r) => r.path === path && (grantType === undefined || r.params.grant_type === grantType)).length;
  }

  close(): Promise<void> {
    return this.#server ? closeServer(this.#server) : Promise.resolve();
  }

  #pair(family: Family) {
    const access = randomBytes(24).toString('base64url').toUpperCase();
    const refresh = randomBytes(24).toString('base64url').toUpperCase();
    this.#access.set(access, { family, expiresAt: Date.now() + this.accessTtl * 1000 });
    this.#refresh.set(refresh, { family, spent: false });
    return { access_token: access, token_type: 'Bearer', refresh_token: refresh, expires_in: this.accessTtl, scope: family.scopes.join(' ') };
  }

  #live(token: string | undefined) {
    const access = token === undefined ? undefined : this.#access.get(token);
    return access && !access.family.revoked && access.expiresAt > Date.now() ? access : undefined;
  }

  #handle(method: string, url: URL, params: Record<string, string>, bearer: string | undefined, res: ServerResponse): unknown {
    if (method === 'GET' && url.pathname === '/oauth/authorize') {
      const q = params;
      const redirect = q.redirect_uri ?? '';
      if (
        q.response_type !== 'code' ||
        q.client_id !== FAKE_KICK_CLIENT_ID ||
        !this.redirectUris.has(redirect) ||
        q.code_challenge_method !== 'S256' ||
        !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge ?? '') ||
        !q.state
      ) {
        return json(res, 400, INVALID);
      }
      const back = new URL(redirect);
      if (this.decide === 'deny') {
        back.searchParams.set('error', 'access_denied');
      } else {
        const code = randomBytes(18).toString('base64url');
        this.#codes.set(code, {
          challenge: q.code_challenge as string,
          redirectUri: redirect,
          scopes: (q.scope ?? '').split(' ').filter(Boolean),
          issuedAt: Date.now(),
          used: false,
        });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', q.state);
      res.writeHead(302, { Location: back.toString() }).end();
      return true;
    }
    if (method === 'POST' && url.pathname === '/oauth/token') {
      if (!(req_isForm(params) && params.client_id === FAKE_KICK_CLIENT_ID && params.client_secret === FAKE_KICK_CLIENT_SECRET)) {
        return json(res, 400, INVALID);
      }
      if (params.grant_type === 'authorization_code') {
        const code = this.#codes.get(params.code ?? '');
        if (!code || code.used || Date.now() - code.issuedAt > CODE_TTL_MS) return json(res, 400, INVALID);
        code.used = true; // one try, right or wrong (OAuth 2.1)
        if (params.redirect_uri !== code.redirectUri) return json(res, 400, INVALID);
        const verifier = params.code_verifier ?? '';
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return json(res, 400, INVALID);
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return json(res, 400, INVALID);
        return json(res, 200, this.#pair({ scopes: code.scopes, revoked: false }));
      }
      if (params.grant_type === 'refresh_token') {
        const entry = this.#refresh.get(params.refresh_token ?? '');
        if (!entry || entry.spent || entry.family.revoked) return json(res, 400, INVALID);
        entry.spent = true;
        return json(res, 200, this.#pair(entry.family));
      }
      if (params.grant_type === 'client_credentials') {
        const token = randomBytes(24).toString('base64url').toUpperCase();
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
      }
      return json(res, 400, INVALID);
    }
    if (method === 'POST' && url.pathname === '/oauth/revoke') {
      const token = url.searchParams.get('token') ?? '';
      const family = this.#refresh.get(token)?.family ?? this.#access.get(token)?.family;
      if (family) family.revoked = true;
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
      return true;
    }
    if (method === 'POST' && url.pathname === '/oauth/token/introspect') {
      const access = this.#live(bearer);
      if (!access) return json(res, 401, UNAUTHORIZED);
      return json(res, 200, {
        data: { active: true, client_id: FAKE_KICK_CLIENT_ID, token_type: 'user', scope: access.family.scopes.join(' '), exp: Math.floor(access.expiresAt / 1000) },
        message: 'OK',
      });
    }
    if (method === 'GET' && url.pathname === '/public/v1/users') {
      const access = this.#live(bearer);
      if (!access?.family.scopes.includes('user:read')) return json(res, 401, UNAUTHORIZED);
      return json(res, 200, { data: [{ ...FAKE_KICK_USER, email: 'bot@example.com', profile_picture: '' }], message: 'OK' });
    }
    return json(res, 404, { data: {}, message: 'Not found' });
  }
}

/** The token endpoint takes a form body only; `serve` merged it into the params. */
function req_isForm(params: Record<string, string>): boolean {
  return typeof params.grant_type === 'string';
}
