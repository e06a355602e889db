/**
 * The `chat` sink's preview: the real pacer (fair queue, priorities, limits, injection guard,
 * length fitting) with a sender that accepts everything, so a virtual run shows each message
 * as it would go out and when. The bot's standing is not known without the platform: the
 * lower (viewer) limits apply. YouTube's sends spend from the run's quota count
 * (`YOUTUBE_QUOTA`, in memory in a virtual run), so a long show sees `refused_quota_*` drops
 * as the real sink would.
 */
import { Subject } from 'rxjs';
import type { ComponentContext, PreviewEmit, SinkPreview } from '../../core/component.js';
import type { ChatflowEvent, Platform, ReplyEvent } from '../../core/events.js';
import type { ChatConfig } from './config.js';
import { platformLimits } from './limits.js';
import { paceReplies } from './pacer.js';
import type { ChatSender, SendOutcome } from './sender.js';
import { youtubeQuota } from './senders.js';
import { INSERT_COST } from './youtubeSender.js';

export function chatPreview(config: ChatConfig, ctx: ComponentContext, emit: PreviewEmit): SinkPreview {
  const rate: Record<Platform, number> = { twitch: 20, youtube: config.youtube.per_30s, kick: config.kick.per_30s };
  const accepting = (platform: Platform): ChatSender => ({
    platform,
    standing: () => ({ role: 'viewer', limits: platformLimits(platform, 'viewer', rate[platform]) }),
    send: () => (platform === 'youtube' ? sendYoutube() : { kind: 'sent' }),
  });
  const quota = youtubeQuota(ctx);
  const budget = { project: config.youtube.quota_project, dailyQuota: config.youtube.daily_quota };
  const sendYoutube = (): SendOutcome => {
    const at = ctx.wallClock();
    const decision = quota.maySend(budget, config.youtube.reading_reserve, INSERT_COST, at);
    if (!decision.ok) return { kind: 'refused', reason: decision.reason, detail: decision.detail, unsent: true };
    quota.spend(budget, 'send', INSERT_COST, at);
    return { kind: 'sent' };
  };
  const enabled: Record<Platform, boolean> = { twitch: config.twitch.enabled, youtube: config.youtube.enabled, kick: config.kick.enabled };
  const channels: Record<Platform, string | undefined> = { twitch: config.twitch.channel, youtube: config.youtube.channel, kick: config.kick.channel };
  const input = new Subject<ReplyEvent>();
  const subscription = input
    .pipe(
      paceReplies({
        scheduler: ctx.scheduler,
        senderFor: (p) => (enabled[p] ? accepting(p) : undefined),
        channelFor: (r) => channels[r.platform] ?? r.channel,
        queue: { max: config.queue.max, perViewer: config.queue.per_viewer },
        maxAgeMs: config.queue.max_age,
        long: config.long,
        maxParts: config.max_parts,
        standingTtlMs: config.standing_every,
        maxAttempts: config.max_attempts,
        retryDelayMs: 1000,
      }),
    )
    .subscribe((d) => {
      if (d.kind === 'sent') {
        emit({
          platform: d.reply.platform,
          channel: channels[d.reply.platform] ?? d.reply.channel,
          text: d.text,
          ...(d.reply.replyTo === undefined ? {} : { reply_to: d.reply.replyTo }),
        });
      } else if (d.kind === 'dropped') {
        if (d.reason === 'refused') ctx.metrics.drop(`refused_${d.detail ?? 'unknown'}`, d.detail === 'quota_reserved');
        else ctx.metrics.drop(d.reason, d.reason !== 'no_sender');
      }
    });
  return {
    write: (batch: readonly ChatflowEvent[]) => {
      for (const e of batch) {
        if (e.kind === 'reply') input.next(e);
        else ctx.metrics.drop('not_reply', true);
      }
    },
    stop: () => subscription.unsubscribe(),
  };
}
