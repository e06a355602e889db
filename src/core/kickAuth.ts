/**
 * The Kick sign-in service (`resources.services.get(KICK_AUTH)`): the Kick account that
 * `chatflow auth kick` signed in (OAuth 2.1 authorization code with PKCE through a loopback
 * redirect), its tokens kept in `.chatflow/kick-tokens.json` and refreshed on their own (Kick
 * rotates the refresh token on each refresh; src/resources/kick/). Provided in a run when
 * `resources.kick` (or `CHATFLOW_KICK_CLIENT_ID`) is set. `POST /public/v1/chat` needs `chat:write`.
 */
import { serviceKey } from './services.js';
import type { UserTokenAuth } from './userTokenAuth.js';

/** What chatflow requests: who signed in, and sending chat (kick-send.md §1). */
export const KICK_SCOPES: readonly string[] = ['user:read', 'chat:write'];

/** The signed-in account (whose name the bot posts under with `type: "user"`). */
export interface KickAccount {
  /** Kick user id (an integer in Kick's JSON). */
  readonly userId: number;
  readonly username: string;
  readonly scopes: readonly string[];
}

/** Where Kick lives: the real hosts by default, fakes in tests. */
export interface KickEndpoints {
  /** OAuth host: `https://id.kick.com` (`/oauth/authorize`, `/oauth/token`, …). */
  readonly auth: string;
  /** Public API base: `https://api.kick.com/public/v1`. */
  readonly api: string;
}

export interface KickAuth extends UserTokenAuth<KickAccount> {
  readonly platform: 'kick';
  readonly endpoints: KickEndpoints;
}

export const KICK_AUTH = serviceKey<KickAuth>('kickAuth');
