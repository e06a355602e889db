/**
 * IRCv3 tag helpers for the `twitch` source: unescaping, badges and emote ranges, read from
 * the raw tag strings (not from tmi.js's interpretation of them).
 */
import type { EmoteRange } from '../core/events.js';

/**
 * One IRC line as tmi.js's parser splits it: tag values are still escaped, an empty value
 * (`emotes=`) is `true`, and a key without `=` has its own name as value.
 */
export interface IrcMessage {
  readonly raw: string;
  readonly tags: Readonly<Record<string, string | true | undefined>>;
  readonly prefix: string | null;
  readonly command: string | null;
  readonly params: readonly string[];
}

/** Most emote ranges read from one line; a hostile line cannot make more objects than this. */
export const MAX_EMOTE_RANGES = 1000;

/** A tag's raw (still escaped) value: `''` when empty, `undefined` when absent. */
export function rawTag(tags: IrcMessage['tags'], key: string): string | undefined {
  const value = tags[key];
  if (value === true) return '';
  return typeof value === 'string' ? value : undefined;
}

/** A tag's value, unescaped; `undefined` when absent. */
export function tag(tags: IrcMessage['tags'], key: string): string | undefined {
  const value = rawTag(tags, key);
  return value === undefined ? undefined : unescapeTag(value);
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

/** `moderator/1,subscriber/12` → `{ moderator: '1', subscriber: '12' }`; a badge without version maps to `''`. */
export function parseBadges(raw: string | undefined): Readonly<Record<string, string>> {
  if (!raw) return EMPTY_BADGES;
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
const SURROGATE = /[\uD800-\uDFFF]/;
const RANGE = /^(\d{1,6})-(\d{1,6})$/;

/**
 * Parses the `emotes` tag (`id:s-e,s-e/id2:s-e`, inclusive code-point offsets) into ranges
 * sorted by start, each with the emote's text as `name`. Ranges that are malformed (`25:04`),
 * reversed (`25:4-0`) or past the end of `text` (Twitch sends those) are left out, so the text
 * stays plain there. Emote ids may contain `/` (`80481_/3`).
 *
 * @param raw The raw tag value.
 * @param text The message text the offsets point into (after removing a `/me` wrapper).
 */
export function parseEmotes(raw: string | undefined, text: string): readonly EmoteRange[] {
  if (!raw) return NO_EMOTES;
  // Offsets count code points; only text with astral characters needs the slow path.
  const points = SURROGATE.test(text) ? Array.from(text) : undefined;
  const length = points === undefined ? text.length : points.length;
  const emotes: EmoteRange[] = [];
  let pendingId = '';
  let seen = 0;
  for (const part of raw.split('/')) {
    const colon = part.lastIndexOf(':');
    if (colon === -1) {
      // An id containing `/`: the rest of it follows in the next part.
      pendingId += `${part}/`;
      continue;
    }
    const id = unescapeTag(pendingId + part.slice(0, colon));
    pendingId = '';
    for (const range of part.slice(colon + 1).split(',')) {
      if (++seen > MAX_EMOTE_RANGES) break;
      const match = RANGE.exec(range);
      if (!match) continue;
      const start = Number(match[1]);
      const end = Number(match[2]);
      if (start > end || end >= length) continue;
      const name = points === undefined ? text.slice(start, end + 1) : points.slice(start, end + 1).join('');
      emotes.push({ id, name, start, end });
    }
  }
  if (emotes.length === 0) return NO_EMOTES;
  if (emotes.length > 1) emotes.sort((a, b) => a.start - b.start);
  return emotes;
}
