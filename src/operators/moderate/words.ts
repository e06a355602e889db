/**
 * Banned words and phrases for `moderate`: a word-aware matcher over folded text (see
 * `foldText`), compiled once per node.
 *
 * Word-aware means a banned word matches whole words only, so `ass` never catches `class` or
 * `assassin` (no Scunthorpe problem); `*` in an entry matches any run of letters and digits
 * (`scam*` catches `scammer`, `*coin` catches `shitcoin`). To catch the ways people split and
 * stretch a word, these also count as a word of the message:
 *
 * - letters stretched: `baaaadword` catches `badword` (each letter at least as often as in the
 *   entry, so `as` never catches `ass`);
 * - pieces glued by punctuation without spaces: `bad.word`, `b-a-d-w-o-r-d`, `bad_word`;
 * - runs of single letters: `b a d w o r d` (any part of the run);
 * - two neighbouring words glued: `bad word` catches `badword` (and `sc ammer` catches
 *   `scam*`; wildcards at the start of an entry do not glue: `bit coin` is not `*coin`);
 * - a phrase written as one word: `freefollowers` catches the phrase `free followers`.
 */
import { z } from 'zod';
import { filePath } from '../../core/filePath.js';
import { foldText } from '../shared/text.js';
import { ruleFields } from './rule.js';

export const WordsRuleConfig = z
  .strictObject({
    list: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Banned words and phrases, matched on whole words of the folded text (case, accents, look-alike letters and leetspeak folded; `ass` never catches `class`). `*` matches any run of letters and digits: `scam*`, `*coin`.',
      ),
    file: filePath('read')
      .optional()
      .describe(
        'A file of more banned words, one word or phrase a line, relative to the pipeline file; empty lines and lines starting with `#` are skipped. Read once at start.',
      ),
    ...ruleFields({ action: 'delete', points: 2 }),
  })
  .refine((words) => words.list.length > 0 || words.file !== undefined, 'Give `list`, `file` or both')
  .describe('Banned words and phrases.');
export type WordsRuleConfig = z.output<typeof WordsRuleConfig>;

/** The most `*` one word of an entry may hold. */
const MAX_STARS = 3;

/** Checks an entry; a message explaining what is wrong, or undefined. */
export function entryProblem(entry: string): string | undefined {
  const words = tokenizeEntry(entry);
  if (words.length === 0) return `"${entry}" holds no letters or digits`;
  for (const word of words) {
    if (word.replaceAll('*', '') === '') return `"${entry}" has a word that is only \`*\`, which would match anything`;
    if (word.split('*').length - 1 > MAX_STARS) return `"${entry}" has a word with more than ${MAX_STARS} \`*\``;
  }
  return undefined;
}

/** Lines of a word file: trimmed, without empty lines and `#` comments. */
export function parseWordFile(content: string): string[] {
  const entries: string[] = [];
  for (const line of content.split(/\r?\n/)) {
    const entry = line.trim();
    if (entry !== '' && !entry.startsWith('#')) entries.push(entry);
  }
  return entries;
}

/** Finds banned words in folded text. */
export interface WordMatcher {
  /** The entry (as written) that `folded` contains, or undefined. */
  match(folded: string): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Tokenizing

const WORD_CHAR_NON_ASCII = /[\p{L}\p{N}\p{M}]/u;
const ASCII_WORD = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII_WORD[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) ASCII_WORD[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) ASCII_WORD[c] = 1;
const STAR = 0x2a;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x3000;
}

/** Width (1 or 2 UTF-16 units) of the word character at `i`, or 0 when it is not one. */
function wordCharAt(s: string, i: number, star: boolean): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII_WORD[c] === 1 || (star && c === STAR) ? 1 : 0;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    return WORD_CHAR_NON_ASCII.test(s.slice(i, i + 2)) ? 2 : 0;
  }
  return WORD_CHAR_NON_ASCII.test(s[i] as string) ? 1 : 0;
}

/**
 * A token buffer, refilled by each {@link tokenize} into it (so matching allocates only the
 * words). Each matcher owns one; nothing is shared between matchers or calls.
 */
interface TokenBuffer {
  /** The tokens of the last {@link tokenize}; entries past its count are stale. */
  readonly tokens: string[];
  /** Whether whitespace separated token `i` from token `i - 1`. */
  readonly spaced: boolean[];
}

function tokenBuffer(): TokenBuffer {
  return { tokens: [], spaced: [] };
}

/**
 * Splits `s` into words (letters, digits, marks; with `star`, also `*`) into `buffer`; returns
 * the count.
 */
function tokenize(s: string, star: boolean, buffer: TokenBuffer): number {
  const { tokens, spaced } = buffer;
  let n = 0;
  let space = true;
  let i = 0;
  const length = s.length;
  while (i < length) {
    let w = wordCharAt(s, i, star);
    if (w === 0) {
      if (isSpace(s.charCodeAt(i))) space = true;
      i++;
      continue;
    }
    const start = i;
    while (i < length && w > 0) {
      i += w;
      w = i < length ? wordCharAt(s, i, star) : 0;
    }
    tokens[n] = s.slice(start, i);
    spaced[n] = space;
    n++;
    space = false;
  }
  return n;
}

function tokenizeEntry(entry: string): string[] {
  const buffer = tokenBuffer();
  const n = tokenize(foldText(entry.normalize('NFKC')), true, buffer);
  return buffer.tokens.slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Word comparison

/** `s` with every run of one character squeezed to one (`baaad` → `bad`). */
function squeeze(s: string): string {
  let out = '';
  let last = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== last) out += s[i];
    last = c;
  }
  return out;
}

/**
 * The first character of `s` and the first one after it that differs, as one number (`baaad`
 * and `bad` give the same); -1 when that second character is `*` (anything may follow).
 */
function startKey(s: string): number {
  const first = s.charCodeAt(0);
  let i = 1;
  while (i < s.length && s.charCodeAt(i) === first) i++;
  const next = i < s.length ? s.charCodeAt(i) : 0;
  return next === STAR ? -1 : first * 65536 + next;
}

function hasRepeat(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) === s.charCodeAt(i - 1)) return true;
  return false;
}

/** `token` is `word` with some letters repeated more (each run at least as long as in `word`). */
function stretches(token: string, word: string): boolean {
  let i = 0;
  let j = 0;
  while (i < token.length && j < word.length) {
    const c = word.charCodeAt(j);
    if (token.charCodeAt(i) !== c) return false;
    let runWord = 0;
    while (j < word.length && word.charCodeAt(j) === c) {
      j++;
      runWord++;
    }
    let runToken = 0;
    while (i < token.length && token.charCodeAt(i) === c) {
      i++;
      runToken++;
    }
    if (runToken < runWord) return false;
  }
  return i === token.length && j === word.length;
}

/**
 * Glob match with `*` (any run) in O(pattern × text) at worst: the classic two-pointer scan
 * that backtracks only to the last star, so no input makes it blow up.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern.charCodeAt(p) !== STAR && pattern.charCodeAt(p) === text.charCodeAt(t)) {
      p++;
      t++;
    } else if (p < pattern.length && pattern.charCodeAt(p) === STAR) {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

function wordEquals(pattern: string, token: string): boolean {
  return pattern.includes('*') ? globMatch(pattern, token) : pattern === token;
}

// ---------------------------------------------------------------------------------------------
// Compiling

interface Phrase {
  readonly words: readonly string[];
  readonly entry: string;
}

/** Longest run of single letters whose parts are checked. */
const MAX_RUN = 24;
/** Longest glued candidate checked when wildcards leave the longest entry unbounded. */
const MAX_GLUED = 40;

/**
 * Compiles banned entries (words and phrases, `*` wildcards) into a {@link WordMatcher}.
 * Entries are folded like chat text, so `H3LL0` in the list is `hello`. Entries for which
 * {@link entryProblem} has something to say are skipped (the schema rejects them first).
 */
export function compileWords(entries: readonly string[]): WordMatcher {
  const buffer = tokenBuffer();
  const { tokens, spaced } = buffer;
  const exact = new Map<string, string>();
  const stretched = new Map<string, { word: string; entry: string }[]>();
  const globs: { pattern: string; first: number; literal: string; entry: string }[] = [];
  /** Every proper prefix of an exact word: two neighbours are glued only when the first is one. */
  const prefixes = new Set<string>();
  const phrasesByFirst = new Map<string, Phrase[]>();
  const phrasesGlob: Phrase[] = [];
  let minLength = Number.POSITIVE_INFINITY;
  let maxLength = 0;

  const addWord = (word: string, entry: string) => {
    if (word.includes('*')) {
      // The longest run of letters between stars: a cheap `includes` before the glob match.
      const literal = word.split('*').reduce((a, b) => (b.length > a.length ? b : a), '');
      globs.push({ pattern: word, first: word.charCodeAt(0), literal, entry });
      const lead = word.slice(0, word.indexOf('*'));
      for (let i = 1; i <= lead.length; i++) prefixes.add(lead.slice(0, i));
      minLength = Math.min(minLength, word.replaceAll('*', '').length);
      maxLength = Number.POSITIVE_INFINITY;
      return;
    }
    if (!exact.has(word)) exact.set(word, entry);
    for (let i = 1; i < word.length; i++) prefixes.add(word.slice(0, i));
    const key = squeeze(word);
    const list = stretched.get(key) ?? [];
    list.push({ word, entry });
    stretched.set(key, list);
    minLength = Math.min(minLength, word.length);
    maxLength = Math.max(maxLength, word.length);
  };

  for (const entry of entries) {
    if (entryProblem(entry) !== undefined) continue;
    const words = tokenizeEntry(entry);
    if (words.length === 1) {
      addWord(words[0] as string, entry);
      continue;
    }
    const phrase: Phrase = { words, entry };
    const first = words[0] as string;
    if (first.includes('*')) phrasesGlob.push(phrase);
    else phrasesByFirst.set(first, [...(phrasesByFirst.get(first) ?? []), phrase]);
    // The phrase written as one word.
    addWord(words.join(''), entry);
  }

  const hasGlobs = globs.length > 0;
  /** Longest glued candidate worth building (runs, neighbours). */
  const maxGlued = Math.min(maxLength, Math.max(MAX_GLUED, Number.isFinite(maxLength) ? maxLength : 0));
  const hasPhrases = phrasesByFirst.size > 0 || phrasesGlob.length > 0;

  /** The entry `word` (one word or a glued candidate) is, or undefined. */
  // What entries start with: their first character and the first one after it that differs
  // (the same for a word and its stretched forms). A word starting otherwise can only be caught
  // by a wildcard entry starting with `*`, so most words of a message cost two set lookups.
  const starts = new Set<number>();
  const startsAny = new Set<number>();
  const addStart = (word: string) => {
    const key = startKey(word);
    if (key < 0) startsAny.add(word.charCodeAt(0));
    else starts.add(key);
  };
  for (const word of exact.keys()) addStart(word);
  for (const glob of globs) if (glob.first !== STAR) addStart(glob.pattern);
  const phraseStarts = new Set<number>();
  for (const first of phrasesByFirst.keys()) phraseStarts.add(startKey(first));
  const leadingStars = globs.filter((glob) => glob.first === STAR);

  const checkWord = (word: string): string | undefined => {
    if (!starts.has(startKey(word)) && !startsAny.has(word.charCodeAt(0))) {
      for (const glob of leadingStars) {
        if (word.includes(glob.literal) && globMatch(glob.pattern, word)) return glob.entry;
      }
      return undefined;
    }
    const hit = exact.get(word);
    if (hit !== undefined) return hit;
    if (word.length < minLength) return undefined;
    if (hasRepeat(word)) {
      const candidates = stretched.get(squeeze(word));
      if (candidates) for (const c of candidates) if (stretches(word, c.word)) return c.entry;
    }
    if (hasGlobs) {
      const first = word.charCodeAt(0);
      for (const glob of globs) {
        if (glob.first !== STAR && glob.first !== first) continue;
        if (word.includes(glob.literal) && globMatch(glob.pattern, word)) return glob.entry;
      }
    }
    return undefined;
  };

  const phraseAt = (phrase: Phrase, i: number, n: number): boolean => {
    const words = phrase.words;
    if (i + words.length > n) return false;
    for (let k = 0; k < words.length; k++) if (!wordEquals(words[k] as string, tokens[i + k] as string)) return false;
    return true;
  };

  const checkRun = (from: number, to: number): string | undefined => {
    // Every part (two letters or more) of a run of single letters `from..to` (exclusive).
    const end = Math.min(to, from + MAX_RUN);
    for (let a = from; a < end - 1; a++) {
      let joined = tokens[a] as string;
      for (let b = a + 1; b < end; b++) {
        joined += tokens[b] as string;
        if (joined.length > maxGlued + 8) break;
        const hit = checkWord(joined);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  };

  return {
    match(folded: string): string | undefined {
      const n = tokenize(folded, false, buffer);
      let hit: string | undefined;
      let runStart = -1;
      let chunkStart = 0;
      for (let i = 0; i < n; i++) {
        const token = tokens[i] as string;
        hit = checkWord(token);
        if (hit !== undefined) return hit;
        if (hasPhrases) {
          const phrases = phraseStarts.has(startKey(token)) ? phrasesByFirst.get(token) : undefined;
          if (phrases) for (const p of phrases) if (phraseAt(p, i, n)) return p.entry;
          for (const p of phrasesGlob) if (phraseAt(p, i, n)) return p.entry;
        }
        // Two neighbouring words glued, when the first one starts an entry.
        if (i > 0) {
          const previous = tokens[i - 1] as string;
          if (previous.length + token.length <= maxGlued + 8 && prefixes.has(previous)) {
            hit = checkWord(previous + token);
            if (hit !== undefined) return hit;
          }
        }
        // Pieces glued by punctuation (no whitespace between them).
        if (spaced[i] === true) chunkStart = i;
        if (i + 1 === n || spaced[i + 1] === true) {
          if (i - chunkStart >= 2) {
            let joined = '';
            for (let k = chunkStart; k <= i; k++) joined += tokens[k] as string;
            hit = checkWord(joined);
            if (hit !== undefined) return hit;
          }
        }
        // Runs of single letters.
        if (token.length === 1) {
          if (runStart < 0) runStart = i;
        } else if (runStart >= 0) {
          if (i - runStart >= 2) hit = checkRun(runStart, i);
          if (hit !== undefined) return hit;
          runStart = -1;
        }
      }
      if (runStart >= 0 && n - runStart >= 2) return checkRun(runStart, n);
      return undefined;
    },
  };
}
