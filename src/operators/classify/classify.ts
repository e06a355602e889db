/**
 * `classify`: tags each chat message with a category (`question`, `command`, `greeting`,
 * `emote_only`, `link` or `other`) and sends it to that category's port.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { defineOperator, type Routed } from '../../core/component.js';
import type { ChatEvent, ChatflowEvent } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { CATEGORIES, type Category, COMPUTED_CATEGORIES, compileClassifier } from './classifier.js';
import { CLASSIFY_LANGUAGES, type ClassifyLanguage } from './lexicon.js';

export { CATEGORIES, type Category } from './classifier.js';
export { CLASSIFY_LANGUAGES, type ClassifyLanguage } from './lexicon.js';

const PREFIX = /^\S{1,8}$/;
const LANGUAGE_NAMES: Readonly<Record<ClassifyLanguage, string>> = {
  en: 'English',
  ru: 'Russian',
  es: 'Spanish',
  de: 'German',
  pt: 'Portuguese',
};

const wordsPerLanguage = (what: string) =>
  z
    .strictObject(
      Object.fromEntries(
        CLASSIFY_LANGUAGES.map((language) => [
          language,
          z
            .array(z.string().trim().min(1))
            .optional()
            .describe(`${LANGUAGE_NAMES[language]} ${what}, one word or phrase each.`),
        ]),
      ) as Record<ClassifyLanguage, z.ZodOptional<z.ZodArray<z.ZodString>>>,
    )
    .default({});

export const ClassifyConfig = z
  .strictObject({
    categories: z
      .array(z.enum(COMPUTED_CATEGORIES))
      .min(1)
      .default([...COMPUTED_CATEGORIES])
      .describe(
        'Categories to compute, each also an output port; `other` (what fits none) always is. A message fitting several gets the first in the order `command`, `link`, `question`, `greeting`, `emote_only`, whatever order is written here. Leave one out to skip its work: its messages fall to the next category that fits.',
      ),
    prefix: z
      .union([
        z.string().regex(PREFIX, 'A prefix is 1 to 8 characters without spaces'),
        z.array(z.string().regex(PREFIX, 'A prefix is 1 to 8 characters without spaces')).min(1),
      ])
      .default('!')
      .describe(
        'What a command starts with (a list for several), as in `parse_command`: a message is a `command` when it starts with a prefix directly followed by a letter or digit (`!cv`, not `!!!` or `! hi`).',
      ),
    languages: z
      .array(z.enum(CLASSIFY_LANGUAGES))
      .min(1)
      .default([...CLASSIFY_LANGUAGES])
      .describe(
        'Languages whose question words and greetings are used: `en`, `ru`, `es`, `de`, `pt`. Question marks count in every language. Leaving out languages your chat does not use avoids their collisions: German `was` opens a question, so with `de` on, `was streaming earlier` is one.',
      ),
    extra_question_openers: wordsPerLanguage('words or phrases that open a question')
      .describe(
        'More question openers per language, added to the built-in ones: `{ en: ["any tips"], de: ["weiß wer"] }`. A message starting with one (after fillers and greetings) is a question.',
      ),
    extra_greetings: wordsPerLanguage('greetings')
      .describe('More greetings per language, added to the built-in ones: `{ en: ["o7"], pt: ["salve salve"] }`.'),
  })
  .superRefine((config, ctx) => {
    for (const key of ['extra_question_openers', 'extra_greetings'] as const) {
      for (const language of Object.keys(config[key]) as ClassifyLanguage[]) {
        if (config.languages.includes(language)) continue;
        ctx.addIssue({
          code: 'custom',
          path: [key, language],
          message: `Words for "${language}", which \`languages\` leaves out; add it there or remove these`,
        });
      }
    }
  })
  .describe('What kind of chat message each one is.');
export type ClassifyConfig = z.output<typeof ClassifyConfig>;

/** The output ports of a config: its computed categories in priority order, then `other`. */
export function classifyPorts(config: ClassifyConfig): Category[] {
  return CATEGORIES.filter((c) => c === 'other' || config.categories.includes(c));
}

/** Collaborators of {@link classify}. */
export interface ClassifyDeps {
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
}

/** A chat event under construction. */
type Draft = { -readonly [K in keyof ChatEvent]: ChatEvent[K] };

/**
 * Sets `category` on each chat event (a new object; the input is not changed) and sends it to
 * the port of that category. Other events (commands, platform events…) go to the default
 * port only, unchanged.
 *
 * ```text
 * a: "!cv cutoff 0.7"   b: "what song is this"   c: "hi chat"   d: "Kappa" (an emote)
 * e: "what a play!"     f: "see clips.twitch.tv/x"
 * source:   -a-b-c-d-e-f-|
 * result:   -A-Q-G-E-O-L-|    A: command, Q: question, G: greeting, E: emote_only,
 *                             O: other, L: link (each with `category` set)
 * ```
 *
 * Priority, when a message fits several: `command` > `link` > `question` > `greeting` >
 * `emote_only` > `other`. Questions and greetings are found in English, Russian, Spanish,
 * German and Portuguese (see docs/classification.md for the rules and their edge cases).
 * Detection reads `text` (normalized when `normalize` ran before) and folds it itself: case
 * and diacritics only, as normalize's `folded` maps Cyrillic to Latin look-alikes. Emotes
 * (from `emotes` ranges), @mentions and links are left out of the words. The classifier is
 * stateless, so subscriptions share nothing. A malformed chat event (no text) is dropped and
 * counted as `error`.
 *
 * @param config The parsed {@link ClassifyConfig}.
 * @param deps Drop counter.
 * @see route, to send messages elsewhere by other fields.
 * @see parse_command, which turns the `command` port's messages into typed commands.
 */
export function classify(config: ClassifyConfig, deps: ClassifyDeps = {}): OperatorFunction<ChatflowEvent, Routed> {
  const drops = deps.drops ?? NO_DROPS;
  const classifier = compileClassifier({
    categories: config.categories,
    prefixes: typeof config.prefix === 'string' ? [config.prefix] : config.prefix,
    languages: config.languages,
    extraQuestionOpeners: config.extra_question_openers,
    extraGreetings: config.extra_greetings,
  });

  return (source) =>
    new Observable<Routed>((subscriber) =>
      source.subscribe({
        next: (event) => {
          if (event.kind !== 'chat') {
            subscriber.next({ port: '', event });
            return;
          }
          let category: Category;
          try {
            category = classifier(event);
          } catch {
            // Only a malformed event (no text, emotes not a list) gets here.
            drops.drop('error', false);
            return;
          }
          let out: ChatEvent = event;
          if (event.category !== category) {
            // Object.assign, then a plain store: faster than a spread on the hot path (see normalize).
            const draft: Draft = Object.assign({}, event);
            draft.category = category;
            out = draft;
          }
          subscriber.next({ port: category, event: out });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}

export const classifyComponent = defineOperator({
  type: 'classify',
  summary: 'Tags each chat message as a question, command, greeting, emote_only, link or other, one port each.',
  description:
    'Each category is an output port (`kind.question`), and the node alone carries every message. The event gets a `category` field. Questions (marks like `?`, `¿`, `？`, or openers such as `how`, `почему`, `dónde`, `warum`, `o que`) and greetings are recognised in English, Russian, Spanish, German and Portuguese; exclamations that look like questions (`what a play`, `qué bueno`) are not questions. Priority: command > link > question > greeting > emote_only > other. Events that are not chat go to the default output only. See docs/classification.md.',
  config: ClassifyConfig,
  ports: classifyPorts,
  mirrorToDefault: true,
  examples: [
    'categories: [question, greeting]\nlanguages: [en, es]',
    [
      'prefix: ["!", "?"]',
      'extra_question_openers: { en: ["any tips"], de: ["weiß wer"] }',
      'extra_greetings: { en: ["o7"] }',
    ].join('\n'),
  ],
  create: (config, ctx) => classify(config, { drops: ctx.metrics }),
});
