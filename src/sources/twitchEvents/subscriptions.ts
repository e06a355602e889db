/**
 * Which EventSub subscriptions each config group makes, through which twurple listener method,
 * on whose token; the scopes they need come from the one EventSub table in resources/twitch.
 */
import type { EventSubWsListener } from '@twurple/eventsub-ws';
import type { TwitchAccountRole, TwitchScopeNeed } from '../../core/twitchAuth.js';
import { eventSubScopeNeeds, HELIX_SCOPES } from '../../resources/twitch/index.js';
import { CHAT_GROUPS, type EventGroup, type TwitchEventsConfig } from './config.js';

/** A twurple subscription (its class is not exported by @twurple/eventsub-ws itself). */
export type EventSubSubscription = ReturnType<EventSubWsListener['onStreamOnline']>;

/** The user ids a subscription's condition needs. */
export interface SubscriptionIds {
  readonly broadcaster: string;
  /** The user reading chat (the chat account). */
  readonly chatUser: string;
}

/** One subscription type: how twurple makes it. The handler is unused (notifications are read raw). */
export interface SubscriptionSpec {
  readonly type: string;
  readonly subscribe: (listener: EventSubWsListener, ids: SubscriptionIds) => EventSubSubscription;
}

const noop = () => undefined;

const b = (type: string, on: (l: EventSubWsListener, broadcaster: string) => EventSubSubscription): SubscriptionSpec => ({
  type,
  subscribe: (l, ids) => on(l, ids.broadcaster),
});
const c = (type: string, on: (l: EventSubWsListener, broadcaster: string, user: string) => EventSubSubscription): SubscriptionSpec => ({
  type,
  subscribe: (l, ids) => on(l, ids.broadcaster, ids.chatUser),
});

export const GROUP_SUBSCRIPTIONS: Readonly<Record<EventGroup, readonly SubscriptionSpec[]>> = {
  redemptions: [
    b('channel.channel_points_custom_reward_redemption.add', (l, id) => l.onChannelRedemptionAdd(id, noop)),
    b('channel.channel_points_custom_reward_redemption.update', (l, id) => l.onChannelRedemptionUpdate(id, noop)),
  ],
  // The broadcaster counts as a moderator of the channel.
  follows: [b('channel.follow', (l, id) => l.onChannelFollow(id, id, noop))],
  subs: [
    b('channel.subscribe', (l, id) => l.onChannelSubscription(id, noop)),
    b('channel.subscription.message', (l, id) => l.onChannelSubscriptionMessage(id, noop)),
    b('channel.subscription.gift', (l, id) => l.onChannelSubscriptionGift(id, noop)),
  ],
  cheers: [b('channel.cheer', (l, id) => l.onChannelCheer(id, noop))],
  raids: [b('channel.raid', (l, id) => l.onChannelRaidTo(id, noop))],
  polls: [
    b('channel.poll.begin', (l, id) => l.onChannelPollBegin(id, noop)),
    b('channel.poll.progress', (l, id) => l.onChannelPollProgress(id, noop)),
    b('channel.poll.end', (l, id) => l.onChannelPollEnd(id, noop)),
  ],
  predictions: [
    b('channel.prediction.begin', (l, id) => l.onChannelPredictionBegin(id, noop)),
    b('channel.prediction.progress', (l, id) => l.onChannelPredictionProgress(id, noop)),
    b('channel.prediction.lock', (l, id) => l.onChannelPredictionLock(id, noop)),
    b('channel.prediction.end', (l, id) => l.onChannelPredictionEnd(id, noop)),
  ],
  // Version 2: v1 was withdrawn in January 2026.
  hype_train: [
    b('channel.hype_train.begin', (l, id) => l.onChannelHypeTrainBeginV2(id, noop)),
    b('channel.hype_train.progress', (l, id) => l.onChannelHypeTrainProgressV2(id, noop)),
    b('channel.hype_train.end', (l, id) => l.onChannelHypeTrainEndV2(id, noop)),
  ],
  ads: [b('channel.ad_break.begin', (l, id) => l.onChannelAdBreakBegin(id, noop))],
  stream: [b('stream.online', (l, id) => l.onStreamOnline(id, noop)), b('stream.offline', (l, id) => l.onStreamOffline(id, noop))],
  shared_chat: [
    b('channel.shared_chat.begin', (l, id) => l.onChannelSharedChatSessionBegin(id, noop)),
    b('channel.shared_chat.update', (l, id) => l.onChannelSharedChatSessionUpdate(id, noop)),
    b('channel.shared_chat.end', (l, id) => l.onChannelSharedChatSessionEnd(id, noop)),
  ],
  chat: [c('channel.chat.message', (l, id, user) => l.onChannelChatMessage(id, user, noop))],
  notifications: [c('channel.chat.notification', (l, id, user) => l.onChannelChatNotification(id, user, noop))],
  moderation: [
    c('channel.chat.message_delete', (l, id, user) => l.onChannelChatMessageDelete(id, user, noop)),
    c('channel.chat.clear', (l, id, user) => l.onChannelChatClear(id, user, noop)),
    c('channel.chat.clear_user_messages', (l, id, user) => l.onChannelChatClearUserMessages(id, user, noop)),
  ],
};

/**
 * The scopes a `twitch_events` node needs, for `chatflow auth twitch` and `--check`: those of the
 * EventSub types its groups subscribe to (the one table, resources/twitch), on the broadcaster's
 * token or, for the chat groups, on `chat_account`'s. A node that settles the redemptions of
 * `rewards` needs `channel:manage:redemptions` instead of the read scope (it reads them too).
 */
export function twitchEventsScopes(config: TwitchEventsConfig): TwitchScopeNeed[] {
  const settling = config.settle && Object.keys(config.rewards).length > 0;
  const needs: TwitchScopeNeed[] = settling
    ? [{ account: 'broadcaster', anyOf: HELIX_SCOPES.manageRedemptions, why: 'twitch_events: reads and settles redemptions of `rewards` (fulfil or refund)' }]
    : [];
  const read = config.events.filter((g) => !(settling && g === 'redemptions'));
  const roleOf = (group: EventGroup): TwitchAccountRole => (CHAT_GROUPS.includes(group) ? config.chat_account : 'broadcaster');
  for (const role of new Set<TwitchAccountRole>(['broadcaster', config.chat_account])) {
    const types = read.filter((g) => roleOf(g) === role).flatMap((g) => GROUP_SUBSCRIPTIONS[g].map((spec) => spec.type));
    for (const need of eventSubScopeNeeds(types, role)) needs.push({ ...need, why: `twitch_events: ${need.why}` });
  }
  return needs;
}
