/**
 * Text helpers of `classify`: commands, emote-only messages, and the words of a message with
 * emotes, mentions and links taken out, folded for matching against the word lists.
 */
import type { EmoteRange } from '../../core/events.js';
import { foldWords } from './fold.js';
import { hasLink } from './links.js';

/** Question marks: ASCII, Spanish opening, full-width, Arabic, reversed. */
const QUESTION_MARK = /[?¿？؟⸮]/;
/** Leading and trailing characters that are not letters or digits. */
const EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
/** Trailing emoji, symbols and joiners, skipped when looking for a final `!`. */
const TRAILING_SYMBOLS = /[\p{S}\p{M}\p{Cf}]+$/u;
const WHITESPACE = /\s+/u;
/**
 * Emoji and the characters that glue them (ZWJ, variation selector, skin tones, keycaps,
 * regional-indicator flags, tag sequences), and whitespace.
 */
const EMOJI_OR_SPACE =
  /[0-9#*]\ufe0f?\u20e3|\u200d|\ufe0f|[\p{Extended_Pictographic}\p{Emoji_Modifier}\u{1f1e6}-\u{1f1ff}\u{e0020}-\u{e007f}\s]/gu;
const HAS_EMOJI = /\p{Extended_Pictographic}|[\u{1f1e6}-\u{1f1ff}]|\u20e3/u;

/** True when `text` starts (after spaces) with one of `prefixes` and then a letter or digit. */
export function isCommand(text: string, prefixes: readonly string[]): boolean {
  const start = text.length - text.trimStart().length;
  for (const prefix of prefixes) {
    if (!text.startsWith(prefix, start)) continue;
    const next = text.codePointAt(start + prefix.length);
    if (next !== undefined && /[\p{L}\p{N}]/u.test(String.fromCodePoint(next))) return true;
  }
  return false;
}

/**
 * `text` with every emote range (code points, `end` inclusive) replaced by one space. Ranges
 * outside the text are ignored.
 */
export function withoutEmotes(text: string, emotes: readonly EmoteRange[]): string {
  if (emotes.length === 0) return text;
  let out = '';
  let index = 0;
  for (const char of text) {
    let inEmote = false;
    for (const emote of emotes) {
      if (index >= emote.start && index <= emote.end) {
        inEmote = true;
        break;
      }
    }
    if (!inEmote) out += char;
    else if (out.length === 0 || out.charCodeAt(out.length - 1) !== 0x20) out += ' ';
    index++;
  }
  return out;
}

/**
 * True when a message is only emotes and emoji: `rest` (the text without its emotes) holds
 * nothing but emoji and whitespace, and the message had at least one emote or emoji.
 */
export function isEmoteOnly(text: string, rest: string): boolean {
  const hadEmotes = rest !== text;
  if (!hadEmotes && !HAS_EMOJI.test(rest)) return false;
  return rest.replace(EMOJI_OR_SPACE, '').length === 0;
}

/** The parts of a message question and greeting detection look at. */
export interface Words {
  /** Folded words, without emotes, @mentions, links and edge punctuation, in order. */
  readonly words: readonly string[];
  /** A question mark outside links and emotes (only counts when there are words). */
  readonly questionMark: boolean;
  /** The message ends with `!` (emoji after it aside) or starts with `¡`. */
  readonly exclaimed: boolean;
}

/** True for ASCII letters and digits. */
function isAsciiAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a);
}

/** True when `token` may hold a link: only then is the link finder asked. */
function mayBeLink(token: string): boolean {
  return token.includes('.') || token.includes('://');
}

/** Splits a message (emotes already taken out) into the {@link Words} detection reads. */
export function wordsOf(rest: string): Words {
  const tokens = foldWords(rest).split(WHITESPACE);
  const marked = QUESTION_MARK.test(rest) || rest.includes('？');
  const words: string[] = [];
  let questionMark = false;
  let first = '';
  let lastToken = -1;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.length === 0 || token.charCodeAt(0) === 0x40 /* @ */ || (mayBeLink(token) && hasLink(token))) {
      tokens[i] = '';
      continue;
    }
    if (first === '') first = token;
    lastToken = i;
    if (marked && !questionMark && QUESTION_MARK.test(token)) questionMark = true;
    const word =
      isAsciiAlnum(token.charCodeAt(0)) && isAsciiAlnum(token.charCodeAt(token.length - 1))
        ? token
        : token.replace(EDGES, '');
    if (word.length > 0) words.push(word);
  }
  // The last token that is more than emoji or symbols decides whether the message exclaims.
  let last = '';
  for (let i = lastToken; i >= 0 && last === ''; i--) {
    const token = tokens[i] as string;
    if (token.length > 0) last = isAsciiAlnum(token.charCodeAt(token.length - 1)) ? token : token.replace(TRAILING_SYMBOLS, '');
  }
  const exclaimed = first.startsWith('¡') || last.endsWith('!') || last.endsWith('！');
  return { words, questionMark: questionMark && words.length > 0, exclaimed };
}
