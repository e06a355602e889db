/**
 * Greeting detection for `classify`: a message that opens with a greeting (`hi`, `привет`,
 * `buenas tardes`, `moin`, `e aí`) and says little else.
 */
import { type ClassifyLanguage, LEXICONS, type WordsByLanguage } from './lexicon.js';
import { PhraseTable } from './phrases.js';
import type { Words } from './text.js';

/** Most words a greeting may carry besides greetings and addressees (`hello from brazil`). */
export const MAX_GREETING_EXTRA_WORDS = 2;

interface GreetingEntry {
  greeting: boolean;
  addressee: boolean;
}

/** Letters repeated for emphasis count once: `hiiii` is `hi`, `приветтт` is `привет`. */
export function collapseRepeats(word: string): string {
  let i = 1;
  while (i < word.length && word.charCodeAt(i) !== word.charCodeAt(i - 1)) i++;
  if (i >= word.length) return word;
  return word.replace(/(.)\1+/gu, '$1');
}

/** A compiled greeting detector. */
export interface GreetingDetector {
  /** True when the message is a greeting. */
  readonly isGreeting: (words: Words) => boolean;
  /**
   * How many words at `at` are a greeting or an addressee (`hi`, `good morning`, `chat`,
   * `a todos`), 0 when none: question detection skips them (`hi chat, how are you`).
   */
  readonly skippable: (words: readonly string[], at: number) => number;
}

/**
 * Compiles the greetings and addressees of `languages`, plus `extra` greetings per language.
 * A message is a greeting when, with emotes, mentions and links left out, it starts with
 * addressees (at most two) and a greeting, and after it and any more greetings and addressees
 * holds at most {@link MAX_GREETING_EXTRA_WORDS} words.
 */
export function compileGreetingDetector(
  languages: readonly ClassifyLanguage[],
  extra: WordsByLanguage = {},
): GreetingDetector {
  const table = new PhraseTable<GreetingEntry>(collapseRepeats);
  const add = (phrase: string, kind: keyof GreetingEntry): void => {
    const entry = table.entry(phrase, () => ({ greeting: false, addressee: false }));
    if (entry) entry[kind] = true;
  };
  for (const language of languages) {
    for (const phrase of LEXICONS[language].greetings) add(phrase, 'greeting');
    for (const phrase of extra[language] ?? []) add(phrase, 'greeting');
    for (const phrase of LEXICONS[language].addressees) add(phrase, 'addressee');
  }

  /** The longest greeting (or, with `addressee`, addressee) at `at`; 0 when none. */
  const lengthAt = (collapsed: readonly string[], at: number, kind: keyof GreetingEntry): number => {
    for (const { value, length } of table.matches(collapsed, at)) if (value[kind]) return length;
    return 0;
  };

  const isGreeting = ({ words }: Words): boolean => {
    if (words.length === 0) return false;
    // Most messages start with a word that begins no greeting or addressee: done.
    if (!table.starts(collapseRepeats(words[0] as string))) return false;
    const collapsed = words.map(collapseRepeats);
    let at = 0;
    for (let n = 0; n < 2; n++) {
      const len = lengthAt(collapsed, at, 'addressee');
      if (len === 0) break;
      at += len;
    }
    const greeting = lengthAt(collapsed, at, 'greeting');
    if (greeting === 0) return false;
    at += greeting;
    for (let len = 0; at < collapsed.length; at += len) {
      len = Math.max(lengthAt(collapsed, at, 'greeting'), lengthAt(collapsed, at, 'addressee'));
      if (len === 0) break;
    }
    return collapsed.length - at <= MAX_GREETING_EXTRA_WORDS;
  };

  const skippable = (words: readonly string[], at: number): number => {
    const word = words[at];
    if (word === undefined || !table.starts(collapseRepeats(word))) return 0;
    const collapsed = words.slice(at, at + 4).map(collapseRepeats);
    return Math.max(lengthAt(collapsed, 0, 'greeting'), lengthAt(collapsed, 0, 'addressee'));
  };

  return { isGreeting, skippable };
}
