/**
 * What the chat sink asks of a platform: how much it may send in a channel, and to send one
 * message. One implementation per platform (twitchSender.ts, youtubeSender.ts, kickSender.ts).
 */
import type { Platform } from '../../core/events.js';
import type { ChannelLimits, ChannelRole } from './limits.js';

/** One message as it goes out (a reply, or one part of a split reply). */
export interface OutgoingMessage {
  readonly platform: Platform;
  readonly channel: string;
  /** The channel's platform id when the reply carried it. */
  readonly channelId?: string;
  readonly text: string;
  /** The chat message it answers, threaded under it where the platform can. */
  readonly replyTo?: string;
}

/**
 * How the platform answered. `refused`: it did not post the message, for `reason` (its
 * `drop_reason` code, `http_429`, `missing_scope`, …); with `retryAfterMs` the message is
 * put back and tried again that much later (a 429's reset header), without it it is dropped.
 * `relimit`: the bot's standing may have changed (a rate-limit refusal): read it again.
 * `unsent`: the platform was never asked (no sign-in, no quota left): the send takes no slot of
 * the platform's rate window.
 */
export type SendOutcome =
  | { readonly kind: 'sent'; readonly id?: string }
  | {
      readonly kind: 'refused';
      readonly reason: string;
      readonly detail?: string;
      readonly retryAfterMs?: number;
      readonly relimit?: boolean;
      readonly unsent?: boolean;
    };

/** The bot's standing in a channel and what it allows. */
export interface ChannelStanding {
  readonly role: ChannelRole;
  readonly limits: ChannelLimits;
}

export interface ChatSender {
  readonly platform: Platform;
  /** Set when nothing can be sent (nobody signed in): why, and what to run. */
  readonly signedOut?: string;
  /** Current values to show with the platform's health (YouTube: the quota of sending). */
  gauges?(): Readonly<Record<string, number>>;
  /** Reads the bot's standing in `channel` from the platform (Twitch: moderator or not). */
  standing(channel: string, channelId: string | undefined): ChannelStanding | Promise<ChannelStanding>;
  /** Sends one message; a throw is a failure that may be retried. */
  send(message: OutgoingMessage): SendOutcome | Promise<SendOutcome>;
}

/**
 * What a sender needs of a YouTube or Kick sign-in service (core/youtubeAuth.ts, core/kickAuth.ts):
 * a fresh access token, and where the platform's API lives when the service says.
 */
export interface AccessTokenSource {
  /** A usable token; rejects (without the token in the message) once it is missing or revoked. */
  accessToken(): Promise<string>;
  readonly endpoints?: { readonly api: string };
}
