/**
 * State a `youtube` node keeps across re-subscriptions (the runtime restarts a failed source):
 * where polling stands (live chat id, page token or continuation), the ids already emitted and
 * when reading started (the quota it spent is the process's one count, core/youtubeQuota.ts). Plus the gate every event passes: dedupe and
 * the `backfill` policy.
 */
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import type { DropCounter } from '../../core/metrics.js';
import { RECENT_IDS, RecentIds } from '../shared/recentIds.js';


export interface YoutubeNodeState {
  /** Live chat being polled (Data API), once known. */
  liveChatId: string | undefined;
  /** Token for the next `liveChatMessages.list`; undefined: the next page is history. */
  pageToken: string | undefined;
  /**
   * innertube: the page's key and client version and the next continuation; `history` while
   * the next answer is the first (history) one.
   */
  innertube: { apiKey: string; clientVersion: string; continuation: string | undefined; history: boolean } | undefined;
  /** `chat:<id>` and `<type>:<id>` of the events emitted (or skipped as history) lately. */
  readonly seen: RecentIds;
  /** Wall-clock time the node first started reading (the stream's expected length counts from here). */
  startedAt: number | undefined;
  /** How many times the source has been subscribed (1 on the first). */
  subscriptions: number;
}

export function createYoutubeNodeState(capacity: number = RECENT_IDS): YoutubeNodeState {
  return {
    liveChatId: undefined,
    pageToken: undefined,
    innertube: undefined,
    seen: new RecentIds(capacity),
    startedAt: undefined,
    subscriptions: 0,
  };
}

/**
 * Decides whether a normalized event leaves the source:
 *
 * - one whose id was emitted already (pages overlap; a restart re-reads history) is dropped
 *   as `duplicate`;
 * - history (`backfill: true`) with `backfill: skip` is remembered (so it is never emitted
 *   later either) and dropped as `backfill` (intentional).
 *
 * @returns The event to emit, or undefined.
 */
export function gateYoutubeEvent(
  event: ChatEvent | PlatformEvent,
  seen: RecentIds,
  backfill: 'skip' | 'emit',
  drops: DropCounter,
): ChatEvent | PlatformEvent | undefined {
  const key = event.kind === 'chat' ? `chat:${event.id}` : `${event.type}:${event.id}`;
  if (!seen.add(key)) {
    drops.drop('duplicate');
    return undefined;
  }
  if (event.backfill === true && backfill === 'skip') {
    drops.drop('backfill');
    return undefined;
  }
  return event;
}
