/**
 * YouTube Data API v3 `liveChatMessage` resources → chatflow events (DESIGN.md §3,
 * platform-protocols.md §3.1). Pure: no I/O, no clock except the `now` it is handed.
 */
import { type Author, type ChatEvent, type EmoteRange, type PlatformEvent, type PlatformEventType, type Role, platformEvent } from '../../core/events.js';

/** What an item was, for counting: events came out, a silent item, the chat's end, a kind chatflow skips, or garbage. */
export type ItemOutcome = 'events' | 'silent' | 'ended' | 'unsupported' | 'malformed';

/** Receives each event an item yields, in order. */
export type YoutubeEmit = (event: ChatEvent | PlatformEvent) => void;

/** Where the events of one page come from and when they arrived. */
export interface YoutubeItemContext {
  /** Live chat id of the poll, for items without `snippet.liveChatId`. */
  readonly channel: string;
  /** Monotonic time the page arrived, copied to every event. */
  readonly receivedAt: number;
  /** True for the first page (history): every event gets `backfill: true`. */
  readonly backfill: boolean;
  /** Wall clock (epoch ms) for items without a readable `publishedAt`. */
  readonly now: () => number;
}

/** `authorDetails` of a liveChatMessage. */
export interface ApiAuthorDetails {
  readonly channelId?: string;
  readonly channelUrl?: string;
  readonly displayName?: string;
  readonly profileImageUrl?: string;
  readonly isVerified?: boolean;
  readonly isChatOwner?: boolean;
  readonly isChatSponsor?: boolean;
  readonly isChatModerator?: boolean;
}

/** A `youtube#liveChatMessage` as the API sends it (every field optional: never trust the wire). */
export interface ApiChatItem {
  readonly kind?: string;
  readonly etag?: string;
  readonly id?: string;
  readonly snippet?: {
    readonly type?: string;
    readonly liveChatId?: string;
    readonly authorChannelId?: string;
    readonly publishedAt?: string;
    readonly hasDisplayContent?: boolean;
    readonly displayMessage?: string;
    readonly [details: string]: unknown;
  };
  readonly authorDetails?: ApiAuthorDetails;
}

type Data = Record<string, string | number | boolean | null>;
type Details = Readonly<Record<string, unknown>>;

const EMPTY_BADGES: Readonly<Record<string, string>> = Object.freeze({});

/** Every combination of the four YouTube roles, frozen once, indexed by a bit mask. */
const ROLE_BITS = ['broadcaster', 'mod', 'member', 'verified'] as const satisfies readonly Role[];
const ROLE_SETS: readonly (readonly Role[])[] = Array.from({ length: 1 << ROLE_BITS.length }, (_, mask) =>
  Object.freeze(ROLE_BITS.filter((_role, bit) => (mask & (1 << bit)) !== 0)),
);

/** The frozen role list for the four flags. */
export function youtubeRoles(owner: boolean, moderator: boolean, member: boolean, verified: boolean): readonly Role[] {
  const mask = (owner ? 1 : 0) | (moderator ? 2 : 0) | (member ? 4 : 0) | (verified ? 8 : 0);
  return ROLE_SETS[mask] as readonly Role[];
}

/**
 * An author. YouTube has no login names in chat: `login` is the channel id (kept as is, since
 * channel ids are case-sensitive), `displayName` the name trimmed of the padding some
 * decorated names carry.
 */
export function youtubeAuthor(channelId: string, displayName: string | undefined, roles: readonly Role[]): Author {
  const name = displayName?.trim() || channelId;
  return { id: channelId, login: channelId, displayName: name, roles, badges: EMPTY_BADGES };
}

/**
 * `2023-05-25T20:08:08.479833+00:00` → epoch ms (the microseconds truncated). `Date.parse`
 * would accept it on V8 but the format is not ECMAScript's, so the fraction is cut to three
 * digits first.
 */
export function parsePublishedAt(text: string | undefined): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const trimmed = text.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * `amountMicros` (a uint64 sent as a string) → the amount in the currency's units. BigInt keeps
 * amounts beyond 2^53 micros exact up to the last whole unit.
 */
export function microsToAmount(micros: unknown): number | undefined {
  let big: bigint;
  try {
    if (typeof micros === 'string' && /^\d+$/.test(micros)) big = BigInt(micros);
    else if (typeof micros === 'number' && Number.isSafeInteger(micros) && micros >= 0) big = BigInt(micros);
    else return undefined;
  } catch {
    return undefined;
  }
  return Number(big / 1_000_000n) + Number(big % 1_000_000n) / 1_000_000;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function detailsOf(item: ApiChatItem, key: string): Details {
  const details = item.snippet?.[key];
  return typeof details === 'object' && details !== null ? (details as Details) : {};
}

function authorOfItem(item: ApiChatItem): Author | undefined {
  const details = item.authorDetails;
  const id = details?.channelId ?? item.snippet?.authorChannelId;
  if (!id) return undefined;
  const roles = youtubeRoles(
    details?.isChatOwner === true,
    details?.isChatModerator === true,
    details?.isChatSponsor === true,
    details?.isVerified === true,
  );
  return youtubeAuthor(id, details?.displayName, roles);
}

/** A YouTube platform event, marked `backfill` when its page is history. */
export function youtubeEvent(
  type: PlatformEventType,
  id: string,
  channel: string,
  author: Author | undefined,
  ts: number,
  data: Data,
  ctx: YoutubeItemContext,
): PlatformEvent {
  return platformEvent('youtube', type, id, channel, author, ts, data, ctx.receivedAt, ctx.backfill);
}

/** A YouTube chat message (Data API or innertube), marked `backfill` when its page is history. */
export function youtubeChatEvent(
  id: string,
  channel: string,
  author: Author,
  text: string,
  emotes: EmoteRange[],
  ts: number,
  ctx: YoutubeItemContext,
  bits?: number,
): ChatEvent {
  const event: ChatEvent = {
    kind: 'chat',
    id,
    platform: 'youtube',
    channel,
    author,
    text,
    emotes,
    ts,
    action: false,
    firstMessage: false,
    receivedAt: ctx.receivedAt,
    ...(bits === undefined ? {} : { bits }),
  };
  return ctx.backfill ? { ...event, backfill: true } : event;
}

/** Types that say nothing a pipeline acts on (the chat's end is reported separately). */
const SILENT = new Set(['tombstone']);

/**
 * Turns one `liveChatMessage` into zero or more events, handed to `emit` in order.
 *
 * - `textMessageEvent` → `chat`.
 * - `superChatEvent` → `chat` with `bits` = the amount (only when the viewer wrote a comment),
 *   then `super_chat` (`amount`, `currency`, `amountDisplay`, `tier`, `message`), same id.
 * - `superStickerEvent` → `super_chat` with `sticker: true`, `stickerId`, `stickerAltText`.
 * - `newSponsorEvent`, `memberMilestoneChatEvent`, `giftMembershipReceivedEvent` →
 *   `membership`; `membershipGiftingEvent` → `gift`.
 * - `messageDeletedEvent`, `messageRetractedEvent` → `message_deleted`.
 * - `userBannedEvent` → `user_banned` (permanent) or `user_timed_out` (temporary, with
 *   `durationSeconds`), the banned user as `author`.
 * - `chatEndedEvent` → `ended`; `tombstone` → `silent`; other types → `unsupported`.
 *
 * @returns What the item was.
 */
export function normalizeYoutubeItem(item: ApiChatItem, ctx: YoutubeItemContext, emit: YoutubeEmit): ItemOutcome {
  const snippet = item.snippet;
  const type = snippet?.type;
  if (snippet === undefined || typeof type !== 'string') return 'malformed';
  if (type === 'chatEndedEvent') return 'ended';
  if (SILENT.has(type)) return 'silent';
  const channel = snippet.liveChatId || ctx.channel;
  const ts = parsePublishedAt(snippet.publishedAt) ?? ctx.now();
  const author = authorOfItem(item);
  const id = item.id || `${type}:${author?.id ?? ''}:${snippet.publishedAt ?? ts}`;

  switch (type) {
    case 'textMessageEvent': {
      if (author === undefined) return 'malformed';
      const text = stringOf(detailsOf(item, 'textMessageDetails').messageText) ?? snippet.displayMessage ?? '';
      emit(youtubeChatEvent(id, channel, author, text, [], ts, ctx));
      return 'events';
    }
    case 'superChatEvent':
    case 'superStickerEvent': {
      const sticker = type === 'superStickerEvent';
      const details = detailsOf(item, sticker ? 'superStickerDetails' : 'superChatDetails');
      const amount = microsToAmount(details.amountMicros);
      if (amount === undefined) return 'malformed';
      const data: Data = { amount, currency: stringOf(details.currency) ?? '' };
      const display = stringOf(details.amountDisplayString);
      if (display) data.amountDisplay = display;
      const tier = numberOf(details.tier);
      if (tier !== undefined) data.tier = tier;
      const comment = stringOf(details.userComment);
      if (comment) data.message = comment;
      if (sticker) {
        data.sticker = true;
        const meta = (details.superStickerMetadata ?? {}) as Details;
        const stickerId = stringOf(meta.stickerId);
        if (stickerId) data.stickerId = stickerId;
        const alt = stringOf(meta.altText);
        if (alt) data.stickerAltText = alt;
      }
      if (comment && author !== undefined) emit(youtubeChatEvent(id, channel, author, comment, [], ts, ctx, amount));
      emit(youtubeEvent('super_chat', id, channel, author, ts, data, ctx));
      return 'events';
    }
    case 'newSponsorEvent': {
      const details = detailsOf(item, 'newSponsorDetails');
      const data: Data = { upgrade: details.isUpgrade === true };
      const level = stringOf(details.memberLevelName);
      if (level) data.level = level;
      emit(youtubeEvent('membership', id, channel, author, ts, data, ctx));
      return 'events';
    }
    case 'memberMilestoneChatEvent': {
      const details = detailsOf(item, 'memberMilestoneChatDetails');
      const data: Data = { milestone: true };
      const months = numberOf(details.memberMonth);
      if (months !== undefined) data.months = months;
      const level = stringOf(details.memberLevelName);
      if (level) data.level = level;
      const comment = stringOf(details.userComment);
      if (comment) data.message = comment;
      emit(youtubeEvent('membership', id, channel, author, ts, data, ctx));
      return 'events';
    }
    case 'membershipGiftingEvent': {
      const details = detailsOf(item, 'membershipGiftingDetails');
      const data: Data = { count: numberOf(details.giftMembershipsCount) ?? 1, anonymous: false };
      const level = stringOf(details.giftMembershipsLevelName);
      if (level) data.level = level;
      emit(youtubeEvent('gift', id, channel, author, ts, data, ctx));
      return 'events';
    }
    case 'giftMembershipReceivedEvent': {
      const details = detailsOf(item, 'giftMembershipReceivedDetails');
      const data: Data = { gifted: true };
      const level = stringOf(details.memberLevelName);
      if (level) data.level = level;
      const gifter = stringOf(details.gifterChannelId);
      if (gifter) data.gifterId = gifter;
      const origin = stringOf(details.associatedMembershipGiftingMessageId);
      if (origin) data.originId = origin;
      emit(youtubeEvent('membership', id, channel, author, ts, data, ctx));
      return 'events';
    }
    case 'messageDeletedEvent':
    case 'messageRetractedEvent': {
      const retracted = type === 'messageRetractedEvent';
      const details = detailsOf(item, retracted ? 'messageRetractedDetails' : 'messageDeletedDetails');
      const target = stringOf(retracted ? details.retractedMessageId : details.deletedMessageId);
      if (!target) return 'malformed';
      const data: Data = { messageId: target };
      if (retracted) {
        data.retracted = true;
        emit(youtubeEvent('message_deleted', id, channel, author, ts, data, ctx));
      } else {
        // The item's author is the moderator who deleted the message, not the message's author.
        if (author !== undefined) {
          data.deletedById = author.id;
          data.deletedByName = author.displayName;
        }
        emit(youtubeEvent('message_deleted', id, channel, undefined, ts, data, ctx));
      }
      return 'events';
    }
    case 'userBannedEvent': {
      const details = detailsOf(item, 'userBannedDetails');
      const banned = (details.bannedUserDetails ?? {}) as Details;
      const userId = stringOf(banned.channelId);
      if (!userId) return 'malformed';
      const target = youtubeAuthor(userId, stringOf(banned.displayName), ROLE_SETS[0] as readonly Role[]);
      const data: Data = { userId, login: userId, displayName: target.displayName };
      if (author !== undefined) data.bannedById = author.id;
      const seconds = numberOf(details.banDurationSeconds);
      const temporary = details.banType === 'temporary';
      if (temporary && seconds !== undefined) data.durationSeconds = seconds;
      emit(youtubeEvent(temporary ? 'user_timed_out' : 'user_banned', id, channel, target, ts, data, ctx));
      return 'events';
    }
    default:
      return 'unsupported';
  }
}
