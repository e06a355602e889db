/**
 * The per-event side of `sample_metrics`: what it counts from the events it sees (chat rates,
 * active chatters, commands, moderation reasons). `observe` runs for every event of the
 * pipeline, so it is O(1) and allocates nothing in the steady state.
 *
 * End-to-end latency is not measured here: the events reach `sample_metrics` mostly straight
 * from the sources, so their age here says nothing of the outputs. It comes from the sinks
 * (`chatflow_end_to_end_latency_ms{sink}`, in nodes.ts).
 */
import type { ChatflowEvent } from '../../core/events.js';
import type { MetricBatch } from './batch.js';

/** A count that is bumped in place. */
interface Count {
  value: number;
}

/** A channel's messages: this interval's, the history interval's, and since the subscription started. */
interface ChannelCount {
  value: number;
  history: number;
  total: number;
  /** Its rate was reported as 0 already: not again until it speaks (one flag per interval). */
  quiet: boolean;
  historyQuiet: boolean;
}

/** The sample's interval, or the longer one of the history sample (`history`): counts of each are their own. */
export type Interval = 'sample' | 'history';

/** How many recent message ids are remembered to count a message once when it arrives through several nodes. */
const RECENT = 4;

/**
 * Remembers the last {@link RECENT} ids: with `inputs: ["*"]` one chat message reaches the
 * node once per stage it passes (source, normalize, dedupe…), synchronously one after another.
 *
 * Each id is kept with its last character code, compared first: ids of different messages
 * often share a long prefix and a length (`sim-7-1041`, `sim-7-1042`), and comparing two such
 * strings walks the whole prefix. The int comparison rules out almost every one of them, so
 * an id that was not seen costs four int comparisons instead of five string comparisons.
 */
class RecentIds {
  readonly #ids: (string | undefined)[] = new Array<string | undefined>(RECENT).fill(undefined);
  /** The last character code of each id in {@link #ids}; -1 for an empty slot (`''` has 0). */
  readonly #ends = new Int32Array(RECENT).fill(-1);
  #next = 0;

  /** True when `id` was seen among the last few; otherwise remembers it. */
  seen(id: string): boolean {
    // NaN for '' becomes 0: an empty id is still compared (and found) like any other.
    const end = id.charCodeAt(id.length - 1) | 0;
    const ends = this.#ends;
    const ids = this.#ids;
    if (
      (ends[0] === end && ids[0] === id) ||
      (ends[1] === end && ids[1] === id) ||
      (ends[2] === end && ids[2] === id) ||
      (ends[3] === end && ids[3] === id)
    ) {
      return true;
    }
    const at = this.#next;
    ids[at] = id;
    ends[at] = end;
    this.#next = (at + 1) & (RECENT - 1);
    return false;
  }
}

export interface EventTapOptions {
  /** The active-chatters window, ms. */
  readonly windowMs: number;
  /** The window as written (`5m`), for the metric's label. */
  readonly windowLabel: string;
  /** Most chatters remembered per platform; the oldest are forgotten first beyond it. */
  readonly maxChatters: number;
  /** Scheduler time when the subscription started. */
  readonly start: number;
}

/** Counts what passes; {@link EventTap.collect} turns the counts into metric events each tick. */
export class EventTap {
  /** platform → channel → messages. */
  readonly #messages = new Map<string, Map<string, ChannelCount>>();
  /** platform → author id → tick time of the interval they last wrote in (oldest first). */
  readonly #chatters = new Map<string, Map<string, number>>();
  /** Moderation reasons (verdicts other than `allow`), since the subscription started. */
  readonly #moderated = new Map<string, Count>();
  readonly #chatIds = new RecentIds();
  readonly #commandIds = new RecentIds();
  readonly #moderationIds = new RecentIds();
  /** Scheduler time of the last tick: the stamp of chatters seen in the current interval. */
  #tick: number;
  #commands = 0;
  #historyCommands = 0;
  #lastPlatform = '';
  #lastChannel = '';
  #lastCount: ChannelCount | undefined;
  #lastChattersPlatform = '';
  #lastChatters: Map<string, number> | undefined;

  constructor(private readonly options: EventTapOptions) {
    this.#tick = options.start;
  }

  observe(event: ChatflowEvent): void {
    switch (event.kind) {
      case 'chat': {
        if (this.#chatIds.seen(event.id)) return;
        const count = this.#channelCount(event.platform, event.channel);
        count.value += 1;
        count.history += 1;
        count.total += 1;
        this.#chatter(event.platform, event.author.id);
        break;
      }
      case 'command':
        if (this.#commandIds.seen(event.chat.id)) return;
        this.#commands += 1;
        this.#historyCommands += 1;
        break;
      case 'moderation':
        if (this.#moderationIds.seen(event.chat.id) || event.verdict === 'allow') break;
        for (const reason of event.reasons) {
          const count = this.#moderated.get(reason);
          if (count === undefined) this.#moderated.set(reason, { value: 1 });
          else count.value += 1;
        }
        break;
      default:
        break;
    }
  }

  /** The count of a channel; the last one used is kept at hand (chat comes in runs). */
  #channelCount(platform: string, channel: string): ChannelCount {
    if (platform === this.#lastPlatform && channel === this.#lastChannel && this.#lastCount) return this.#lastCount;
    let channels = this.#messages.get(platform);
    if (channels === undefined) {
      channels = new Map();
      this.#messages.set(platform, channels);
    }
    let count = channels.get(channel);
    if (count === undefined) {
      count = { value: 0, history: 0, total: 0, quiet: false, historyQuiet: false };
      channels.set(channel, count);
    }
    this.#lastPlatform = platform;
    this.#lastChannel = channel;
    this.#lastCount = count;
    return count;
  }

  #chatter(platform: string, id: string): void {
    let seen = this.#lastChatters;
    if (platform !== this.#lastChattersPlatform || seen === undefined) {
      seen = this.#chatters.get(platform);
      if (seen === undefined) {
        seen = new Map();
        this.#chatters.set(platform, seen);
      }
      this.#lastChattersPlatform = platform;
      this.#lastChatters = seen;
    }
    const last = seen.get(id);
    if (last === this.#tick) return;
    // Re-inserting keeps the map in last-seen order, so expiry only looks at its front.
    if (last !== undefined) seen.delete(id);
    else if (seen.size >= this.options.maxChatters) {
      const oldest = seen.keys().next();
      if (!oldest.done) seen.delete(oldest.value);
    }
    seen.set(id, this.#tick);
  }

  /**
   * Adds the event-derived metrics of `interval` to `batch` and starts its next one. The two
   * intervals count the same events, each from its own last collect.
   * @returns The commands seen in the interval (for the success rate).
   */
  collect(batch: MetricBatch, interval: Interval = 'sample'): number {
    const history = interval === 'history';
    for (const [platform, channels] of this.#messages) {
      for (const [channel, count] of channels) {
        const labels = { platform, channel };
        batch.value('chatflow_messages_total', labels, count.total);
        const value = history ? count.history : count.value;
        // A quiet channel's rate is reported once as 0, then not until it speaks again.
        if (value > 0 || !(history ? count.historyQuiet : count.quiet)) {
          batch.value('chatflow_messages_per_second', labels, batch.perSecond(value));
        }
        if (history) {
          count.historyQuiet = value === 0;
          count.history = 0;
        } else {
          count.quiet = value === 0;
          count.value = 0;
        }
      }
    }

    const cutoff = batch.ts - this.options.windowMs;
    let active = 0;
    for (const seen of this.#chatters.values()) {
      for (const [id, at] of seen) {
        if (at >= cutoff) break;
        seen.delete(id);
      }
      active += seen.size;
    }
    batch.value('chatflow_active_chatters', { window: this.options.windowLabel }, active);
    // Chatters are stamped with the sample's tick (a chatter is re-stamped once per interval).
    if (!history) this.#tick = batch.ts;

    const commands = history ? this.#historyCommands : this.#commands;
    if (history) this.#historyCommands = 0;
    else this.#commands = 0;
    batch.value('chatflow_commands_per_second', { result: 'accepted' }, batch.perSecond(commands));

    for (const [reason, count] of this.#moderated) {
      batch.value('chatflow_moderated_total', { reason }, count.value);
    }
    return commands;
  }
}
