/**
 * How `parse_command` reads chat: the argument types, scanning chat text for words without
 * regular expressions, and parsing one word into a typed arg value. This is the hot path; the
 * command table that drives it is compiled in `parseCommandTable.ts`.
 */
import type { CommandArg, Role } from '../../core/events.js';
import { parseDuration } from '../../core/units.js';
import { parseNote } from '../shared/music.js';

/** The argument types a command can declare. */
export const ARG_TYPES = [
  'string',
  'number',
  'integer',
  'enum',
  'percent',
  'note',
  'duration',
  'user',
  'rest',
  'boolean',
] as const;
export type ArgType = (typeof ARG_TYPES)[number];

/** One compiled argument: what {@link parseArg} checks a word against. */
export interface CompiledArg {
  readonly name: string;
  readonly type: ArgType;
  readonly optional: boolean;
  /** Inclusive bounds in the type's own units (percent in %, duration in ms). */
  readonly min: number;
  readonly max: number;
  /** `enum`: lower-case word → the word as configured. */
  readonly values: ReadonlyMap<string, string> | undefined;
  /** `<value 0–1>`, for usage lines. */
  readonly usage: string;
  /** The reply when a value does not parse: `value takes a number 0–1 (usage: …)`. */
  complaint: string;
}

// ---------------------------------------------------------------------------------------------
// Scanning chat text without regular expressions.

/** Length of the whitespace (or invisible filler) at `i`: 0, 1, or 2 for a surrogate pair. */
export function spaceLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c > 32 && c < 0x7f) return 0;
  if (c === 32 || (c >= 9 && c <= 13)) return 1;
  if (c < 0xa0) return 0;
  if (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200b) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x2800 ||
    c === 0x3000 ||
    c === 0xfeff
  ) {
    return 1;
  }
  // Tag characters U+E0000–U+E007F (7TV and Chatterino append U+E0000 to repeat a message).
  if (c === 0xdb40) {
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdc7f) return 2;
  }
  return 0;
}

export function skipSpaces(text: string, pos: number, end: number): number {
  let i = pos;
  while (i < end) {
    const n = spaceLength(text, i);
    if (n === 0) break;
    i += n;
  }
  return i;
}

export function tokenEnd(text: string, pos: number, end: number): number {
  let i = pos;
  while (i < end && spaceLength(text, i) === 0) i++;
  return i;
}

/** The end of `text[pos, end)` without trailing whitespace. */
export function trimEnd(text: string, pos: number, end: number): number {
  let e = end;
  while (e > pos) {
    if (e - 2 >= pos && spaceLength(text, e - 2) === 2) e -= 2;
    else if (spaceLength(text, e - 1) === 1) e -= 1;
    else break;
  }
  return e;
}

export function matchPrefix(prefixes: readonly string[], text: string, pos: number): number {
  for (const prefix of prefixes) {
    if (prefix.length === 1 ? text.charCodeAt(pos) === prefix.charCodeAt(0) : text.startsWith(prefix, pos)) {
      return prefix.length;
    }
  }
  return 0;
}

/** The entry a command word names: an exact match, else its lower-case form. */
export function lookup<T>(map: ReadonlyMap<string, T>, word: string): T | undefined {
  return map.get(word) ?? map.get(word.toLowerCase());
}

/** Whether any of the author's roles is allowed. */
export function permitted(allowed: ReadonlySet<Role>, roles: readonly Role[]): boolean {
  for (const role of roles) if (allowed.has(role)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Argument values.

/** The value of `word` as `arg`, or undefined when it does not parse or is out of range. */
export function parseArg(arg: CompiledArg, word: string): CommandArg | undefined {
  let value: number | undefined;
  switch (arg.type) {
    case 'string':
      return word;
    case 'number':
      value = parseNumber(word);
      break;
    case 'integer':
      value = parseInteger(word);
      break;
    case 'percent': {
      value = parseNumber(word.endsWith('%') ? word.slice(0, -1) : word);
      if (value === undefined || value < arg.min || value > arg.max) return undefined;
      return value / 100;
    }
    case 'note':
      value = parseNoteArg(word);
      break;
    case 'duration':
      value = word.length <= 24 ? parseDuration(word.toLowerCase()) : undefined;
      break;
    case 'enum':
      return word.length <= 64 ? arg.values?.get(word.toLowerCase()) : undefined;
    case 'user':
      return parseUser(word);
    case 'boolean':
      return parseBoolean(word);
    case 'rest':
      return word;
  }
  if (value === undefined || value < arg.min || value > arg.max) return undefined;
  return value;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * A decimal number as people type it: `0.7`, `-3`, `.5`, `1e3`, `0,7` (decimal comma),
 * `−2` (Unicode minus). No hex, no `Infinity`, no spaces. Undefined otherwise.
 */
export function parseNumber(word: string): number | undefined {
  const len = word.length;
  if (len === 0 || len > 64) return undefined;
  let i = 0;
  let rewrite = false;
  let c = word.charCodeAt(0);
  if (c === 43 || c === 45) i = 1;
  else if (c === 0x2212) {
    i = 1;
    rewrite = true;
  }
  let digits = 0;
  let separator = false;
  for (; i < len; i++) {
    c = word.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if ((c === 46 || c === 44) && !separator) {
      separator = true;
      if (c === 44) rewrite = true;
    } else break;
  }
  if (digits === 0) return undefined;
  if (i < len) {
    if (c !== 101 && c !== 69) return undefined;
    i++;
    c = word.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    const start = i;
    while (i < len && isDigit(word.charCodeAt(i))) i++;
    if (i === start || i !== len) return undefined;
  }
  const value = Number(rewrite ? word.replace(',', '.').replace('\u2212', '-') : word);
  return Number.isFinite(value) ? value : undefined;
}

/** A whole number: optional sign and digits only. */
export function parseInteger(word: string): number | undefined {
  const len = word.length;
  if (len === 0 || len > 17) return undefined;
  let i = word.charCodeAt(0) === 45 || word.charCodeAt(0) === 43 ? 1 : 0;
  if (i === len) return undefined;
  for (; i < len; i++) if (!isDigit(word.charCodeAt(i))) return undefined;
  const value = Number(word);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A note name (`C4`, `F#3`, `Bb2`) or a MIDI note number (`60`). */
export function parseNoteArg(word: string): number | undefined {
  return isDigit(word.charCodeAt(0)) ? parseInteger(word) : parseNote(word);
}

/** `@Name` or `Name` → `name`; letters, digits, `_`, `.` and `-`, at most 64. */
function parseUser(word: string): string | undefined {
  const start = word.charCodeAt(0) === 64 ? 1 : 0;
  const len = word.length;
  if (len === start || len - start > 64) return undefined;
  for (let i = start; i < len; i++) {
    const c = word.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 46 || c === 45;
    if (!ok) return undefined;
  }
  return (start ? word.slice(1) : word).toLowerCase();
}

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['on', true],
  ['yes', true],
  ['true', true],
  ['1', true],
  ['off', false],
  ['no', false],
  ['false', false],
  ['0', false],
]);

function parseBoolean(word: string): boolean | undefined {
  return word.length <= 5 ? BOOLEANS.get(word.toLowerCase()) : undefined;
}
