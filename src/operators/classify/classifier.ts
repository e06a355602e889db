/**
 * The classifier behind `classify`: compiles a config into one function from a chat event to
 * its category, trying categories in priority order.
 */
import type { ChatEvent } from '../../core/events.js';
import { compileGreetingDetector } from './greeting.js';
import type { ClassifyLanguage, WordsByLanguage } from './lexicon.js';
import { hasLink } from './links.js';
import { compileQuestionDetector } from './question.js';
import { isCommand, isEmoteOnly, type Words, withoutEmotes, wordsOf } from './text.js';

/**
 * The categories, highest priority first: a message fitting several gets the first. `other`
 * is what fits none (or none of those computed).
 */
export const CATEGORIES = ['command', 'link', 'question', 'greeting', 'emote_only', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
/** The categories a config may choose to compute (`other` always exists). */
export const COMPUTED_CATEGORIES = ['command', 'link', 'question', 'greeting', 'emote_only'] as const;
export type ComputedCategory = (typeof COMPUTED_CATEGORIES)[number];

/** What {@link compileClassifier} needs, in the operator's terms. */
export interface ClassifierOptions {
  readonly categories: readonly ComputedCategory[];
  readonly prefixes: readonly string[];
  readonly languages: readonly ClassifyLanguage[];
  readonly extraQuestionOpeners?: WordsByLanguage;
  readonly extraGreetings?: WordsByLanguage;
}

/**
 * Compiles the classifier: word lists and tables are built once; a message costs a prefix
 * check, one link regex, one pass over its words, and a few map lookups per leading word.
 */
export function compileClassifier(options: ClassifierOptions): (chat: ChatEvent) => Category {
  const wanted = new Set(options.categories);
  const command = wanted.has('command');
  const link = wanted.has('link');
  const question = wanted.has('question');
  const greeting = wanted.has('greeting');
  const emoteOnly = wanted.has('emote_only');
  const greetings = compileGreetingDetector(options.languages, options.extraGreetings);
  const isQuestion = compileQuestionDetector(options.languages, options.extraQuestionOpeners, greetings.skippable);
  const { prefixes } = options;

  return (chat) => {
    const text = chat.text;
    if (command && isCommand(text, prefixes)) return 'command';
    if (link && hasLink(text)) return 'link';
    const rest = withoutEmotes(text, chat.emotes);
    if (question || greeting) {
      const words: Words = wordsOf(rest);
      if (question && isQuestion(words)) return 'question';
      if (greeting && greetings.isGreeting(words)) return 'greeting';
    }
    if (emoteOnly && isEmoteOnly(text, rest)) return 'emote_only';
    return 'other';
  };
}
