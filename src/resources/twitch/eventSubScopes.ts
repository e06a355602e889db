/**
 * Which scope each EventSub type and Helix call needs (reference/twitch-eventsub.md §2, §4), for
 * components' `scopes` facts: a node lists the types it subscribes to and the calls it makes,
 * and these say what the token must carry.
 */
import type { TwitchAccountRole, TwitchScopeNeed } from '../../core/twitchAuth.js';

type AnyOf = readonly [string, ...string[]];

/** EventSub subscription type → the scopes of which the subscribing user's token needs one; none listed: no scope. */
export const EVENTSUB_SCOPES: Readonly<Record<string, AnyOf | undefined>> = {
  'channel.chat.message': ['user:read:chat'],
  'channel.chat.message_delete': ['user:read:chat'],
  'channel.chat.clear': ['user:read:chat'],
  'channel.chat.clear_user_messages': ['user:read:chat'],
  'channel.chat.notification': ['user:read:chat'],
  'channel.channel_points_custom_reward_redemption.add': ['channel:read:redemptions', 'channel:manage:redemptions'],
  'channel.channel_points_custom_reward_redemption.update': ['channel:read:redemptions', 'channel:manage:redemptions'],
  'channel.follow': ['moderator:read:followers'],
  'channel.subscribe': ['channel:read:subscriptions'],
  'channel.subscription.gift': ['channel:read:subscriptions'],
  'channel.subscription.message': ['channel:read:subscriptions'],
  'channel.cheer': ['bits:read'],
  'channel.raid': undefined,
  'channel.poll.begin': ['channel:read:polls', 'channel:manage:polls'],
  'channel.poll.progress': ['channel:read:polls', 'channel:manage:polls'],
  'channel.poll.end': ['channel:read:polls', 'channel:manage:polls'],
  'channel.prediction.begin': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.prediction.progress': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.prediction.lock': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.prediction.end': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.hype_train.begin': ['channel:read:hype_train'],
  'channel.hype_train.progress': ['channel:read:hype_train'],
  'channel.hype_train.end': ['channel:read:hype_train'],
  'channel.ad_break.begin': ['channel:read:ads'],
  'channel.shared_chat.begin': undefined,
  'channel.shared_chat.update': undefined,
  'channel.shared_chat.end': undefined,
  'stream.online': undefined,
  'stream.offline': undefined,
};

/** Helix calls a node may make → the scope its token needs. */
export const HELIX_SCOPES = {
  /** `POST /chat/messages`, as the sender. */
  sendChat: ['user:write:chat'],
  /** `PATCH /channel_points/custom_rewards/redemptions` (fulfil or refund), as the broadcaster. */
  manageRedemptions: ['channel:manage:redemptions'],
} as const satisfies Record<string, AnyOf>;

/**
 * The needs of subscribing to `types` with `role`'s token, one per distinct scope set, each
 * saying which types need it. Throws for a type this table does not know.
 */
export function eventSubScopeNeeds(types: readonly string[], role: TwitchAccountRole): TwitchScopeNeed[] {
  const byScopes = new Map<string, { anyOf: AnyOf; types: string[] }>();
  for (const type of types) {
    if (!(type in EVENTSUB_SCOPES)) throw new Error(`Unknown EventSub type "${type}"`);
    const anyOf = EVENTSUB_SCOPES[type];
    if (!anyOf) continue;
    const key = anyOf.join(' ');
    const entry = byScopes.get(key) ?? { anyOf, types: [] };
    entry.types.push(type);
    byScopes.set(key, entry);
  }
  return [...byScopes.values()].map(({ anyOf, types: list }) => ({ account: role, anyOf, why: `reads ${list.join(', ')}` }));
}
