/**
 * The Kick OAuth 2.1 calls chatflow makes (id.kick.com; kick-send.md §1): the authorize URL
 * with PKCE, the code exchange (Kick requires the client secret even with PKCE), refresh (Kick
 * rotates both tokens: the old refresh token is spent), introspect, revoke, and who signed in
 * (`GET /public/v1/users`). Kick's error body is `400 {"error":"Invalid request"}`; what is
 * thrown never holds a token.
 */
import type { KickEndpoints } from '../../core/kickAuth.js';
import { bodyOf, field, grantOf, OAUTH_TIMEOUT_MS, postForm, scopesOf, type TokenGrant } from '../userToken/http.js';

export class KickOAuthError extends Error {
  constructor(
    readonly status: number,
    readonly kickMessage: string,
  ) {
    super(`Kick answered ${status}${kickMessage ? `: ${kickMessage}` : ''}`);
    this.name = 'KickOAuthError';
  }
}

export interface KickOAuthOptions {
  readonly endpoints: KickEndpoints;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly fetch?: typeof fetch;
}

function messageOf(body: unknown): string {
  const text = field(body, 'error') ?? field(body, 'message');
  return typeof text === 'string' ? text : typeof body === 'string' ? body : '';
}

export class KickOAuth {
  readonly #auth: string;
  readonly #api: string;
  readonly #fetch: typeof fetch;

  constructor(readonly options: KickOAuthOptions) {
    this.#auth = options.endpoints.auth.replace(/\/+$/, '');
    this.#api = options.endpoints.api.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /** Where the user approves: `/oauth/authorize` with the S256 challenge and `state` (Kick requires it). */
  authorizeUrl(request: { redirectUri: string; scopes: readonly string[]; challenge: string; state: string }): string {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: request.redirectUri,
      scope: request.scopes.join(' '),
      code_challenge: request.challenge,
      code_challenge_method: 'S256',
      state: request.state,
    });
    return `${this.#auth}/oauth/authorize?${query.toString()}`;
  }

  /** Trades the redirect's code for tokens (the verifier proves this process asked for it). */
  async exchange(code: string, verifier: string, redirectUri: string): Promise<TokenGrant> {
    const { status, body } = await postForm(this.#fetch, `${this.#auth}/oauth/token`, {
      grant_type: 'authorization_code',
      client_id: this.clientId,
      client_secret: this.options.clientSecret,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      code,
    });
    if (status !== 200) throw new KickOAuthError(status, messageOf(body));
    const grant = grantOf(body, 'Kick');
    if (grant.refreshToken === undefined) throw new KickOAuthError(200, 'a token answer without refresh_token');
    return grant;
  }

  /** A new pair (store the new refresh token at once); undefined when Kick refuses the old one. */
  async refresh(refreshToken: string): Promise<TokenGrant | undefined> {
    const { status, body } = await postForm(this.#fetch, `${this.#auth}/oauth/token`, {
      grant_type: 'refresh_token',
      client_id: this.clientId,
      client_secret: this.options.clientSecret,
      refresh_token: refreshToken,
    });
    if (status === 200) return grantOf(body, 'Kick');
    if (status === 400 || status === 401) return undefined;
    throw new KickOAuthError(status, messageOf(body));
  }

  /** Whether Kick still accepts an access token, and its scopes (`POST /oauth/token/introspect`). */
  async introspect(accessToken: string): Promise<{ active: true; scopes: string[]; exp: number } | { active: false }> {
    const response = await this.#fetch(`${this.#auth}/oauth/token/introspect`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
    });
    const body = await bodyOf(response);
    if (response.status === 401) return { active: false };
    if (response.status !== 200) throw new KickOAuthError(response.status, messageOf(body));
    const data = field(body, 'data');
    if (field(data, 'active') !== true) return { active: false };
    return { active: true, scopes: scopesOf(field(data, 'scope')), exp: Number(field(data, 'exp') ?? 0) };
  }

  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
    const query = new URLSearchParams({ token, token_hint_type: hint });
    const response = await this.#fetch(`${this.#auth}/oauth/revoke?${query.toString()}`, {
      method: 'POST',
      signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
    });
    if (response.status !== 200) throw new KickOAuthError(response.status, messageOf(await bodyOf(response)));
  }

  /** The signed-in user (`GET /public/v1/users` without ids: the token's own user). */
  async user(accessToken: string): Promise<{ userId: number; username: string }> {
    const response = await this.#fetch(`${this.#api}/users`, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
    });
    const body = await bodyOf(response);
    if (response.status !== 200) throw new KickOAuthError(response.status, messageOf(body));
    const first = (field(body, 'data') as Array<Record<string, unknown>> | undefined)?.[0];
    if (!first || typeof first.user_id !== 'number') throw new KickOAuthError(200, 'the users answer has no user_id');
    return { userId: first.user_id, username: typeof first.name === 'string' ? first.name : String(first.user_id) };
  }
}
