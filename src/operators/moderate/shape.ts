/**
 * The shape rules of `moderate`: caps ratio, symbol density, zalgo density, emote count and
 * message length. Each measure is one pass over the text with no allocation on ASCII text.
 */
import { z } from 'zod';
import { ruleFields } from './rule.js';

export const CapsRuleConfig = z
  .strictObject({
    max_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.7)
      .describe('Most upper-case letters allowed, as a share of all cased letters (0.7: 70 %).'),
    min_letters: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('Messages with fewer cased letters are never caught (`OK`, `LUL`, `GG WP`).'),
    ...ruleFields({ action: 'flag', points: 1 }),
  })
  .describe('Too many capitals.');
export type CapsRuleConfig = z.output<typeof CapsRuleConfig>;

export const SymbolsRuleConfig = z
  .strictObject({
    max_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Most symbols and punctuation allowed, as a share of the characters that are not spaces. Emoji are not symbols here (emote spam is `emotes`).',
      ),
    min_length: z
      .number()
      .int()
      .min(1)
      .default(12)
      .describe('Messages with fewer non-space characters are never caught (`???`, `:)`, `!!!`).'),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('ASCII art, Braille art and symbol spam.');
export type SymbolsRuleConfig = z.output<typeof SymbolsRuleConfig>;

export const ZalgoRuleConfig = z
  .strictObject({
    max_marks_per_char: z
      .number()
      .min(0)
      .default(1)
      .describe(
        'Most combining marks allowed per base character, on average over the message as received (before `normalize` removed them). Accents, Vietnamese, Thai and Hindi stay well under 1.',
      ),
    max_stack: z
      .number()
      .int()
      .min(1)
      .default(4)
      .describe('Most combining marks allowed on one base character.'),
    min_marks: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Messages with fewer combining marks are never caught.'),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('Zalgo text (stacked combining marks).');
export type ZalgoRuleConfig = z.output<typeof ZalgoRuleConfig>;

export const EmotesRuleConfig = z
  .strictObject({
    max: z.number().int().min(0).default(10).describe('Most platform emotes allowed in one message.'),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('Emote spam.');
export type EmotesRuleConfig = z.output<typeof EmotesRuleConfig>;

export const LengthRuleConfig = z
  .strictObject({
    max: z
      .number()
      .int()
      .min(1)
      .default(400)
      .describe('Most code points allowed, counted on the message as received (before `normalize` cut it).'),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('Walls of text.');
export type LengthRuleConfig = z.output<typeof LengthRuleConfig>;

const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;
const SYMBOL = /[\p{P}\p{S}]/u;
const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}/u;

/** Per printable ASCII char code: 1 upper-case letter, 2 lower-case letter, 4 symbol or punctuation. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) {
  if (c >= 0x41 && c <= 0x5a) ASCII_CLASS[c] = 1;
  else if (c >= 0x61 && c <= 0x7a) ASCII_CLASS[c] = 2;
  else if (!(c >= 0x30 && c <= 0x39)) ASCII_CLASS[c] = 4;
}

/** What {@link measureShape} counts in a text. */
export interface Shape {
  readonly upper: number;
  readonly cased: number;
  readonly symbols: number;
  readonly visible: number;
}

/**
 * Counts, in one pass over `text`: upper-case and cased letters, symbols and punctuation (emoji
 * are not symbols here), and characters that are not spaces.
 */
export function measureShape(text: string): Shape {
  let upper = 0;
  let cased = 0;
  let symbols = 0;
  let visible = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (c <= 0x20) continue;
      visible++;
      const k = ASCII_CLASS[c] as number;
      if (k === 1) {
        upper++;
        cased++;
      } else if (k === 2) cased++;
      else if (k === 4) symbols++;
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) continue; // low half of a pair: counted with the high half
    if (c === 0x3000 || c === 0xa0 || (c >= 0xfe00 && c <= 0xfe0f) || c === 0x200d) continue;
    visible++;
    const ch = c >= 0xd800 && c <= 0xdbff ? text.slice(i, i + 2) : (text[i] as string);
    if (UPPER.test(ch)) {
      upper++;
      cased++;
    } else if (LOWER.test(ch)) {
      cased++;
    } else if (SYMBOL.test(ch) && !EMOJI.test(ch)) {
      symbols++;
    }
  }
  return { upper, cased, symbols, visible };
}

/** True when `shape` has more than `maxRatio` capitals among at least `minLetters` cased letters. */
export function tooManyCapsIn(shape: Shape, maxRatio: number, minLetters: number): boolean {
  return shape.cased >= minLetters && shape.upper > maxRatio * shape.cased;
}

/** True when more than `maxRatio` of `shape`'s non-space characters are symbols. */
export function tooManySymbolsIn(shape: Shape, maxRatio: number, minLength: number): boolean {
  return shape.visible >= minLength && shape.symbols > maxRatio * shape.visible;
}

const MARK = /\p{M}/u;

/**
 * True when `original` (as received, marks not yet removed) carries more than `maxPerChar`
 * combining marks per base character on average, or more than `maxStack` on one, with at
 * least `minMarks` marks in all.
 */
export function isZalgo(original: string, maxPerChar: number, maxStack: number, minMarks: number): boolean {
  if (!MARK.test(original)) return false;
  let marks = 0;
  let bases = 0;
  let stack = 0;
  let tallest = 0;
  for (let i = 0; i < original.length; i++) {
    const c = original.charCodeAt(i);
    if (c < 0x300) {
      if (c > 0x20) bases++;
      stack = 0;
      continue;
    }
    const ch = c >= 0xd800 && c <= 0xdbff ? original.slice(i, i + 2) : (original[i] as string);
    if (ch.length === 2) i++;
    if (MARK.test(ch)) {
      marks++;
      stack++;
      if (stack > tallest) tallest = stack;
    } else {
      bases++;
      stack = 0;
    }
  }
  if (marks < minMarks) return false;
  return tallest > maxStack || marks > maxPerChar * Math.max(1, bases);
}
