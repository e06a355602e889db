/**
 * A phrase table for `classify`: phrases of one or more folded words, found by their first
 * word, longest first, each carrying a value.
 */
import { foldWords } from './fold.js';

export interface PhraseMatch<T> {
  readonly value: T;
  /** Number of words the phrase spans. */
  readonly length: number;
}

/** Phrases by their first word, each list longest first. */
export class PhraseTable<T> {
  readonly #byFirst = new Map<string, Array<{ readonly words: readonly string[]; value: T }>>();

  constructor(private readonly normalizeWord: (word: string) => string = (w) => w) {}

  /** The value of `phrase` (folded here), created with `init` when the table lacks it. */
  entry(phrase: string, init: () => T): T | undefined {
    const words = foldWords(phrase)
      .split(/\s+/u)
      .filter((w) => w.length > 0)
      .map(this.normalizeWord);
    const head = words[0];
    if (head === undefined) return undefined;
    let entries = this.#byFirst.get(head);
    if (!entries) {
      entries = [];
      this.#byFirst.set(head, entries);
    }
    const key = words.join(' ');
    const existing = entries.find((e) => e.words.join(' ') === key);
    if (existing) return existing.value;
    const value = init();
    entries.push({ words, value });
    entries.sort((x, y) => y.words.length - x.words.length);
    return value;
  }

  /** Whether some phrase starts with the (already normalized) word `word`. */
  starts(word: string): boolean {
    return this.#byFirst.has(word);
  }

  /**
   * Every phrase that `words` holds at `at`, longest first. When the whole first word starts
   * none, it is tried again cut at its apostrophe (`what's` → `what`, `how's` → `how`).
   */
  matches(words: readonly string[], at: number): PhraseMatch<T>[] {
    const head = words[at];
    if (head === undefined) return [];
    const found = this.#all(words, at, head);
    if (found.length > 0) return found;
    const apostrophe = head.indexOf("'");
    return apostrophe > 0 ? this.#all(words, at, head.slice(0, apostrophe)) : found;
  }

  #all(words: readonly string[], at: number, head: string): PhraseMatch<T>[] {
    const entries = this.#byFirst.get(head);
    const found: PhraseMatch<T>[] = [];
    if (!entries) return found;
    for (const entry of entries) {
      const n = entry.words.length;
      let ok = at + n <= words.length;
      for (let k = 1; ok && k < n; k++) ok = words[at + k] === entry.words[k];
      if (ok) found.push({ value: entry.value, length: n });
    }
    return found;
  }
}
