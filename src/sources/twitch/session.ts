/**
 * State a `twitch` node keeps across connections: the recent message ids (so a message
 * delivered twice across a reconnect overlap is emitted once) and each room's settings (so a
 * rejoin that changes nothing emits nothing). Created once per node, not per connection.
 */
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import type { DropCounter } from '../../core/metrics.js';
import { RECENT_IDS, RecentIds } from '../shared/recentIds.js';
import { roomStateId } from './normalize.js';
import { BadgeCache } from './tags.js';

type Settings = Record<string, string | number | boolean | null>;

/**
 * The last known settings of each room (`emoteOnly`, `followersOnly`, `r9k`, `slow`,
 * `subsOnly`), so `room_state` events report changes only.
 */
export class RoomStates {
  readonly #rooms = new Map<string, Settings>();

  /**
   * The event with only the settings that changed since the last one for its channel, or
   * undefined when none did. The first one for a channel passes whole.
   */
  apply(event: PlatformEvent): PlatformEvent | undefined {
    let known = this.#rooms.get(event.channel);
    if (known === undefined) {
      known = {};
      this.#rooms.set(event.channel, known);
    }
    const changed: Settings = {};
    let count = 0;
    let total = 0;
    for (const key in event.data) {
      if (key === 'roomId') continue;
      total += 1;
      const value = event.data[key] as string | number | boolean | null;
      if (known[key] === value) continue;
      known[key] = value;
      changed[key] = value;
      count += 1;
    }
    if (count === 0) return undefined;
    if (count === total) return event;
    const data = { roomId: event.data.roomId ?? '', ...changed };
    return { ...event, id: roomStateId(event.channel, event.ts, data), data };
  }
}

/** What a `twitch` node keeps from one connection to the next. */
export interface TwitchNodeState {
  /** Ids of chat messages emitted lately. */
  readonly recent: RecentIds;
  /** `type:id` of platform events emitted lately. */
  readonly recentPlatform: RecentIds;
  /** Shared Chat `source-id`s emitted lately. */
  readonly recentShared: RecentIds;
  readonly rooms: RoomStates;
  /** Parsed `badges` tags, so a chatter's badges are parsed once. */
  readonly badges: BadgeCache;
  /** How many times the source has been subscribed (1 on the first connect). */
  subscriptions: number;
}

export function createTwitchNodeState(capacity: number = RECENT_IDS): TwitchNodeState {
  return {
    recent: new RecentIds(capacity),
    recentPlatform: new RecentIds(capacity),
    recentShared: new RecentIds(capacity),
    rooms: new RoomStates(),
    badges: new BadgeCache(),
    subscriptions: 0,
  };
}

/**
 * Decides which normalized events leave the source:
 *
 * - a chat or platform event whose id was already emitted (`duplicate`: a RECONNECT overlap,
 *   or one Shared Chat message delivered to two joined channels) is dropped;
 * - with `sharedChat: 'own'`, chat first sent in another room of a Shared Chat session is
 *   dropped (`shared_chat`);
 * - `room_state` passes only with the settings that changed.
 *
 * @returns The event to emit, or undefined.
 */
export function gateTwitchEvent(
  event: ChatEvent | PlatformEvent,
  sharedId: string | undefined,
  state: TwitchNodeState,
  sharedChat: 'all' | 'own',
  drops: DropCounter,
): ChatEvent | PlatformEvent | undefined {
  if (event.kind === 'platform') {
    if (event.type === 'room_state') return state.rooms.apply(event);
    if (!state.recentPlatform.add(`${event.type}:${event.id}`)) {
      drops.drop('duplicate');
      return undefined;
    }
    return event;
  }
  if (sharedChat === 'own' && event.sourceRoom !== undefined) {
    drops.drop('shared_chat');
    return undefined;
  }
  const fresh = state.recent.add(event.id);
  const freshShared = sharedId === undefined || state.recentShared.add(sharedId);
  if (!fresh || !freshShared) {
    drops.drop('duplicate');
    return undefined;
  }
  return event;
}
