/** PKCE (RFC 7636) with S256, and the `state` of an authorization request. */
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  /** 43 characters of base64url: kept by chatflow, sent only to the token endpoint. */
  readonly verifier: string;
  /** base64url(SHA-256(verifier)): sent in the authorize URL. */
  readonly challenge: string;
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}

export function newState(): string {
  return randomBytes(16).toString('base64url');
}
