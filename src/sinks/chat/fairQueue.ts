/**
 * The chat sink's queue: one lane per viewer inside each priority, served in turn (the way
 * TPP's chat queue works), so one viewer's spam cannot take every reply slot; every `high`
 * before any `normal`, every `normal` before any `low`. Bounded, with reasoned drops.
 */
import { REPLY_PRIORITIES, type ReplyPriority } from '../../core/events.js';

export interface Queued<T> {
  readonly item: T;
  /** The viewer's lane (the bot's own messages share one). */
  readonly lane: string;
  readonly priority: ReplyPriority;
  /** Scheduler time it was queued, ms. */
  readonly at: number;
}

/** Why a queued (or arriving) item was dropped. */
export type QueueDropReason = 'queue_full' | 'viewer_queue_full' | 'stale';

export interface QueueDrop<T> {
  readonly entry: Queued<T>;
  readonly reason: QueueDropReason;
}

export interface FairQueueLimits {
  /** Items held in all, every lane and priority. */
  readonly max: number;
  /** Items one lane may hold (all priorities); `high` items are not held back by it (staff answers). */
  readonly perLane: number;
}

export class FairQueue<T> {
  /** Per priority, lanes in serving order: a served lane moves to the back. */
  readonly #levels = new Map<ReplyPriority, Map<string, Queued<T>[]>>(REPLY_PRIORITIES.map((p) => [p, new Map()]));
  readonly #perLane = new Map<string, number>();
  #size = 0;

  constructor(private readonly limits: FairQueueLimits) {}

  get size(): number {
    return this.#size;
  }

  /**
   * Queues `entry`, or drops it or another item to make room: a lane at `perLane` drops a
   * `normal` or `low` arrival; a full queue drops the newest item of the lowest priority below the arrival's,
   * else the newest of the longest lane at its priority when that lane is longer than the
   * arrival's, else the arrival.
   */
  push(entry: Queued<T>): QueueDrop<T> | undefined {
    if (entry.priority !== 'high' && (this.#perLane.get(entry.lane) ?? 0) >= this.limits.perLane) {
      return { entry, reason: 'viewer_queue_full' };
    }
    let dropped: QueueDrop<T> | undefined;
    if (this.#size >= this.limits.max) {
      const victim = this.#victim(entry);
      if (victim === undefined) return { entry, reason: 'queue_full' };
      dropped = { entry: victim, reason: 'queue_full' };
    }
    const lanes = this.#lanes(entry.priority);
    const lane = lanes.get(entry.lane);
    if (lane) lane.push(entry);
    else lanes.set(entry.lane, [entry]);
    this.#perLane.set(entry.lane, (this.#perLane.get(entry.lane) ?? 0) + 1);
    this.#size += 1;
    return dropped;
  }

  /**
   * The next item to send: the highest priority, the first lane in turn whose oldest item
   * `ready` accepts (an identical text the platform would refuse yet is skipped, not lost).
   */
  take(ready: (item: T) => boolean = () => true): Queued<T> | undefined {
    for (const priority of REPLY_PRIORITIES) {
      const lanes = this.#lanes(priority);
      for (const [name, lane] of lanes) {
        const head = lane[0];
        if (head === undefined || !ready(head.item)) continue;
        lane.shift();
        lanes.delete(name);
        if (lane.length > 0) lanes.set(name, lane);
        this.#counted(name, -1);
        return head;
      }
    }
    return undefined;
  }

  /** Puts an item back at the front of its lane (a send the platform asked to retry later). */
  putBack(entry: Queued<T>): void {
    const lanes = this.#lanes(entry.priority);
    const lane = lanes.get(entry.lane);
    if (lane) lane.unshift(entry);
    else {
      // Served first again: a lane put back goes to the front of the turn.
      const rest = [...lanes];
      lanes.clear();
      lanes.set(entry.lane, [entry]);
      for (const [k, v] of rest) lanes.set(k, v);
    }
    this.#counted(entry.lane, 1);
  }

  /** Drops every item queued at or before `now - maxAgeMs` (a late answer confuses chat). */
  expire(now: number, maxAgeMs: number): QueueDrop<T>[] {
    const out: QueueDrop<T>[] = [];
    for (const lanes of this.#levels.values()) {
      for (const [name, lane] of lanes) {
        while (lane[0] !== undefined && lane[0].at + maxAgeMs <= now) {
          const entry = lane.shift() as Queued<T>;
          this.#counted(name, -1);
          out.push({ entry, reason: 'stale' });
        }
        if (lane.length === 0) lanes.delete(name);
      }
    }
    return out;
  }

  /** The oldest item of every lane (what {@link take} chooses from). */
  *heads(): IterableIterator<Queued<T>> {
    for (const lanes of this.#levels.values()) for (const lane of lanes.values()) if (lane[0]) yield lane[0];
  }

  /** When the oldest queued item turns stale, or undefined when empty. */
  oldestAt(): number | undefined {
    let oldest: number | undefined;
    for (const lanes of this.#levels.values()) {
      for (const lane of lanes.values()) {
        const at = lane[0]?.at;
        if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
      }
    }
    return oldest;
  }

  /** Empties the queue, returning what it held. */
  clear(): Queued<T>[] {
    const out: Queued<T>[] = [];
    for (const lanes of this.#levels.values()) {
      for (const lane of lanes.values()) out.push(...lane);
      lanes.clear();
    }
    this.#perLane.clear();
    this.#size = 0;
    return out;
  }

  #lanes(priority: ReplyPriority): Map<string, Queued<T>[]> {
    return this.#levels.get(priority) as Map<string, Queued<T>[]>;
  }

  #counted(lane: string, delta: number): void {
    const n = (this.#perLane.get(lane) ?? 0) + delta;
    if (n <= 0) this.#perLane.delete(lane);
    else this.#perLane.set(lane, n);
    this.#size += delta;
  }

  /** Removes and returns the item a full queue gives up for `arrival`, if any. */
  #victim(arrival: Queued<T>): Queued<T> | undefined {
    const rank = REPLY_PRIORITIES.indexOf(arrival.priority);
    for (let p = REPLY_PRIORITIES.length - 1; p >= rank; p -= 1) {
      const priority = REPLY_PRIORITIES[p] as ReplyPriority;
      const lanes = this.#lanes(priority);
      let longest: [string, Queued<T>[]] | undefined;
      for (const entry of lanes) if (longest === undefined || entry[1].length > longest[1].length) longest = entry;
      if (longest === undefined) continue;
      const [name, lane] = longest;
      if (p === rank && lane.length <= (lanes.get(arrival.lane)?.length ?? 0) + 1) return undefined;
      const victim = lane.pop() as Queued<T>;
      if (lane.length === 0) lanes.delete(name);
      this.#counted(name, -1);
      return victim;
    }
    return undefined;
  }
}
