/**
 * The YouTube sign-in service (`resources.services.get(YOUTUBE_AUTH)`): the Google account's
 * channel that `chatflow auth youtube` signed in (Device Authorization Grant, "TV and limited
 * input" client), its token kept in `.chatflow/youtube-tokens.json` and refreshed on its own
 * (src/resources/youtube/). Provided in a run when `resources.youtube` (or
 * `CHATFLOW_YOUTUBE_CLIENT_ID`) is set. `liveChatMessages.insert` needs the `youtube` scope.
 */
import { serviceKey } from './services.js';
import type { UserTokenAuth } from './userTokenAuth.js';

/** The scope chatflow requests: post to live chat (and read). Google's device flow allows it. */
export const YOUTUBE_SCOPE = 'https://www.googleapis.com/auth/youtube';

/** Scopes that let a token post to live chat (youtube-send.md §4; `youtube.readonly` does not). */
export const YOUTUBE_SEND_SCOPES: readonly string[] = [YOUTUBE_SCOPE, 'https://www.googleapis.com/auth/youtube.force-ssl'];

/** The signed-in channel (the author of what the bot posts). */
export interface YoutubeAccount {
  /** `UC…`: what `authorChannelId` of the bot's own messages is. */
  readonly channelId: string;
  readonly title: string;
  readonly scopes: readonly string[];
}

/** Where Google lives: the real hosts by default, fakes in tests. */
export interface YoutubeEndpoints {
  /** OAuth base: `https://oauth2.googleapis.com` (`/device/code`, `/token`, `/revoke`, `/tokeninfo`). */
  readonly auth: string;
  /** Data API base: `https://www.googleapis.com/youtube/v3`. */
  readonly api: string;
}

export interface YoutubeAuth extends UserTokenAuth<YoutubeAccount> {
  readonly platform: 'youtube';
  readonly endpoints: YoutubeEndpoints;
}

export const YOUTUBE_AUTH = serviceKey<YoutubeAuth>('youtubeAuth');
