/**
 * The one event union every node of a pipeline speaks (DESIGN.md §3).
 *
 * Every event carries `receivedAt`, a `performance.now()` reading taken when its source first
 * saw the bytes, so any sink can report end-to-end latency.
 */

/** Platforms chatflow reads chat from. */
export type Platform = 'twitch' | 'youtube' | 'kick';
export const PLATFORMS = ['twitch', 'youtube', 'kick'] as const satisfies readonly Platform[];

/** Roles a chat author can hold, normalized across platforms. */
export type Role = 'broadcaster' | 'mod' | 'vip' | 'subscriber' | 'member' | 'verified';
export const ROLES = [
  'broadcaster',
  'mod',
  'vip',
  'subscriber',
  'member',
  'verified',
] as const satisfies readonly Role[];

export interface Author {
  /** Platform user id. */
  readonly id: string;
  /** Lower-case login name (Twitch login, Kick slug, YouTube channel id when no handle). */
  readonly login: string;
  /** Name as the platform displays it. */
  readonly displayName: string;
  readonly roles: readonly Role[];
  /** `#rrggbb`, when the platform gives one. */
  readonly color?: string;
  /** Badge name → version, as the platform reports it. */
  readonly badges: Readonly<Record<string, string>>;
}

/** An emote inside `text`, as code-point (not UTF-16) offsets; `end` is inclusive. */
export interface EmoteRange {
  readonly id: string;
  readonly name?: string;
  readonly start: number;
  readonly end: number;
}

interface EventBase {
  /** `performance.now()` when the source first saw the bytes of this event. */
  readonly receivedAt: number;
  /**
   * How long, of the time since `receivedAt`, the pipeline held this event on purpose, ms: a
   * slew step waiting for its place on the ramp, a vote result for its window. Sinks report it
   * as intended delay, apart from end-to-end latency (`now − receivedAt − heldMs`). Absent: 0.
   */
  readonly heldMs?: number;
}

/** A chat message. */
export interface ChatEvent extends EventBase {
  readonly kind: 'chat';
  /** Platform message id (unique per platform). */
  readonly id: string;
  readonly platform: Platform;
  /** Channel (Twitch login without `#`, Kick slug, YouTube live chat id). */
  readonly channel: string;
  readonly author: Author;
  /** Message text; after `normalize`, the normalized text. */
  readonly text: string;
  readonly emotes: readonly EmoteRange[];
  /** Platform time, epoch milliseconds. */
  readonly ts: number;
  /** Bits / kicks / super chat amount attached, if any. */
  readonly bits?: number;
  readonly replyTo?: { readonly id: string; readonly login?: string; readonly text?: string };
  /** `/me` message. */
  readonly action: boolean;
  /** The author's first message in this channel. */
  readonly firstMessage: boolean;
  /** Part of history replayed at connect (YouTube's first page), not live chat. */
  readonly backfill?: boolean;
  /** Shared-chat: the room the message was first sent in, when not `channel`. */
  readonly sourceRoom?: string;
  /** Set by `normalize`: the text exactly as received. */
  readonly originalText?: string;
  /** Set by `normalize`: case-, leetspeak- and confusable-folded text, for matching only. */
  readonly folded?: string;
  /** Set by `classify`. */
  readonly category?: string;
  /**
   * Set on the stand-in chat of a channel-points redemption turned into a command
   * ({@link redemptionChat}): which redemption, so the command's outcome can settle it.
   */
  readonly redemption?: RedemptionRef;
  /**
   * Sent by the bot's own account (the source's `bot_login` / `bot_channel_id`): the bot reading
   * its own replies. Never a command, never counted as chat by a `timer`. Absent: someone else.
   */
  readonly self?: boolean;
}

/** The redemption a command came from, carried to the operators that apply or refuse it. */
export interface RedemptionRef {
  /** Redemption id (Twitch's `id` of the redemption). */
  readonly id: string;
  readonly rewardId: string;
  /** The broadcaster's user id (the channel the reward belongs to). */
  readonly broadcasterId: string;
}

export const PLATFORM_EVENT_TYPES = [
  'subscription',
  'gift',
  'raid',
  'cheer',
  'message_deleted',
  'user_banned',
  'user_timed_out',
  'chat_cleared',
  'room_state',
  'membership',
  'super_chat',
  'host',
  // Twitch EventSub (`twitch_events`, docs/twitch.md):
  'follow',
  'redemption',
  'redemption_update',
  'poll',
  'prediction',
  'hype_train',
  'ad_break',
  'stream_online',
  'stream_offline',
  'shared_chat',
  'announcement',
  'user_messages_cleared',
] as const;
export type PlatformEventType = (typeof PLATFORM_EVENT_TYPES)[number];

/** One entry of a list a platform event carries (a poll choice, a prediction outcome…). */
export type PlatformItem = Readonly<Record<string, string | number | boolean | null>>;

/** Something that happened on a platform other than a chat message. */
export interface PlatformEvent extends EventBase {
  readonly kind: 'platform';
  readonly type: PlatformEventType;
  readonly id: string;
  readonly platform: Platform;
  readonly channel: string;
  /** Who did it (subscriber, raider, banned user…), when there is one. */
  readonly author?: Author;
  readonly ts: number;
  /** Type-specific details (months, count, amount, currency, duration, target message id…). */
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
  /**
   * The list the event is about, when it has one: a poll's choices, a prediction's outcomes, a
   * hype train's top contributions, a shared chat's participants. Absent otherwise.
   */
  readonly items?: readonly PlatformItem[];
  /** Part of history replayed at connect (YouTube's first page), not live. */
  readonly backfill?: boolean;
}

/** A platform event as the sources build it: `author` and `backfill` only when there are. */
export function platformEvent(
  platform: Platform,
  type: PlatformEventType,
  id: string,
  channel: string,
  author: Author | undefined,
  ts: number,
  data: PlatformEvent['data'],
  receivedAt: number,
  backfill = false,
): PlatformEvent {
  const event: PlatformEvent =
    author === undefined
      ? { kind: 'platform', type, id, platform, channel, ts, data, receivedAt }
      : { kind: 'platform', type, id, platform, channel, author, ts, data, receivedAt };
  return backfill ? { ...event, backfill: true } : event;
}

/**
 * The chat message a redemption stands for when it is turned into a command: from the redeemer,
 * with the command text the reward is mapped to (`data.command`, set by `twitch_events`), so
 * `parse_command` makes of it the same command event as of that chat line. Undefined for any
 * other event, or a redemption without a command.
 */
export function redemptionChat(event: PlatformEvent): ChatEvent | undefined {
  if (event.type !== 'redemption') return undefined;
  const { command, rewardId, broadcasterId } = event.data;
  if (typeof command !== 'string' || typeof rewardId !== 'string' || typeof broadcasterId !== 'string') return undefined;
  if (event.author === undefined) return undefined;
  return {
    kind: 'chat',
    id: event.id,
    platform: event.platform,
    channel: event.channel,
    author: event.author,
    text: command,
    emotes: [],
    ts: event.ts,
    action: false,
    firstMessage: false,
    receivedAt: event.receivedAt,
    redemption: { id: event.id, rewardId, broadcasterId },
  };
}

/** A typed argument value of a parsed command. */
export type CommandArg = string | number | boolean;

/** A chat message recognised as a command. */
export interface CommandEvent extends EventBase {
  readonly kind: 'command';
  readonly name: string;
  readonly args: Readonly<Record<string, CommandArg>>;
  readonly chat: ChatEvent;
}

/**
 * Why a control value changed. `retired`: a live reload removed the variable; this is its safe
 * default, sent once, after which the variable is gone (a sink must not send it again later).
 */
export type ControlOrigin = 'command' | 'vote' | 'slew' | 'panic' | 'reset' | 'default' | 'restore' | 'retired';

/**
 * The slew a control change belongs to: where it started and where it goes, how long it takes
 * in all and when it began. Every step of one slew carries the same one, so an output that
 * steps on its own clock (the `osc` sink's output stage) needs only the first it sees.
 */
export interface ControlRamp {
  /** Unique per slew: `<change id stem>ramp<n>`. */
  readonly id: string;
  readonly from: number;
  readonly to: number;
  /** Length of the slew, ms. */
  readonly ms: number;
  /** Scheduler time it began. */
  readonly startTs: number;
}

/** A control variable changed. */
export interface ControlEvent extends EventBase {
  readonly kind: 'control';
  readonly variable: string;
  /** Value in the output's units. */
  readonly value: number;
  readonly previous: number;
  readonly origin: ControlOrigin;
  /** Who moved it, when a person did; on a slew step, who set the target it moves toward. */
  readonly by?: { readonly login: string; readonly platform: Platform };
  /** Slew steps only: the origin of the change they move toward (`command`, `vote`, …). */
  readonly towards?: ControlOrigin;
  /** Every step of a slew, its first included: the whole slew (see {@link ControlRamp}). */
  readonly ramp?: ControlRamp;
  /** Scheduler time of the change, ms. */
  readonly ts: number;
  /**
   * This change's identity, given by `control` when it makes the change and kept through
   * retries, dead letters and re-ingest: `<instance>/<node>/<subscribed at>/<sequence>`. Two
   * changes alike in every other field (two viewers, same value, same millisecond) differ here.
   * Absent only on events made by hand or written before chatflow gave changes one.
   */
  readonly id?: string;
}

export type Verdict = 'allow' | 'flag' | 'delete' | 'timeout' | 'ban';

/** A moderation decision about a chat message. */
export interface ModerationEvent extends EventBase {
  readonly kind: 'moderation';
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly points: number;
  readonly chat: ChatEvent;
}

/**
 * How soon a reply goes out when the `chat` sink holds more than the platform lets it send:
 * every `high` before any `normal`, every `normal` before any `low`.
 */
export type ReplyPriority = 'high' | 'normal' | 'low';
export const REPLY_PRIORITIES = ['high', 'normal', 'low'] as const satisfies readonly ReplyPriority[];

/** The viewer a reply answers, for the `chat` sink's fair queue (one lane per viewer). */
export interface ReplyViewer {
  /** Platform user id. */
  readonly id: string;
  readonly login: string;
  readonly roles: readonly Role[];
}

/**
 * A text reply, for the `chat` sink: it sends `text` as the bot into `channel` on `platform`.
 * Build one with `replyToChat` (core/reply.ts) when it answers a chat message.
 */
export interface ReplyEvent extends EventBase {
  readonly kind: 'reply';
  readonly platform: Platform;
  /** Where to answer: Twitch login without `#`, Kick slug, YouTube live chat id. */
  readonly channel: string;
  /**
   * The platform's id of that channel when the producer knows it (Twitch broadcaster user id,
   * Kick broadcaster user id); the sink looks it up from `channel` otherwise.
   */
  readonly channelId?: string;
  readonly text: string;
  /** The chat message replied to (its platform id); threaded under it where the platform can. */
  readonly replyTo?: string;
  /**
   * The viewer this answers. The sink queues each viewer apart and takes from them in turn, so
   * one viewer's spam cannot take every reply slot. Absent: the bot speaking on its own (a
   * timer, a thank-you), all of which share one lane.
   */
  readonly viewer?: ReplyViewer;
  /** Absent: `high` when `viewer` is a moderator or the broadcaster, else `normal` (core/reply.ts). */
  readonly priority?: ReplyPriority;
}

export interface HistogramSummary {
  readonly count: number;
  readonly sum: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * A histogram as Prometheus exposes it: cumulative bucket counts since its node started, so
 * `count`, `sum` and every bucket only grow (until a restart).
 */
export interface CumulativeHistogram {
  /** Upper bounds of the buckets, ascending, in the metric's unit (ms); `+Inf` is `count`. */
  readonly le: readonly number[];
  /** Values at or below each bound, cumulative; as long as `le`. */
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

/** A measurement. */
export interface MetricEvent extends EventBase {
  readonly kind: 'metric';
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value?: number;
  readonly summary?: HistogramSummary;
  /** Beside a `summary`: the same measurements since the node started, in buckets (Prometheus). */
  readonly histogram?: CumulativeHistogram;
  readonly instance: string;
  /** Epoch ms. */
  readonly ts: number;
}

/** An alert rule changed state (`sample_metrics` `alerts`): it fired, or it resolved. */
export interface AlertEvent extends EventBase {
  readonly kind: 'alert';
  /** The rule's id from pipeline.yaml. */
  readonly rule: string;
  readonly severity: 'warning' | 'critical';
  readonly state: 'firing' | 'resolved';
  readonly message: string;
  /** The value that crossed (or fell back under) the threshold. */
  readonly value: number;
  readonly threshold: number;
  readonly instance: string;
  /** Epoch ms. */
  readonly ts: number;
}

export type ChatflowEvent =
  | ChatEvent
  | PlatformEvent
  | CommandEvent
  | ControlEvent
  | ModerationEvent
  | ReplyEvent
  | MetricEvent
  | AlertEvent;

export type EventKind = ChatflowEvent['kind'];
export const EVENT_KINDS = [
  'chat',
  'platform',
  'command',
  'control',
  'moderation',
  'reply',
  'metric',
  'alert',
] as const satisfies readonly EventKind[];

/** The chat message an event is about, if any. */
export function chatOf(event: ChatflowEvent): ChatEvent | undefined {
  switch (event.kind) {
    case 'chat':
      return event;
    case 'command':
    case 'moderation':
      return event.chat;
    default:
      return undefined;
  }
}

/** The platform an event came from (for a control change, the platform of who made it). */
export function platformOf(event: ChatflowEvent): Platform | undefined {
  switch (event.kind) {
    case 'chat':
    case 'platform':
    case 'reply':
      return event.platform;
    case 'command':
    case 'moderation':
      return event.chat.platform;
    case 'control':
      return event.by?.platform;
    default:
      return undefined;
  }
}
