/**
 * The YouTube and Kick sign-in services, as far as the `chat` sink uses them: a fresh user
 * access token, and where the platform's API lives. i19-auth provides the full services
 * (`chatflow auth youtube|kick`) under these keys' names; until that lands, this minimal
 * contract is what the sink codes against.
 */
import { serviceKey } from './services.js';

/** A signed-in account's user access token, refreshed by the service when needed. */
export interface AccessTokenSource {
  /** A usable token; rejects (without the token in the message) once it is missing or revoked. */
  accessToken(): Promise<string>;
  /** The platform's API base (YouTube Data API v3, Kick public v1), when the service sets one. */
  readonly endpoints?: { readonly api: string };
}

export const YOUTUBE_AUTH = serviceKey<AccessTokenSource>('youtubeAuth');
export const KICK_AUTH = serviceKey<AccessTokenSource>('kickAuth');
