/**
 * Question detection for `classify`, in English, Russian, Spanish, German and Portuguese.
 *
 * A message is a question when, with emotes, @mentions and links left out, it has words and:
 * 1. holds a question mark (`?`, `¿`, `？`, `؟`), or
 * 2. does not end with `!` (nor open with `¡`), and, after skipping leading fillers,
 *    greetings and addressees (`chat`, `so`, `hi everyone`, `ну`, `oye`, `und`), it opens with
 *    - an interrogative (`how`, `почему`, `dónde`, `warum`, `o que`), unless the words there
 *      make a known exclamation or rhetorical phrase (`what a play`, `как круто`, `qué bueno`,
 *      `wie geil`, `que legal`, `who cares`) or a clause (`when you`, `como siempre`);
 *    - an auxiliary verb followed by a subject (`is it`, `can you`, `kannst du`, `gibt es`);
 *    - a word followed by the particle `ли` (`есть ли`, `будет ли`);
 *    - or is a whole message that asks back (`and you`, `а ты`, `y tú`, `und du`, `e você`);
 *    and is not a whole message that is rhetorical (`so what`, `why not`, `warum nicht`).
 *
 * Without a question mark, yes/no questions in Russian, Spanish and Portuguese (word order
 * does not mark them) are not found; that is the price of few false positives.
 */
import { type ClassifyLanguage, LEXICONS, type WordsByLanguage } from './lexicon.js';
import { PhraseTable } from './phrases.js';
import { foldWords } from './fold.js';
import type { Words } from './text.js';

/** Most leading fillers, greetings and addressees skipped before giving up. */
const MAX_SKIPS = 4;

interface QuestionEntry {
  opener: boolean;
  notQuestion: boolean;
  rhetorical: boolean;
  reciprocal: boolean;
  filler: boolean;
  /** Subjects after which this word is an auxiliary opening a question (union over languages). */
  subjects: Set<string> | undefined;
}

/** Returns how many words at `at` a caller-known phrase (greeting, addressee) spans; 0: none. */
export type SkipPhrase = (words: readonly string[], at: number) => number;

/**
 * Compiles the question word lists of `languages`, plus `extra` openers per language, into a
 * predicate over a message's {@link Words}. `skip` adds phrases skipped before an opener.
 */
export function compileQuestionDetector(
  languages: readonly ClassifyLanguage[],
  extra: WordsByLanguage = {},
  skip: SkipPhrase = () => 0,
): (words: Words) => boolean {
  const table = new PhraseTable<QuestionEntry>();
  const entry = (phrase: string): QuestionEntry | undefined =>
    table.entry(phrase, () => ({
      opener: false,
      notQuestion: false,
      rhetorical: false,
      reciprocal: false,
      filler: false,
      subjects: undefined,
    }));
  const particles = new Set<string>();

  for (const language of languages) {
    const lexicon = LEXICONS[language];
    const subjectWords = new Set(lexicon.subjects.map(foldWords));
    for (const phrase of [...lexicon.openers, ...(extra[language] ?? [])]) {
      const e = entry(phrase);
      if (e) e.opener = true;
    }
    for (const phrase of lexicon.notQuestions) {
      const e = entry(phrase);
      if (e) e.notQuestion = true;
    }
    for (const phrase of lexicon.rhetoricals) {
      const e = entry(phrase);
      if (e) e.rhetorical = true;
    }
    for (const phrase of lexicon.reciprocals) {
      const e = entry(phrase);
      if (e) e.reciprocal = true;
    }
    for (const phrase of lexicon.fillers) {
      const e = entry(phrase);
      if (e) e.filler = true;
    }
    for (const phrase of lexicon.auxiliaries) {
      const e = entry(phrase);
      if (!e) continue;
      e.subjects ??= new Set();
      for (const s of subjectWords) e.subjects.add(s);
    }
    for (const p of lexicon.particles) particles.add(foldWords(p));
  }

  return ({ words, questionMark, exclaimed }: Words): boolean => {
    if (words.length === 0) return false;
    if (questionMark) return true;
    if (exclaimed) return false;
    let at = 0;
    for (let skips = 0; skips <= MAX_SKIPS && at < words.length; skips++) {
      const next = words[at + 1];
      if (next !== undefined && particles.has(next)) return true;
      let advance = skip(words, at);
      for (const { value, length } of table.matches(words, at)) {
        const whole = at + length === words.length;
        // A phrase both skippable and "not a question" (`what's up`, a greeting) is skipped.
        if (value.notQuestion && (value.filler || advance >= length)) {
          advance = Math.max(advance, length);
          break;
        }
        if (value.notQuestion || (value.rhetorical && whole)) return false;
        if (value.opener) return true;
        if (value.reciprocal && whole) return true;
        if (value.subjects) {
          const subject = words[at + length];
          if (subject !== undefined && value.subjects.has(subject)) return true;
        }
        if (value.filler) advance = Math.max(advance, length);
      }
      if (advance === 0) return false;
      at += advance;
    }
    return false;
  };
}
