import { defineOperator } from '../../core/component.js';
import { classify } from './classify.js';
import { ClassifyConfig, classifyPorts } from './config.js';

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

export { ClassifyConfig, classifyPorts } from './config.js';
export { classify, type ClassifyDeps } from './classify.js';
export { CATEGORIES, type Category } from './classifier.js';
export { CLASSIFY_LANGUAGES, type ClassifyLanguage } from './lexicon.js';
