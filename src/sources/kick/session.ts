/** What a `kick` node keeps across connections (recent ids, the looked-up chatroom) and the dedupe gate. */
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import type { DropCounter } from '../../core/metrics.js';
import { RECENT_IDS, RecentIds } from '../shared/recentIds.js';
import type { KickChannelInfo } from './lookup.js';

/** What a `kick` node keeps from one connection to the next. */
export interface KickNodeState {
  /** Ids of chat messages emitted lately. */
  readonly recent: RecentIds;
  /** `type:id` of platform events emitted lately. */
  readonly recentPlatform: RecentIds;
  /** The channel lookup's answer, so a restart does not ask again. */
  lookup: KickChannelInfo | undefined;
  /** How many times the source has been subscribed (1 on the first connect). */
  subscriptions: number;
}

export function createKickNodeState(capacity: number = RECENT_IDS): KickNodeState {
  return { recent: new RecentIds(capacity), recentPlatform: new RecentIds(capacity), lookup: undefined, subscriptions: 0 };
}

/**
 * Passes an event the node has not emitted lately; drops a repeat (`duplicate`: the same
 * message delivered twice, or again after a reconnect).
 */
export function gateKickEvent(
  event: ChatEvent | PlatformEvent,
  state: KickNodeState,
  drops: DropCounter,
): ChatEvent | PlatformEvent | undefined {
  const fresh = event.kind === 'chat' ? state.recent.add(event.id) : state.recentPlatform.add(`${event.type}:${event.id}`);
  if (!fresh) {
    drops.drop('duplicate');
    return undefined;
  }
  return event;
}
