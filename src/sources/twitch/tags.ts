/**
 * IRCv3 tag helpers for the `twitch` source: unescaping, badges and emote ranges, read from
 * the raw tag strings (not from tmi.js's interpretation of them).
 */
import type { EmoteRange } from '../../core/events.js';

/**
 * A line's tags by key (client-only `+` and vendor prefixes kept), values still escaped, in the
 * form tmi.js's parser gives them, so that one parse of a line serves tmi.js and the source: a
 * key with `=` and nothing after it is `true`, and tmi.js gives a key without `=` its own name
 * as value (`parseTags` makes it `true`). Read them with {@link rawTag} or {@link tag}, which
 * give what IRCv3 message-tags says (`''` for both).
 */
export type IrcTags = Readonly<Record<string, string | true>>;

/** One IRC line, split by `parseIrcLine` (line.ts) or by tmi.js's parser. */
export interface IrcMessage {
  readonly raw: string;
  readonly tags: IrcTags;
  readonly prefix: string | null;
  readonly command: string | null;
  readonly params: readonly string[];
}

/** Most emote ranges read from one line; a hostile line cannot make more objects than this. */
export const MAX_EMOTE_RANGES = 1000;

/**
 * A copy of `value` that keeps nothing else alive. A tag value is a substring of its line, and
 * the line of the WebSocket message it came in; V8 keeps a substring of 13 characters or more
 * as a view into its parent, so a message id remembered for minutes (`dedupe` holds up to
 * 100 000, this source's recent ids 10 000) would keep the whole message with it: a copy costs
 * about 100 bytes, a pinned message hundreds or thousands. Concatenating, then slicing, makes V8
 * flatten the string into a new one and slice that instead.
 */
export function ownString(value: string): string {
  // Shorter ones are never views: V8 copies a substring below 13 characters (logins mostly are).
  return value.length < SLICED_MIN_LENGTH ? value : ` ${value}`.slice(1);
}

/** V8's `SlicedString::kMinLength`: a substring this long or longer may be a view into its parent. */
const SLICED_MIN_LENGTH = 13;

/**
 * A tag's raw (still escaped) value: `''` when empty or without `=`, `undefined` when absent.
 * Reads either parser's tags the same ({@link IrcTags}); only a value equal to its own key,
 * which tmi.js also gives a key without `=`, is looked up in the line.
 */
export function rawTag(message: IrcMessage, key: string): string | undefined {
  const value = message.tags[key];
  // Not a string: `true`, absent, or something a plain object inherits (`constructor`).
  if (typeof value !== 'string') return value === true ? '' : undefined;
  return value === key ? valueNamedLikeKey(message.raw, key) : value;
}

/** A tag's value, unescaped; `undefined` when absent. */
export function tag(message: IrcMessage, key: string): string | undefined {
  const value = rawTag(message, key);
  return value === undefined ? undefined : unescapeTag(value);
}

const SEMICOLON = 59;
const EQUALS = 61;

/**
 * The value of the last `key` tag of `raw` when the parser gave its own name: `key` for
 * `key=key`, `''` for a bare `key`. A tag starts after the leading `@` or a `;` (values
 * cannot hold one: it is escaped as `\:`).
 */
function valueNamedLikeKey(raw: string, key: string): string {
  let end = raw.indexOf(' ');
  if (end === -1) end = raw.length;
  let from = end - key.length;
  while (from >= 1) {
    const at = raw.lastIndexOf(key, from);
    if (at < 1) break;
    const after = at + key.length;
    if ((at === 1 || raw.charCodeAt(at - 1) === SEMICOLON) && after <= end) {
      const next = after === end ? SEMICOLON : raw.charCodeAt(after);
      if (next === EQUALS) return key;
      if (next === SEMICOLON) return '';
    }
    from = at - 1;
  }
  return key;
}

/**
 * Unescapes an IRCv3 tag value: `\s` space, `\:` `;`, `\\` `\`, `\r` CR, `\n` LF, a backslash
 * before any other character is dropped, and a trailing lone backslash is dropped.
 */
export function unescapeTag(value: string): string {
  if (value.indexOf('\\') === -1) return value;
  let out = '';
  let from = 0;
  for (let i = value.indexOf('\\'); i !== -1; i = value.indexOf('\\', from)) {
    out += value.slice(from, i);
    const next = value.charCodeAt(i + 1);
    switch (next) {
      case 115 /* s */:
        out += ' ';
        break;
      case 58 /* : */:
        out += ';';
        break;
      case 92 /* \ */:
        out += '\\';
        break;
      case 114 /* r */:
        out += '\r';
        break;
      case 110 /* n */:
        out += '\n';
        break;
      default:
        // `\` + another character is that character; a trailing `\` is dropped (NaN).
        if (!Number.isNaN(next)) out += value.charAt(i + 1);
    }
    from = i + 2;
  }
  return out + value.slice(from);
}

const EMPTY_BADGES: Readonly<Record<string, string>> = Object.freeze({});

/** Role bits a badge set implies (the order of `ROLE_BITS` in normalize.ts). */
export const BADGE_BROADCASTER = 1;
export const BADGE_MOD = 2;
export const BADGE_VIP = 4;
export const BADGE_SUBSCRIBER = 8;
export const BADGE_VERIFIED = 16;

/** A parsed `badges` tag and the roles its badges imply. */
export interface BadgeSet {
  readonly badges: Readonly<Record<string, string>>;
  /** `BADGE_*` bits. */
  readonly roles: number;
}

const NO_BADGES: BadgeSet = Object.freeze({ badges: EMPTY_BADGES, roles: 0 });
const BADGE_CACHE_SIZE = 2048;

/**
 * Parsed badge sets by raw tag: chatters keep the same badges, so most lines hit. One per node
 * (in its {@link TwitchNodeState}), never shared through the module.
 */
export class BadgeCache {
  readonly #sets = new Map<string, BadgeSet>();

  constructor(readonly capacity: number = BADGE_CACHE_SIZE) {}

  get size(): number {
    return this.#sets.size;
  }

  /** {@link parseBadges} plus the roles the badges imply (broadcaster, moderator or lead moderator, VIP, subscriber or founder, partner). */
  get(raw: string | undefined): BadgeSet {
    if (!raw) return NO_BADGES;
    let set = this.#sets.get(raw);
    if (set === undefined) {
      set = readBadgeSet(raw);
      if (this.#sets.size >= this.capacity) this.#sets.clear();
      this.#sets.set(raw, set);
    }
    return set;
  }
}

/**
 * `moderator/1,subscriber/12` → `{ moderator: '1', subscriber: '12' }`; a badge without
 * version maps to `''`. The result is frozen and shared between lines with the same tag.
 */
export function parseBadges(raw: string | undefined, cache: BadgeCache = new BadgeCache()): Readonly<Record<string, string>> {
  return cache.get(raw).badges;
}

function readBadgeSet(raw: string): BadgeSet {
  const badges = Object.freeze(readBadges(raw));
  let roles = 0;
  if (badges.broadcaster !== undefined) roles |= BADGE_BROADCASTER;
  if (badges.moderator !== undefined || badges.lead_moderator !== undefined) roles |= BADGE_MOD;
  if (badges.vip !== undefined) roles |= BADGE_VIP;
  if (badges.subscriber !== undefined || badges.founder !== undefined) roles |= BADGE_SUBSCRIBER;
  if (badges.partner !== undefined) roles |= BADGE_VERIFIED;
  return Object.freeze({ badges, roles });
}

function readBadges(raw: string): Record<string, string> {
  const badges: Record<string, string> = {};
  let from = 0;
  while (from <= raw.length) {
    let end = raw.indexOf(',', from);
    if (end === -1) end = raw.length;
    if (end > from) {
      const slash = raw.indexOf('/', from);
      const hasVersion = slash !== -1 && slash < end;
      const name = raw.slice(from, hasVersion ? slash : end);
      if (name !== '' && name !== '__proto__') badges[name] = hasVersion ? unescapeTag(raw.slice(slash + 1, end)) : '';
    }
    from = end + 1;
  }
  return badges;
}

const NO_EMOTES: readonly EmoteRange[] = Object.freeze([]);

/**
 * Where each code point of `text` starts, in UTF-16 units, with `text.length` last; undefined
 * when every code point is one unit (no surrogates), the common case. A lone surrogate is one
 * code point, as string iteration counts it.
 */
function codePointOffsets(text: string): number[] | undefined {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) & 0xf800) !== 0xd800) i++;
  if (i === text.length) return undefined;
  const offsets: number[] = [];
  for (let unit = 0; unit < i; unit++) offsets.push(unit);
  while (i < text.length) {
    offsets.push(i);
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    i += c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  offsets.push(text.length);
  return offsets;
}
/** Longest number accepted in a range; Twitch's messages are at most 500 characters. */
const MAX_DIGITS = 7;

/**
 * Parses the `emotes` tag (`id:s-e,s-e/id2:s-e`, inclusive code-point offsets) into ranges
 * sorted by start, each with the emote's text as `name`. Ranges that are malformed (`25:04`),
 * reversed (`25:4-0`) or past the end of `text` (Twitch sends those) are left out, so the text
 * stays plain there. Emote ids may contain `/` (`80481_/3`): an id runs to the next `:`.
 *
 * @param raw The raw tag value.
 * @param text The message text the offsets point into (after removing a `/me` wrapper).
 */
export function parseEmotes(raw: string | undefined, text: string): readonly EmoteRange[] {
  if (!raw) return NO_EMOTES;
  // Offsets count code points; only text with astral characters needs the UTF-16 offsets.
  let units: number[] | undefined;
  let length = -1;
  let emotes: EmoteRange[] | undefined;
  let sorted = true;
  let lastStart = -1;
  let seen = 0;
  const n = raw.length;
  let at = 0;
  while (at < n && seen < MAX_EMOTE_RANGES) {
    const colon = raw.indexOf(':', at);
    if (colon === -1) break;
    const id = unescapeTag(raw.slice(at, colon));
    at = colon + 1;
    // Ranges `s-e` separated by `,`, up to `/` (the next emote) or the end.
    for (;;) {
      seen += 1;
      let start = 0;
      let end = 0;
      let digits = 0;
      let c = raw.charCodeAt(at);
      while (c >= 48 && c <= 57 && digits < MAX_DIGITS) {
        start = start * 10 + (c - 48);
        digits += 1;
        c = raw.charCodeAt(++at);
      }
      let valid = digits > 0 && c === 45; /* - */
      if (valid) {
        digits = 0;
        c = raw.charCodeAt(++at);
        while (c >= 48 && c <= 57 && digits < MAX_DIGITS) {
          end = end * 10 + (c - 48);
          digits += 1;
          c = raw.charCodeAt(++at);
        }
        valid = digits > 0 && (c === 44 /* , */ || c === 47 /* / */ || Number.isNaN(c));
      }
      if (!valid) {
        // Skip the rest of this range.
        while (at < n && c !== 44 && c !== 47) c = raw.charCodeAt(++at);
      } else if (start <= end) {
        if (length < 0) {
          units = codePointOffsets(text);
          length = units === undefined ? text.length : units.length - 1;
        }
        if (end < length && id !== '') {
          const name = units === undefined ? text.slice(start, end + 1) : text.slice(units[start], units[end + 1]);
          if (emotes === undefined) emotes = [];
          emotes.push({ id, name, start, end });
          if (start < lastStart) sorted = false;
          lastStart = start;
        }
      }
      if (c === 44 && seen < MAX_EMOTE_RANGES) {
        at += 1;
        continue;
      }
      if (c === 47) at += 1;
      break;
    }
  }
  if (emotes === undefined) return NO_EMOTES;
  if (!sorted) emotes.sort((a, b) => a.start - b.start);
  return emotes;
}
