/**
 * Twitch IRC lines → chatflow events (DESIGN.md §3), from the raw tags: never from tmi.js's
 * reading of them, which turns `"0"`/`"1"` into booleans, reports only `cheer` for bits and
 * passes the streak where the cumulative months of a resub are.
 */
import { type Author, type ChatEvent, type PlatformEvent, type PlatformEventType, type Role, platformEvent } from '../../core/events.js';
import {
  BADGE_BROADCASTER,
  BADGE_MOD,
  BADGE_SUBSCRIBER,
  BADGE_VIP,
  BadgeCache,
  type IrcMessage,
  ownString,
  parseEmotes,
  rawTag,
  tag,
} from './tags.js';

/** What a line was, for counting: events came out, protocol chatter, a kind chatflow skips, or garbage. */
export type LineOutcome = 'events' | 'control' | 'unsupported' | 'malformed';

/**
 * Receives each event a line yields. `sharedId` is the Shared Chat `source-id`: the same
 * message delivered to several channels of a shared session carries the same one.
 */
export type TwitchEmit = (event: ChatEvent | PlatformEvent, sharedId?: string) => void;

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type Data = Record<string, string | number | boolean | null>;

/** The user id Twitch uses for anonymous gifts sent as a plain `subgift`. */
const ANONYMOUS_GIFTER_ID = '274598607';
const ACTION_PREFIX = '\u0001ACTION';
const EMPTY_BADGES: Readonly<Record<string, string>> = Object.freeze({});

/** Every combination of roles, frozen once, indexed by the `BADGE_*` bit mask of tags.ts. */
const ROLE_BITS = ['broadcaster', 'mod', 'vip', 'subscriber', 'verified'] as const satisfies readonly Role[];
const ROLE_SETS: readonly (readonly Role[])[] = Array.from({ length: 1 << ROLE_BITS.length }, (_, mask) =>
  Object.freeze(ROLE_BITS.filter((_role, bit) => (mask & (1 << bit)) !== 0)),
);
const NO_ROLES = ROLE_SETS[0] as readonly Role[];

/**
 * Turns one parsed IRC line into zero or more events, handed to `emit` in order.
 *
 * - `PRIVMSG` → `chat` (roles, badges, color, code-point emote ranges, bits, reply parent,
 *   `/me`, first message, Shared Chat source room, `historical=1` as `backfill`); with bits,
 *   also a `cheer` platform event carrying the same id.
 * - `USERNOTICE` → `subscription` (sub, resub, gift upgrades), `gift` (subgift, anonsubgift,
 *   submysterygift, anonsubmysterygift) or `raid`; other notices are `unsupported`.
 * - `CLEARCHAT` → `user_timed_out` (with `ban-duration`), `user_banned`, or `chat_cleared`
 *   (no user); `CLEARMSG` → `message_deleted`; `ROOMSTATE` → `room_state` with the settings
 *   the line carries (all of them on join, the changed one afterwards).
 *
 * @param msg The line, as tmi.js's parser split it (tag values still escaped).
 * @param receivedAt Monotonic time the line arrived, copied to every event.
 * @param now Wall clock (epoch ms) for lines without `tmi-sent-ts`.
 * @param emit Receives the events.
 * @returns What the line was.
 */
export function normalizeTwitchLine(
  msg: IrcMessage,
  receivedAt: number,
  now: () => number,
  emit: TwitchEmit,
  badges: BadgeCache = new BadgeCache(),
): LineOutcome {
  switch (msg.command) {
    case 'PRIVMSG':
      return privmsg(msg, receivedAt, now, emit, badges);
    case 'USERNOTICE':
      return usernotice(msg, receivedAt, now, emit, badges);
    case 'CLEARCHAT':
      return clearchat(msg, receivedAt, now, emit);
    case 'CLEARMSG':
      return clearmsg(msg, receivedAt, now, emit);
    case 'ROOMSTATE':
      return roomstate(msg, receivedAt, now, emit);
    case 'WHISPER':
      return 'unsupported';
    case null:
      return 'malformed';
    default:
      return 'control';
  }
}

/**
 * The text inside a CTCP ACTION (`\u0001ACTION text\u0001`, `/me`), or undefined when `text`
 * is not one. An empty `\u0001ACTION\u0001` and a missing closing `\u0001` are accepted.
 */
export function actionBody(text: string): string | undefined {
  if (text.charCodeAt(0) !== 1 || !text.startsWith(ACTION_PREFIX)) return undefined;
  const after = text.charCodeAt(ACTION_PREFIX.length);
  if (!(Number.isNaN(after) || after === 32 || after === 1)) return undefined;
  const end = text.charCodeAt(text.length - 1) === 1 && text.length > ACTION_PREFIX.length ? text.length - 1 : text.length;
  return text.slice(Math.min(end, ACTION_PREFIX.length + (after === 32 ? 1 : 0)), end);
}

/** `#chan` → `chan`; undefined unless the parameter names a channel. */
function channelOf(param: string | undefined): string | undefined {
  if (param === undefined || param.length < 2 || param.charCodeAt(0) !== 35 /* # */) return undefined;
  return param.slice(1);
}

/** `nick!user@host` → `nick`. */
function nickOf(prefix: string | null): string {
  if (prefix === null) return '';
  const bang = prefix.indexOf('!');
  return bang === -1 ? prefix : prefix.slice(0, bang);
}

/**
 * `Number(raw)`, by a loop over the digits for what Twitch sends (numbers of at most 15 digits,
 * exact as doubles): a string-to-number conversion costs several times more per line.
 */
export function tagNumber(raw: string): number {
  const n = raw.length;
  if (n === 0 || n > 15) return Number(raw);
  let value = 0;
  for (let i = 0; i < n; i++) {
    const digit = raw.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(raw);
    value = value * 10 + digit;
  }
  return value;
}

/**
 * True when the tag is `1`. Reads the value as it stands: `'1'` there is `'1'` by {@link rawTag}
 * too (neither `true` nor the key's own name is), and this per-line check stays small enough
 * to be inlined where {@link rawTag}'s look-up in the line would not be.
 */
function isOne(msg: IrcMessage, key: string): boolean {
  return msg.tags[key] === '1';
}

function tsOf(msg: IrcMessage, now: () => number): number {
  const raw = rawTag(msg, 'tmi-sent-ts');
  const ts = raw ? tagNumber(raw) : Number.NaN;
  return Number.isFinite(ts) && ts > 0 ? ts : now();
}

function numberTag(msg: IrcMessage, key: string): number | undefined {
  const raw = rawTag(msg, key);
  if (!raw) return undefined;
  const value = tagNumber(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** True for `#rrggbb`. */
function isColor(value: string): boolean {
  if (value.length !== 7 || value.charCodeAt(0) !== 35 /* # */) return false;
  for (let i = 1; i < 7; i++) {
    const c = value.charCodeAt(i) | 0x20; // lower-cases letters
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The author a line's tags describe; `login` comes from the prefix or the `login` tag. The
 * login is copied: per-viewer state (throttle buckets, cooldowns, moderation) is kept by it.
 */
function authorOf(msg: IrcMessage, lineLogin: string, roomId: string | undefined, badgeCache: BadgeCache): Author {
  const login = ownString(lineLogin);
  const set = badgeCache.get(rawTag(msg, 'badges'));
  const id = rawTag(msg, 'user-id') ?? '';
  // The badges decide most roles; the tags fill in what they leave out.
  let mask = set.roles;
  if ((mask & BADGE_BROADCASTER) === 0 && id !== '' && id === roomId) mask |= BADGE_BROADCASTER;
  if ((mask & BADGE_MOD) === 0 && isOne(msg, 'mod')) mask |= BADGE_MOD;
  if ((mask & BADGE_VIP) === 0) {
    const vip = rawTag(msg, 'vip');
    if (vip !== undefined && vip !== '0' && vip !== '') mask |= BADGE_VIP;
  }
  if ((mask & BADGE_SUBSCRIBER) === 0 && isOne(msg, 'subscriber')) mask |= BADGE_SUBSCRIBER;
  let displayName = tag(msg, 'display-name') || login;
  if (displayName.charCodeAt(displayName.length - 1) === 32 || displayName.charCodeAt(0) === 32) {
    displayName = displayName.trim() || login;
  }
  const color = rawTag(msg, 'color');
  const roles = ROLE_SETS[mask] as readonly Role[];
  const { badges } = set;
  return color !== undefined && isColor(color)
    ? { id, login, displayName, roles, color, badges }
    : { id, login, displayName, roles, badges };
}

/** A stand-in id, stable for the same line, for the few lines Twitch sends without one. */
function fallbackId(kind: string, msg: IrcMessage, ts: number): string {
  return `${kind}:${rawTag(msg, 'room-id') ?? ''}:${rawTag(msg, 'user-id') ?? ''}:${ts}`;
}

/** The message's id (or a stand-in), as its own string: ids are remembered long after the line. */
function messageId(kind: string, msg: IrcMessage, ts: number): string {
  return ownString(rawTag(msg, 'id') || fallbackId(kind, msg, ts));
}

function privmsg(msg: IrcMessage, receivedAt: number, now: () => number, emit: TwitchEmit, badges: BadgeCache): LineOutcome {
  const channel = channelOf(msg.params[0]);
  let text = msg.params[1];
  if (channel === undefined || text === undefined) return 'malformed';
  const body = actionBody(text);
  const action = body !== undefined;
  if (body !== undefined) text = body;
  const ts = tsOf(msg, now);
  const roomId = rawTag(msg, 'room-id');
  const author = authorOf(msg, nickOf(msg.prefix) || (rawTag(msg, 'login') ?? ''), roomId, badges);
  const event: Writable<ChatEvent> = {
    kind: 'chat',
    id: messageId('privmsg', msg, ts),
    platform: 'twitch',
    channel,
    author,
    text,
    emotes: parseEmotes(rawTag(msg, 'emotes'), text),
    ts,
    action,
    firstMessage: isOne(msg, 'first-msg'),
    receivedAt,
  };
  const bits = numberTag(msg, 'bits');
  if (bits !== undefined && bits > 0) event.bits = bits;
  const parentId = rawTag(msg, 'reply-parent-msg-id');
  if (parentId) {
    const login = rawTag(msg, 'reply-parent-user-login');
    const body = tag(msg, 'reply-parent-msg-body');
    event.replyTo =
      login === undefined
        ? body === undefined
          ? { id: parentId }
          : { id: parentId, text: body }
        : body === undefined
          ? { id: parentId, login }
          : { id: parentId, login, text: body };
  }
  if (isOne(msg, 'historical')) event.backfill = true;
  const sourceRoom = rawTag(msg, 'source-room-id');
  if (sourceRoom && sourceRoom !== roomId) event.sourceRoom = sourceRoom;
  const sharedId = rawTag(msg, 'source-id') || undefined;
  emit(event, sharedId);
  if (event.bits !== undefined) {
    const cheer: PlatformEvent = {
      kind: 'platform',
      type: 'cheer',
      id: event.id,
      platform: 'twitch',
      channel,
      author,
      ts,
      data: { bits: event.bits, message: text },
      receivedAt,
    };
    emit(cheer, sharedId);
  }
  return 'events';
}


/** Sets `data[key]` to the tag's number when there is one. */
function putNumber(data: Data, key: string, msg: IrcMessage, tagKey: string): void {
  const value = numberTag(msg, tagKey);
  if (value !== undefined) data[key] = value;
}

/** Sets `data[key]` to the tag's unescaped text when it is not empty. */
function putText(data: Data, key: string, msg: IrcMessage, tagKey: string): void {
  const value = tag(msg, tagKey);
  if (value) data[key] = value;
}

function usernotice(msg: IrcMessage, receivedAt: number, now: () => number, emit: TwitchEmit, badges: BadgeCache): LineOutcome {
  const channel = channelOf(msg.params[0]);
  const msgId = rawTag(msg, 'msg-id');
  if (channel === undefined || !msgId) return 'malformed';
  const ts = tsOf(msg, now);
  const id = messageId(msgId, msg, ts);
  const login = (rawTag(msg, 'login') ?? '').toLowerCase();
  const text = msg.params[1];
  const data: Data = { msgId };
  let type: PlatformEventType;
  let anonymous = false;

  switch (msgId) {
    case 'sub':
    case 'resub': {
      type = 'subscription';
      putNumber(data, 'months', msg, 'msg-param-cumulative-months');
      if (rawTag(msg, 'msg-param-should-share-streak') === '1') {
        putNumber(data, 'streakMonths', msg, 'msg-param-streak-months');
      }
      subPlan(data, msg);
      const multiMonth = numberTag(msg, 'msg-param-multimonth-duration');
      if (multiMonth !== undefined && multiMonth > 1) data.multiMonthDuration = multiMonth;
      const wasGifted = rawTag(msg, 'msg-param-was-gifted');
      if (wasGifted !== undefined) data.wasGifted = wasGifted === 'true' || wasGifted === '1';
      break;
    }
    case 'giftpaidupgrade':
    case 'anongiftpaidupgrade':
    case 'primepaidupgrade':
      type = 'subscription';
      putText(data, 'senderLogin', msg, 'msg-param-sender-login');
      putText(data, 'senderName', msg, 'msg-param-sender-name');
      subPlan(data, msg);
      break;
    case 'subgift':
    case 'anonsubgift':
      type = 'gift';
      anonymous = msgId === 'anonsubgift' || rawTag(msg, 'user-id') === ANONYMOUS_GIFTER_ID;
      putText(data, 'recipientId', msg, 'msg-param-recipient-id');
      putText(data, 'recipientLogin', msg, 'msg-param-recipient-user-name');
      putText(data, 'recipientDisplayName', msg, 'msg-param-recipient-display-name');
      data.months = numberTag(msg, 'msg-param-gift-months') ?? 1;
      putNumber(data, 'recipientMonths', msg, 'msg-param-months');
      subPlan(data, msg);
      putText(data, 'originId', msg, 'msg-param-origin-id');
      putNumber(data, 'senderCount', msg, 'msg-param-sender-count');
      data.anonymous = anonymous;
      break;
    case 'submysterygift':
    case 'anonsubmysterygift':
      type = 'gift';
      anonymous = msgId === 'anonsubmysterygift' || rawTag(msg, 'user-id') === ANONYMOUS_GIFTER_ID;
      data.count = numberTag(msg, 'msg-param-mass-gift-count') ?? 1;
      subPlan(data, msg);
      putText(data, 'originId', msg, 'msg-param-origin-id');
      putNumber(data, 'senderCount', msg, 'msg-param-sender-count');
      data.anonymous = anonymous;
      break;
    case 'raid': {
      type = 'raid';
      data.viewers = numberTag(msg, 'msg-param-viewerCount') ?? 0;
      putText(data, 'login', msg, 'msg-param-login');
      putText(data, 'displayName', msg, 'msg-param-displayName');
      break;
    }
    default:
      return 'unsupported';
  }
  if (text !== undefined && text !== '') {
    const body = actionBody(text);
    data.message = body ?? text;
    if (body !== undefined) data.action = true;
  }
  const author = anonymous ? undefined : authorOf(msg, login, rawTag(msg, 'room-id'), badges);
  emit(platformEvent('twitch', type, id, channel, author, ts, data, receivedAt));
  return 'events';
}

function subPlan(data: Data, msg: IrcMessage): void {
  const plan = rawTag(msg, 'msg-param-sub-plan');
  if (!plan) return;
  data.plan = plan;
  data.prime = plan === 'Prime';
  putText(data, 'planName', msg, 'msg-param-sub-plan-name');
}

function clearchat(msg: IrcMessage, receivedAt: number, now: () => number, emit: TwitchEmit): LineOutcome {
  const channel = channelOf(msg.params[0]);
  if (channel === undefined) return 'malformed';
  const ts = tsOf(msg, now);
  const roomId = rawTag(msg, 'room-id') ?? '';
  const login = msg.params[1];
  if (!login) {
    emit(platformEvent('twitch', 'chat_cleared', `clearchat:${roomId}:${ts}`, channel, undefined, ts, {}, receivedAt));
    return 'events';
  }
  const userId = rawTag(msg, 'target-user-id') ?? '';
  const author: Author = { id: userId, login, displayName: login, roles: NO_ROLES, badges: EMPTY_BADGES };
  const data: Data = { userId, login };
  const seconds = numberTag(msg, 'ban-duration');
  if (seconds !== undefined) data.durationSeconds = seconds;
  putText(data, 'reason', msg, 'ban-reason');
  const type: PlatformEventType = seconds === undefined ? 'user_banned' : 'user_timed_out';
  emit(platformEvent('twitch', type, `clearchat:${roomId}:${userId || login}:${ts}`, channel, author, ts, data, receivedAt));
  return 'events';
}

function clearmsg(msg: IrcMessage, receivedAt: number, now: () => number, emit: TwitchEmit): LineOutcome {
  const channel = channelOf(msg.params[0]);
  const target = rawTag(msg, 'target-msg-id');
  if (channel === undefined || !target) return 'malformed';
  const raw = msg.params[1] ?? '';
  const body = actionBody(raw);
  const data: Data = { messageId: target };
  putText(data, 'login', msg, 'login');
  data.text = body ?? raw;
  data.action = body !== undefined;
  emit(platformEvent('twitch', 'message_deleted', target, channel, undefined, tsOf(msg, now), data, receivedAt));
  return 'events';
}

/** ROOMSTATE tags chatflow reports, and how: a flag (`1`) or a number. */
const ROOM_SETTINGS: readonly (readonly [tag: string, key: string, flag: boolean])[] = [
  ['emote-only', 'emoteOnly', true],
  ['followers-only', 'followersOnly', false],
  ['r9k', 'r9k', true],
  ['slow', 'slow', false],
  ['subs-only', 'subsOnly', true],
];

function roomstate(msg: IrcMessage, receivedAt: number, now: () => number, emit: TwitchEmit): LineOutcome {
  const channel = channelOf(msg.params[0]);
  if (channel === undefined) return 'malformed';
  const roomId = rawTag(msg, 'room-id') ?? '';
  const data: Data = { roomId };
  let settings = 0;
  for (const [tagKey, key, flag] of ROOM_SETTINGS) {
    const raw = rawTag(msg, tagKey);
    if (raw === undefined || raw === '') continue;
    if (flag) {
      data[key] = raw === '1';
    } else {
      const value = Number(raw);
      if (!Number.isInteger(value)) continue;
      data[key] = value;
    }
    settings += 1;
  }
  if (settings === 0) return 'control';
  const ts = now();
  emit(platformEvent('twitch', 'room_state', roomStateId(channel, ts, data), channel, undefined, ts, data, receivedAt));
  return 'events';
}

/**
 * The id of a `room_state` event: ROOMSTATE lines carry none, so it is made of the room, the
 * time and the settings, e.g. `roomstate:40286300:1700000000000:slow=5`.
 */
export function roomStateId(channel: string, ts: number, data: Readonly<Data>): string {
  let settings = '';
  for (const key in data) {
    if (key !== 'roomId') settings += `${settings === '' ? '' : ','}${key}=${String(data[key])}`;
  }
  return `roomstate:${data.roomId || channel}:${ts}:${settings}`;
}
