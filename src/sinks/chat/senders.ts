/** The senders a `chat` node uses, made from its config and the sign-in services of the run. */
import type { ComponentContext } from '../../core/component.js';
import { KICK_AUTH } from '../../core/kickAuth.js';
import type { Platform } from '../../core/events.js';
import { TWITCH_AUTH } from '../../core/twitchAuth.js';
import { YOUTUBE_AUTH } from '../../core/youtubeAuth.js';
import { YOUTUBE_QUOTA, YoutubeQuota } from '../../core/youtubeQuota.js';
import type { ChatConfig } from './config.js';
import { KickSender } from './kickSender.js';
import { platformLimits } from './limits.js';
import type { ChatSender, SendOutcome } from './sender.js';
import { TwitchSender } from './twitchSender.js';
import { YoutubeSender } from './youtubeSender.js';

/** Stands in for a platform nobody signed in to: every message is refused as `not_signed_in`. */
export class SignedOutSender implements ChatSender {
  constructor(
    readonly platform: Platform,
    private readonly detail: string,
  ) {}

  get signedOut(): string {
    return this.detail;
  }

  standing() {
    return { role: 'viewer' as const, limits: platformLimits(this.platform, 'viewer', 20) };
  }

  send(): SendOutcome {
    return { kind: 'refused', reason: 'not_signed_in', detail: this.detail, unsent: true };
  }
}

/** The sender for `platform`, or undefined when the node does not send there. */
export function senderFor(config: ChatConfig, ctx: ComponentContext, platform: Platform): ChatSender | undefined {
  const services = ctx.resources.services;
  const logger = ctx.logger;
  switch (platform) {
    case 'twitch': {
      if (!config.twitch.enabled) return undefined;
      const auth = services?.get(TWITCH_AUTH);
      if (!auth) return signedOut(ctx, platform, 'No Twitch sign-in in this run: set resources.twitch.client_id and run `chatflow auth twitch --bot`.');
      return new TwitchSender({ auth, as: config.twitch.as, wallClock: ctx.wallClock, logger });
    }
    case 'youtube': {
      if (!config.youtube.enabled) return undefined;
      const auth = services?.get(YOUTUBE_AUTH);
      if (!auth) return signedOut(ctx, platform, 'No YouTube sign-in in this run: run `chatflow auth youtube`.');
      return new YoutubeSender({
        token: auth,
        api: auth.endpoints?.api ?? config.youtube.api_url,
        perWindow: config.youtube.per_30s,
        quota: youtubeQuota(ctx),
        budget: { project: config.youtube.quota_project, dailyQuota: config.youtube.daily_quota },
        readingReserve: config.youtube.reading_reserve,
        wallClock: ctx.wallClock,
        onQuota: (used, left) => {
          ctx.metrics.gauge('youtube_quota_used', used);
          ctx.metrics.gauge('youtube_quota_left', left);
        },
      });
    }
    case 'kick': {
      if (!config.kick.enabled) return undefined;
      const auth = services?.get(KICK_AUTH);
      if (!auth) return signedOut(ctx, platform, 'No Kick sign-in in this run: run `chatflow auth kick`.');
      return new KickSender({ token: auth, api: auth.endpoints?.api ?? config.kick.api_url, perWindow: config.kick.per_30s, wallClock: ctx.wallClock });
    }
  }
}

/** The process's one YouTube quota count; without one (a bare context), the node's own, kept across restarts. */
export function youtubeQuota(ctx: ComponentContext): YoutubeQuota {
  return ctx.resources.services?.get(YOUTUBE_QUOTA) ?? ctx.state.get('youtubeQuota', () => new YoutubeQuota());
}

function signedOut(ctx: ComponentContext, platform: Platform, detail: string): ChatSender {
  ctx.logger.error({ platform, reason: detail }, 'Chat cannot be sent on this platform.');
  return new SignedOutSender(platform, detail);
}
