/**
 * Kick chatroom and channel events (Pusher `data`, already decoded) → chatflow events
 * (DESIGN.md §3). Ids arrive as strings or numbers depending on the year of the capture, and
 * `metadata` may be missing: everything is read defensively, and what cannot be read is
 * reported as `malformed`, never thrown.
 */
import { type Author, type ChatEvent, type EmoteRange, type PlatformEvent, type Role, platformEvent } from '../../core/events.js';

/** What an event was, for counting: events came out, a kind chatflow skips, a kind never seen, or garbage. */
export type KickOutcome = 'events' | 'unsupported' | 'unknown' | 'malformed';

/** Receives each event a Kick event yields. */
export type KickEmit = (event: ChatEvent | PlatformEvent) => void;

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type Data = Record<string, string | number | boolean | null>;
type Json = Record<string, unknown>;

/**
 * Kick events chatflow knows and deliberately does not turn into events: moderation and
 * channel state it has no event type for, and the older or parallel forms of events it does
 * read (`StreamHostedEvent` beside `StreamHostEvent`, `ChannelSubscriptionEvent` beside
 * `SubscriptionEvent`, the 2023 `ChatMessageSentEvent`/`ChatMessageDeletedEvent`).
 */
const UNSUPPORTED = new Set([
  'UserUnbannedEvent',
  'ChatroomUpdatedEvent',
  'PinnedMessageCreatedEvent',
  'PinnedMessageDeletedEvent',
  'PollUpdateEvent',
  'PollDeleteEvent',
  'PredictionCreated',
  'PredictionUpdated',
  'StreamHostedEvent',
  'RewardRedeemedEvent',
  'GoalProgressUpdateEvent',
  'KicksGifted',
  'KicksLeaderboardUpdated',
  'GiftsLeaderboardUpdated',
  'StreamerIsLive',
  'StopStreamBroadcast',
  'LivestreamUpdated',
  'LivestreamReactionEvent',
  'ChatMoveToSupportedChannelEvent',
  'ChannelSubscriptionEvent',
  'VideoPrivatedEvent',
  'ChatMessageSentEvent',
  'ChatMessageDeletedEvent',
]);

/** Badge type → role. Other badges (`og`, `staff`, `sub_gifter`…) stay in `badges` only. */
const BADGE_ROLES: Readonly<Record<string, Role>> = {
  broadcaster: 'broadcaster',
  moderator: 'mod',
  vip: 'vip',
  subscriber: 'subscriber',
  founder: 'subscriber',
  verified: 'verified',
};
/** Roles in the order of `ROLES` in events.ts. */
const ROLE_ORDER: readonly Role[] = ['broadcaster', 'mod', 'vip', 'subscriber', 'member', 'verified'];
const NO_EMOTES: readonly EmoteRange[] = Object.freeze([]);
const COLOR = /^#[0-9A-Fa-f]{6}$/;
const EMOTE_TOKEN = /\[emote:(\d+):([^\]]*)\]/g;

/**
 * `App\Events\ChatMessageEvent` → `ChatMessageEvent`. Kick sends some events with the
 * namespace and some without (`GiftedSubscriptionsEvent`, 2025), so only the last segment counts.
 */
export function kickEventName(event: string): string {
  const at = event.lastIndexOf('\\');
  return at === -1 ? event : event.slice(at + 1);
}

/**
 * Turns one decoded Kick event into zero or more chatflow events, handed to `emit`.
 *
 * - `ChatMessageEvent` → `chat` (roles from badges, color, `[emote:id:name]` tokens as
 *   code-point emote ranges, reply parent as `replyTo`); a `celebration` of a renewed
 *   subscription (a resub shared in chat) → `subscription` instead.
 * - `MessageDeletedEvent` → `message_deleted` (id: the deleted message's id).
 * - `UserBannedEvent` → `user_banned` (permanent) or `user_timed_out` (with `expiresAt` and
 *   `durationSeconds`).
 * - `ChatroomClearEvent` → `chat_cleared`.
 * - `SubscriptionEvent` → `subscription`; `GiftedSubscriptionsEvent` and
 *   `LuckyUsersWhoGotGiftSubscriptionsEvent` → `gift` (the same gift from both has the same id);
 *   `StreamHostEvent` → `host`.
 *
 * @param name Event name, with or without its `App\Events\` namespace.
 * @param data The event's `data`, decoded from its JSON string.
 * @param channel The `channel` of the events (the Kick slug, or the chatroom id when no slug is known).
 * @param receivedAt Monotonic time the frame arrived, copied to every event.
 * @param now Wall clock (epoch ms) for events without a time of their own.
 * @param emit Receives the events.
 * @returns What the event was.
 */
export function normalizeKickEvent(
  name: string,
  data: unknown,
  channel: string,
  receivedAt: number,
  now: () => number,
  emit: KickEmit,
): KickOutcome {
  const kind = kickEventName(name);
  switch (kind) {
    case 'ChatMessageEvent':
      return isObject(data) ? chatMessage(data, channel, receivedAt, now, emit) : 'malformed';
    case 'MessageDeletedEvent':
      return isObject(data) ? messageDeleted(data, channel, receivedAt, now, emit) : 'malformed';
    case 'UserBannedEvent':
      return isObject(data) ? userBanned(data, channel, receivedAt, now, emit) : 'malformed';
    case 'ChatroomClearEvent':
      return chatroomClear(isObject(data) ? data : {}, channel, receivedAt, now, emit);
    case 'SubscriptionEvent':
      return isObject(data) ? subscription(data, channel, receivedAt, now, emit) : 'malformed';
    case 'GiftedSubscriptionsEvent':
    case 'LuckyUsersWhoGotGiftSubscriptionsEvent':
      return isObject(data) ? gift(data, channel, receivedAt, now, emit) : 'malformed';
    case 'StreamHostEvent':
      return isObject(data) ? host(data, channel, receivedAt, now, emit) : 'malformed';
    default:
      return UNSUPPORTED.has(kind) ? 'unsupported' : 'unknown';
  }
}

/** The text and emote ranges of a Kick message: each `[emote:id:name]` token becomes its name. */
export interface KickText {
  readonly text: string;
  readonly emotes: readonly EmoteRange[];
}

/**
 * Replaces Kick's inline emote tokens `[emote:<id>:<name>]` with the emote's name and reports
 * where each one sits, as inclusive code-point offsets (like Twitch's). Tokens may be glued to
 * the text around them. A token with an empty name (`[emote:37244:]`) becomes `emote_<id>` so
 * it still occupies a range; its range has no `name`.
 *
 * ```text
 * content: "hi[emote:37226:KEKW]🎉[emote:1:]"
 * text:    "hiKEKW🎉emote_1"
 * emotes:  [{id: "37226", name: "KEKW", start: 2, end: 5}, {id: "1", start: 7, end: 13}]
 * ```
 */
export function parseKickEmotes(content: string): KickText {
  if (!content.includes('[emote:')) return { text: content, emotes: NO_EMOTES };
  const emotes: EmoteRange[] = [];
  let text = '';
  let points = 0;
  let last = 0;
  // matchAll iterates a copy of the regex, so the module's constant keeps no lastIndex between calls.
  for (const match of content.matchAll(EMOTE_TOKEN)) {
    const before = content.slice(last, match.index);
    text += before;
    points += codePointLength(before);
    const id = match[1] as string;
    const emoteName = match[2] as string;
    const shown = emoteName === '' ? `emote_${id}` : emoteName;
    const length = codePointLength(shown);
    emotes.push(
      emoteName === ''
        ? { id, start: points, end: points + length - 1 }
        : { id, name: emoteName, start: points, end: points + length - 1 },
    );
    text += shown;
    points += length;
    last = match.index + match[0].length;
  }
  text += content.slice(last);
  return { text, emotes };
}

/** Code points in `s` (a surrogate pair counts once). */
export function codePointLength(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id Kick sent as a string or a number; undefined when it is neither (or empty). */
export function kickId(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return undefined;
}

/** Epoch ms of an ISO time, or undefined. */
function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The author a Kick user object describes (`sender`, `user`, `banned_by`…). */
function authorOf(user: Json): Author | undefined {
  const username = text(user.username);
  const slug = text(user.slug);
  if (username === undefined && slug === undefined) return undefined;
  const identity = isObject(user.identity) ? user.identity : undefined;
  const badges: Record<string, string> = {};
  const held = new Set<Role>();
  if (identity !== undefined && Array.isArray(identity.badges)) {
    for (const badge of identity.badges) {
      if (!isObject(badge)) continue;
      const type = text(badge.type);
      if (type === undefined) continue;
      const count = num(badge.count);
      badges[type] = count === undefined ? '1' : String(count);
      const role = BADGE_ROLES[type];
      if (role !== undefined) held.add(role);
    }
  }
  const login = (slug ?? (username as string)).toLowerCase();
  const color = identity === undefined ? undefined : text(identity.color);
  const author: Writable<Author> = {
    id: kickId(user.id) ?? '',
    login,
    displayName: username ?? login,
    roles: ROLE_ORDER.filter((role) => held.has(role)),
    badges,
  };
  if (color !== undefined && COLOR.test(color)) author.color = color;
  return author;
}

/** An author known only by the display name an event gives (`username`, `host_username`). */
function authorByName(username: string): Author {
  return { id: '', login: username.toLowerCase(), displayName: username, roles: [], badges: {} };
}


function chatMessage(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const id = kickId(data.id);
  const content = data.content;
  const sender = isObject(data.sender) ? authorOf(data.sender) : undefined;
  if (id === undefined || typeof content !== 'string' || sender === undefined) return 'malformed';
  const ts = timeOf(data.created_at) ?? now();
  const metadata = isObject(data.metadata) ? data.metadata : undefined;
  const parsed = parseKickEmotes(content);
  const celebration = metadata !== undefined && isObject(metadata.celebration) ? metadata.celebration : undefined;
  if (data.type === 'celebration' && celebration !== undefined && celebration.type === 'subscription_renewed') {
    // A resub shared in chat: the message is the share's text, as with Twitch's `resub`.
    const info: Data = { celebration: 'subscription_renewed' };
    const months = num(celebration.total_months);
    if (months !== undefined) info.months = months;
    if (parsed.text !== '') info.message = parsed.text;
    emit(platformEvent('kick', 'subscription', id, channel, sender, ts, info, receivedAt));
    return 'events';
  }
  const event: Writable<ChatEvent> = {
    kind: 'chat',
    id,
    platform: 'kick',
    channel,
    author: sender,
    text: parsed.text,
    emotes: parsed.emotes,
    ts,
    action: false,
    firstMessage: false,
    receivedAt,
  };
  const parent = metadata !== undefined && isObject(metadata.original_message) ? metadata.original_message : undefined;
  const parentId = parent === undefined ? undefined : kickId(parent.id);
  if (parentId !== undefined) {
    const reply: { id: string; login?: string; text?: string } = { id: parentId };
    const parentSender = isObject(metadata?.original_sender) ? metadata.original_sender : undefined;
    const login = parentSender === undefined ? undefined : text(parentSender.slug) ?? text(parentSender.username);
    if (login !== undefined) reply.login = login.toLowerCase();
    const parentText = parent === undefined ? undefined : parent.content;
    if (typeof parentText === 'string') reply.text = parseKickEmotes(parentText).text;
    event.replyTo = reply;
  }
  emit(event);
  return 'events';
}

function messageDeleted(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const target = isObject(data.message) ? kickId(data.message.id) : undefined;
  if (target === undefined) return 'malformed';
  const info: Data = { messageId: target };
  const deletion = kickId(data.id);
  if (deletion !== undefined) info.deletionId = deletion;
  if (typeof data.aiModerated === 'boolean') info.aiModerated = data.aiModerated;
  if (Array.isArray(data.violatedRules) && data.violatedRules.length > 0) {
    info.violatedRules = data.violatedRules.map((rule) => (typeof rule === 'string' ? rule : JSON.stringify(rule))).join(', ');
  }
  emit(platformEvent('kick', 'message_deleted', target, channel, undefined, now(), info, receivedAt));
  return 'events';
}

function userBanned(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const user = isObject(data.user) ? authorOf(data.user) : undefined;
  if (user === undefined) return 'malformed';
  const ts = now();
  const expiresAt = timeOf(data.expires_at);
  const minutes = num(data.duration);
  // 2025 events say `permanent`; 2023 ones only had `expires_at` for a timeout.
  const permanent = typeof data.permanent === 'boolean' ? data.permanent : expiresAt === undefined && minutes === undefined;
  const info: Data = { userId: user.id, login: user.login };
  const by = isObject(data.banned_by) ? authorOf(data.banned_by) : undefined;
  if (by !== undefined) info.bannedBy = by.login;
  if (!permanent) {
    if (expiresAt !== undefined) info.expiresAt = new Date(expiresAt).toISOString();
    // The expiry is the truth; `duration` (minutes, undocumented) only when it has passed or is missing.
    if (expiresAt !== undefined && expiresAt > ts) info.durationSeconds = Math.round((expiresAt - ts) / 1000);
    else if (minutes !== undefined) info.durationSeconds = minutes * 60;
  }
  const id = kickId(data.id) ?? `ban:${channel}:${user.id || user.login}:${expiresAt ?? ts}`;
  emit(platformEvent('kick', permanent ? 'user_banned' : 'user_timed_out', id, channel, user, ts, info, receivedAt));
  return 'events';
}

function chatroomClear(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const ts = now();
  emit(platformEvent('kick', 'chat_cleared', kickId(data.id) ?? `clear:${channel}:${ts}`, channel, undefined, ts, {}, receivedAt));
  return 'events';
}

function subscription(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const username = text(data.username);
  if (username === undefined) return 'malformed';
  const author = authorByName(username);
  const months = num(data.months);
  const info: Data = {};
  if (months !== undefined) info.months = months;
  // No id on the wire: one made of what the event says, so a repeat of it is recognised.
  const id = `subscription:${channel}:${author.login}:${months ?? ''}`;
  emit(platformEvent('kick', 'subscription', id, channel, author, now(), info, receivedAt));
  return 'events';
}

function gift(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const list = Array.isArray(data.gifted_usernames) ? data.gifted_usernames : Array.isArray(data.usernames) ? data.usernames : undefined;
  if (list === undefined) return 'malformed';
  const recipients = list.filter((name): name is string => typeof name === 'string' && name !== '');
  const gifter = text(data.gifter_username);
  const author = gifter === undefined ? undefined : authorByName(gifter);
  const info: Data = { count: recipients.length, recipients: recipients.join(', '), anonymous: author === undefined };
  const total = num(data.gifter_total);
  if (total !== undefined) info.gifterTotal = total;
  // The chatroom's GiftedSubscriptionsEvent and the channel's LuckyUsers… event describe the
  // same gift: the same id makes the second one a duplicate.
  const who = recipients.map((name) => name.toLowerCase()).sort().join(',');
  const id = `gift:${channel}:${author?.login ?? ''}:${who}`;
  emit(platformEvent('kick', 'gift', id, channel, author, now(), info, receivedAt));
  return 'events';
}

function host(data: Json, channel: string, receivedAt: number, now: () => number, emit: KickEmit): KickOutcome {
  const hostName = text(data.host_username);
  if (hostName === undefined) return 'malformed';
  const author = authorByName(hostName);
  const viewers = num(data.number_viewers) ?? 0;
  const info: Data = { viewers, login: author.login, displayName: hostName };
  const message = text(data.optional_message);
  if (message !== undefined) info.message = message;
  const id = `host:${channel}:${author.login}:${viewers}`;
  emit(platformEvent('kick', 'host', id, channel, author, now(), info, receivedAt));
  return 'events';
}
