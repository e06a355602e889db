/**
 * Text work for `normalize`, also usable by other operators that match text: cleaning (NFKC,
 * invisible characters, zalgo, whitespace), emote-range remapping, and folding for matching
 * (case, diacritics, confusables, leetspeak).
 *
 * Everything is built once at module load or per node (regular expressions, maps); the per-call
 * work is a few regex passes on the slow path and one regex test on the fast path.
 */
import type { EmoteRange } from '../../core/events.js';

/**
 * Characters `strip_invisible` removes: C0/C1 controls other than whitespace, soft hyphen,
 * combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels,
 * Mongolian vowel separator, zero-width space/non-joiner/joiner, LRM/RLM, bidi embeddings,
 * overrides and isolates, word joiner and invisible operators, deprecated format characters,
 * variation selectors, BOM, interlinear annotation marks, shorthand format controls, musical
 * formatting controls and tag characters.
 */
const INVISIBLE_CLASS =
  '[\\u0000-\\u0008\\u000E-\\u001F\\u007F-\\u0084\\u0086-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160' +
  '\\u17B4\\u17B5\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\u3164' +
  '\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF9-\\uFFFB\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}' +
  '\\u{E0000}-\\u{E007F}\\u{E0100}-\\u{E01EF}]';
const INVISIBLE = new RegExp(`${INVISIBLE_CLASS}+`, 'gu');

/** Whitespace runs: every Unicode space, NEL, and the Braille blank used as an "empty" letter. */
const WHITESPACE_RUN = /[\s\u0085\u2800]+/gu;

/** Anything the fast path cannot vouch for: non-printable-ASCII, a double, leading or trailing space. */
const NOT_CLEAN_ASCII = /[^\x20-\x7e]| {2}|^ | $/;
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;
const DOUBLE_SPACE = / {2,}/g;

/** Nonspacing marks, removed by folding (diacritics, after NFKD). */
const NONSPACING_MARKS = /\p{Mn}+/gu;

/** How {@link cleanText} treats text; build one with {@link cleanOptions}. */
export interface CleanOptions {
  readonly stripInvisible: boolean;
  /** Matches combining marks beyond the allowed number after a base; undefined keeps all. */
  readonly zalgo: RegExp | undefined;
  /** Replacement for {@link zalgo} matches: the marks kept. */
  readonly zalgoKeep: string;
  readonly collapseWhitespace: boolean;
  /** Longest text kept, in code points. */
  readonly maxLength: number;
}

export function cleanOptions(settings: {
  stripInvisible: boolean;
  maxCombining: number | null;
  collapseWhitespace: boolean;
  maxLength: number;
}): CleanOptions {
  const n = settings.maxCombining;
  return {
    stripInvisible: settings.stripInvisible,
    zalgo: n === null ? undefined : n === 0 ? /\p{M}+/gu : new RegExp(`(\\p{M}{${n}})\\p{M}+`, 'gu'),
    zalgoKeep: n === 0 ? '' : '$1',
    collapseWhitespace: settings.collapseWhitespace,
    maxLength: settings.maxLength,
  };
}

/** True when cleaning cannot change `text` (printable ASCII, single inner spaces, short enough). */
export function isCleanAscii(text: string, maxLength: number): boolean {
  return text.length <= maxLength && !NOT_CLEAN_ASCII.test(text);
}

/** Cleans one piece of text without trimming or truncating it. */
function cleanPiece(text: string, options: CleanOptions): string {
  if (!NOT_PRINTABLE_ASCII.test(text)) {
    return options.collapseWhitespace ? text.replace(DOUBLE_SPACE, ' ') : text;
  }
  let s = options.stripInvisible ? text.replace(INVISIBLE, '') : text;
  s = s.normalize('NFKC');
  if (options.zalgo) s = s.replace(options.zalgo, options.zalgoKeep);
  if (options.collapseWhitespace) s = s.replace(WHITESPACE_RUN, ' ');
  return s;
}

/** Number of code points in `text`. */
export function codePointLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = text.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n -= 1;
    }
  }
  return n;
}

/** UTF-16 index of code point `n` of `text` (its length when `n` is past the end). */
function utf16Index(text: string, n: number, from = 0, fromCodePoint = 0): number {
  let i = from;
  for (let cp = fromCodePoint; cp < n && i < text.length; cp++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/** Cuts `text` to at most `max` code points. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, utf16Index(text, max));
}

/** True when `emote` is a well-formed range inside `length` code points. */
function fits(emote: EmoteRange, length: number): boolean {
  const { start, end } = emote;
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end < length;
}

/**
 * The emote ranges that fit `length` code points, sorted by start, without overlaps; `emotes`
 * itself when all of them already are. Platforms send broken ranges (past the end, reversed):
 * they are left out, and the text stays plain text there.
 */
export function validEmotes(emotes: readonly EmoteRange[], length: number): readonly EmoteRange[] {
  let lastEnd = -1;
  let clean = true;
  // An indexed loop: for…of here allocated an iterator result per emote, per message.
  for (let i = 0; i < emotes.length; i++) {
    const emote = emotes[i] as EmoteRange;
    if (!fits(emote, length) || emote.start <= lastEnd) {
      clean = false;
      break;
    }
    lastEnd = emote.end;
  }
  if (clean) return emotes;
  const kept: EmoteRange[] = [];
  lastEnd = -1;
  for (const emote of emotes.filter((e) => fits(e, length)).sort((x, y) => x.start - y.start)) {
    if (emote.start <= lastEnd) continue;
    kept.push(emote);
    lastEnd = emote.end;
  }
  return kept;
}

/** A cleaned text and its emote ranges, remapped to the cleaned text. */
export interface Cleaned {
  readonly text: string;
  readonly emotes: readonly EmoteRange[];
}

/**
 * Cleans `text`: removes invisible characters, applies NFKC, caps combining marks per base
 * character, collapses whitespace runs to one space and trims, then cuts to `maxLength` code
 * points.
 *
 * Emote ranges (code points, `end` inclusive) stay correct: the text between emotes is cleaned
 * piece by piece and each emote's own text is kept as it is, so its new offsets are the lengths
 * of what precedes it. Emotes cut by truncation are left out. `emotes` must come from
 * {@link validEmotes}.
 */
export function cleanText(text: string, emotes: readonly EmoteRange[], options: CleanOptions): Cleaned {
  if (emotes.length === 0) {
    const cleaned = cleanPiece(text, options);
    return { text: cut(options.collapseWhitespace ? cleaned.trim() : cleaned, options), emotes };
  }

  let cleaned = '';
  let length = 0;
  let index16 = 0;
  let index = 0;
  const remapped: EmoteRange[] = [];
  for (const emote of emotes) {
    const start16 = utf16Index(text, emote.start, index16, index);
    const end16 = utf16Index(text, emote.end + 1, start16, emote.start);
    let before = cleanPiece(text.slice(index16, start16), options);
    if (index16 === 0 && options.collapseWhitespace) before = before.trimStart();
    const ownLength = emote.end - emote.start + 1;
    length += codePointLength(before);
    remapped.push({ ...emote, start: length, end: length + ownLength - 1 });
    length += ownLength;
    cleaned += before + text.slice(start16, end16);
    index16 = end16;
    index = emote.end + 1;
  }
  let after = cleanPiece(text.slice(index16), options);
  if (options.collapseWhitespace) after = after.trimEnd();
  cleaned += after;
  length += codePointLength(after);

  if (length <= options.maxLength) return { text: cleaned, emotes: remapped };
  cleaned = cut(cleaned, options);
  length = codePointLength(cleaned);
  return { text: cleaned, emotes: remapped.filter((e) => e.end < length) };
}

/** Cuts to `maxLength` code points (and trims the end again, with whitespace collapsing). */
function cut(text: string, options: CleanOptions): string {
  if (text.length <= options.maxLength) return text;
  const s = truncate(text, options.maxLength);
  return options.collapseWhitespace ? s.trimEnd() : s;
}

// ---------------------------------------------------------------------------------------------
// Folding

function addPairs(map: Map<string, string>, pairs: string): void {
  for (const pair of pairs.split(' ')) {
    const chars = Array.from(pair);
    const from = chars[0];
    if (from !== undefined && chars.length > 1) map.set(from, chars.slice(1).join(''));
  }
}

function addRange(map: Map<string, string>, first: number, ascii: string): void {
  Array.from(ascii).forEach((letter, i) => {
    map.set(String.fromCodePoint(first + i), letter);
  });
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** Look-alikes NFKD does not map, to lower-case ASCII. */
const CONFUSABLES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  // Cyrillic.
  addPairs(map, 'Аa Вb Еe Ѕs Іi Јj Кk Мm Нh Оo Рp Сc Тt Хx Уy Үy Ԛq Ԝw Ӏl Ԁd');
  addPairs(map, 'аa вb еe кk мm нh оo пn рp гr сc тt уy хx іi ѕs јj ԁd һh ԛq ԝw ӏl үy');
  // Greek.
  addPairs(map, 'Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx');
  addPairs(map, 'αa οo ρp ιi κk νv υu τt χx εe ωw ηn γy ϲc ϳj');
  // Armenian.
  addPairs(map, 'ոn օo սu ցg հh զq');
  // Latin letters NFKD keeps.
  addPairs(map, 'ɡg ıi ȷj ɑa ɩi ßss ẞss æae Æae œoe Œoe øo Øo đd Đd łl Łl ħh Ħh ŧt Ŧt ƀb ɨi ʉu ƶz');
  // Latin small capitals.
  addPairs(map, 'ᴀa ʙb ᴄc ᴅd ᴇe ꜰf ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv ᴡw ʏy ᴢz');
  // Regional indicators, negative circled and negative squared letters.
  addRange(map, 0x1f1e6, ALPHABET);
  addRange(map, 0x1f150, ALPHABET);
  addRange(map, 0x1f170, ALPHABET);
  return map;
})();

const CONFUSABLE = new RegExp(`[${[...CONFUSABLES.keys()].join('')}]`, 'gu');
const replaceConfusable = (c: string): string => CONFUSABLES.get(c) ?? c;

/** Leetspeak digits and symbols, by char code. `!` is handled apart (only between letters). */
const LEET: readonly (string | undefined)[] = (() => {
  const table: (string | undefined)[] = [];
  const pairs = ['0o', '1i', '3e', '4a', '5s', '7t', '@a', '$s'];
  for (const [from = '', to] of pairs) table[from.charCodeAt(0)] = to;
  return table;
})();
const ANY_LEET = /[013457@$!]/;
const BANG = 0x21;
const AT = 0x40;

function isAsciiLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

/**
 * Folds leetspeak in words that also hold a letter, so `h3ll0` becomes `hello` while `0.7`,
 * `2024` and `$5` stay as they are. `@` at the start of a word is a mention and stays; `!`
 * becomes `i` only between letters (or other leet characters).
 */
function foldLeet(s: string): string {
  if (!ANY_LEET.test(s)) return s;
  let out = '';
  let copied = 0;
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && s.charCodeAt(i) <= 0x20) i++;
    const start = i;
    let letter = false;
    let leet = false;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c <= 0x20) break;
      if (isAsciiLower(c)) letter = true;
      else if (c === BANG || LEET[c] !== undefined) leet = true;
    }
    if (!(letter && leet)) continue;
    for (let j = start; j < i; j++) {
      const c = s.charCodeAt(j);
      let to: string | undefined;
      if (c === BANG) {
        if (j > start && j + 1 < i && isLetterish(s.charCodeAt(j - 1)) && isLetterish(s.charCodeAt(j + 1))) to = 'i';
      } else if (c !== AT || j > start) {
        to = LEET[c];
      }
      if (to !== undefined) {
        out += s.slice(copied, j) + to;
        copied = j + 1;
      }
    }
  }
  return copied === 0 ? s : out + s.slice(copied);
}

function isLetterish(c: number): boolean {
  return isAsciiLower(c) || (c !== AT && LEET[c] !== undefined);
}

/**
 * The form of `text` for matching only: lower case, without diacritics, with compatibility
 * forms (NFKD: full-width, mathematical, circled letters) and look-alike letters (Cyrillic,
 * Greek, Armenian, small capitals, regional indicators…) mapped to ASCII, and leetspeak folded
 * inside words. Never show it or parse arguments from it: `0.7` may survive, `n00b7` does not.
 */
export function foldText(text: string): string {
  if (!NOT_PRINTABLE_ASCII.test(text)) return foldLeet(text.toLowerCase());
  const s = text.normalize('NFKD').replace(NONSPACING_MARKS, '').replace(CONFUSABLE, replaceConfusable);
  return foldLeet(s.toLowerCase());
}
