import { z } from 'zod';
import { CATEGORIES, type Category, COMPUTED_CATEGORIES } from './classifier.js';
import { CLASSIFY_LANGUAGES, type ClassifyLanguage } from './lexicon.js';

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
