/**
 * `server.token`: when set, every route except the public ones (the overlay page and the
 * overlay WebSocket) requires it. Compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The header a client may send the token in, besides `Authorization: Bearer <token>`. */
export const TOKEN_HEADER = 'x-chatflow-token';
/** The query parameter a page may carry the token in (OBS and browser URLs). */
export const TOKEN_QUERY = 'token';

/**
 * Whether `presented` equals `expected`, in time that depends on neither (both are hashed to
 * 32 bytes first, so not even their lengths leak). An empty `expected` means "no token
 * configured": everything matches.
 */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (expected === '') return true;
  if (presented === undefined) return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The parts of a request a token can come in; fastify's request fits. */
export interface TokenCarrier {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: unknown;
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, else the `x-chatflow-token`
 * header, else the `token` query parameter; `undefined` when there is none.
 */
export function presentedToken(request: TokenCarrier): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const header = request.headers[TOKEN_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  const query = request.query;
  if (typeof query === 'object' && query !== null && TOKEN_QUERY in query) {
    const value = (query as Record<string, unknown>)[TOKEN_QUERY];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Whether a request carries the configured token (always true when none is configured). */
export function requestAuthorized(expected: string, request: TokenCarrier): boolean {
  return tokenMatches(expected, presentedToken(request));
}
