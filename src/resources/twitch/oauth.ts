/**
 * The id.twitch.tv calls chatflow makes itself (reference/twitch-eventsub.md §5): start a device
 * code, poll it, refresh, validate, revoke. Twitch's errors are `{status, message}`; the
 * results here are values, and what is thrown never holds a token.
 */

/** A token pair as the token endpoint returns it. */
export interface TokenGrant {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds the access token lives from now. */
  readonly expiresIn: number;
  readonly scopes: readonly string[];
}

/** What `POST /oauth2/device` answers: what to show the user, and how to poll. */
export interface DeviceCodeStart {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  /** Seconds the code is valid. */
  readonly expiresIn: number;
  /** Seconds between polls. */
  readonly interval: number;
}

/** One poll of a device code. */
export type DevicePoll =
  | { readonly kind: 'token'; readonly grant: TokenGrant }
  | { readonly kind: 'pending' }
  | { readonly kind: 'slow_down' }
  /** Twitch's `invalid device code`: expired, declined, or already used. */
  | { readonly kind: 'invalid'; readonly message: string };

/** What `GET /oauth2/validate` says of a token. */
export type Validation =
  | {
      readonly valid: true;
      readonly clientId: string;
      readonly login: string;
      readonly userId: string;
      readonly scopes: readonly string[];
      /** Seconds left. */
      readonly expiresIn: number;
    }
  | { readonly valid: false };

/** An answer of id.twitch.tv that is none of the expected ones (its status and Twitch's message). */
export class TwitchOAuthError extends Error {
  constructor(
    readonly status: number,
    readonly twitchMessage: string,
  ) {
    super(`id.twitch.tv answered ${status}: ${twitchMessage}`);
    this.name = 'TwitchOAuthError';
  }
}

export interface OAuthClientOptions {
  /** Base URL, `https://id.twitch.tv/oauth2` or a fake's. */
  readonly auth: string;
  readonly clientId: string;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Longest wait for one answer (default 15 s), so a start-up validation cannot hang a run. */
  readonly timeoutMs?: number;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The OAuth endpoints for one client id. */
export class TwitchOAuth {
  readonly #base: string;
  readonly #fetch: typeof fetch;

  constructor(readonly options: OAuthClientOptions) {
    this.#base = options.auth.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /** Starts a Device Code Grant for `scopes` (public client: no secret). */
  async startDevice(scopes: readonly string[]): Promise<DeviceCodeStart> {
    const { status, body } = await this.#post('device', { client_id: this.clientId, scopes: scopes.join(' ') });
    if (status !== 200) throw new TwitchOAuthError(status, messageOf(body));
    const b = body as Record<string, unknown>;
    return {
      deviceCode: String(b.device_code),
      userCode: String(b.user_code),
      verificationUri: String(b.verification_uri),
      expiresIn: Number(b.expires_in),
      interval: Number(b.interval),
    };
  }

  /** Asks once whether the user has approved the device code. */
  async pollDevice(deviceCode: string, scopes: readonly string[]): Promise<DevicePoll> {
    const { status, body } = await this.#post('token', {
      client_id: this.clientId,
      scopes: scopes.join(' '),
      device_code: deviceCode,
      grant_type: DEVICE_GRANT,
    });
    if (status === 200) return { kind: 'token', grant: grantOf(body) };
    const message = messageOf(body);
    if (status === 400 && message === 'authorization_pending') return { kind: 'pending' };
    if (status === 400 && message === 'slow_down') return { kind: 'slow_down' };
    // Twitch says `invalid device code` for expired, declined and used codes; RFC 8628 servers
    // say `expired_token` / `access_denied`.
    if (status === 400 && /invalid device code|expired_token|access_denied/i.test(message)) {
      return { kind: 'invalid', message };
    }
    throw new TwitchOAuthError(status, message);
  }

  /**
   * Trades a refresh token for a new pair (the old refresh token is spent: store the new one).
   * Undefined when Twitch refuses it (revoked, used, or unused for 30 days).
   */
  async refresh(refreshToken: string): Promise<TokenGrant | undefined> {
    const { status, body } = await this.#post('token', {
      client_id: this.clientId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    if (status === 200) return grantOf(body);
    if (status === 400 || status === 401) return undefined;
    throw new TwitchOAuthError(status, messageOf(body));
  }

  /** Who a token belongs to and what it may do, or `valid: false` (revoked or expired). */
  async validate(accessToken: string): Promise<Validation> {
    const response = await this.#fetch(`${this.#base}/validate`, {
      headers: { Authorization: `OAuth ${accessToken}` },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    const body = await bodyOf(response);
    if (response.status === 401) return { valid: false };
    if (response.status !== 200) throw new TwitchOAuthError(response.status, messageOf(body));
    const b = body as Record<string, unknown>;
    return {
      valid: true,
      clientId: String(b.client_id ?? ''),
      login: String(b.login ?? ''),
      userId: String(b.user_id ?? ''),
      scopes: Array.isArray(b.scopes) ? b.scopes.map(String) : [],
      expiresIn: Number(b.expires_in ?? 0),
    };
  }

  /** Revokes an access token (and with it its refresh token). */
  async revoke(accessToken: string): Promise<void> {
    const { status, body } = await this.#post('revoke', { client_id: this.clientId, token: accessToken });
    if (status !== 200) throw new TwitchOAuthError(status, messageOf(body));
  }

  async #post(path: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const response = await this.#fetch(`${this.#base}/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    return { status: response.status, body: await bodyOf(response) };
  }
}

async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 200);
  }
}

function messageOf(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return typeof body === 'string' ? body : '';
}

function grantOf(body: unknown): TokenGrant {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.access_token !== 'string' || typeof b.refresh_token !== 'string') {
    throw new TwitchOAuthError(200, 'a token answer without access_token or refresh_token');
  }
  const scope = b.scope;
  return {
    accessToken: b.access_token,
    refreshToken: b.refresh_token,
    expiresIn: Number(b.expires_in ?? 0),
    // An array on Twitch; a space-separated string on RFC servers.
    scopes: Array.isArray(scope) ? scope.map(String) : typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
  };
}
