/** The few HTTP helpers the OAuth clients share: a form POST with a deadline, a tolerant body. */

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Longest wait for one OAuth answer, so a start-up check cannot hang a run. */
export const OAUTH_TIMEOUT_MS = 15_000;

export async function postForm(
  doFetch: typeof fetch,
  url: string,
  form: Record<string, string>,
  timeoutMs = OAUTH_TIMEOUT_MS,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const response = await doFetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await bodyOf(response) };
}

/** JSON when it parses, else the first 200 characters of the text, else undefined. */
export async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 200);
  }
}

export function field(body: unknown, key: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
}

/** `scope` as a space-separated string (RFC 6749) or an array. */
export function scopesOf(scope: unknown): string[] {
  if (Array.isArray(scope)) return scope.map(String);
  return typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : [];
}

/** A token answer: what every platform's token endpoint returns on success. */
export interface TokenGrant {
  readonly accessToken: string;
  /** Undefined when the answer has none (Google's refresh: the old one stays valid). */
  readonly refreshToken: string | undefined;
  /** Seconds from now. */
  readonly expiresIn: number;
  readonly scopes: readonly string[];
}

/** Parses a 200 token answer; throws (without the body, which holds tokens) when it is not one. */
export function grantOf(body: unknown, host: string): TokenGrant {
  const access = field(body, 'access_token');
  const refresh = field(body, 'refresh_token');
  if (typeof access !== 'string' || access === '') throw new Error(`${host} answered a token request without an access_token.`);
  return {
    accessToken: access,
    refreshToken: typeof refresh === 'string' && refresh !== '' ? refresh : undefined,
    expiresIn: Number(field(body, 'expires_in') ?? 0),
    scopes: scopesOf(field(body, 'scope')),
  };
}
