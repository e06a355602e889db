import { z } from 'zod';
import { NukeConfig } from './commands.js';
import { EscalationConfig } from './escalation.js';
import { FirstTimeConfig, FloodConfig } from './flood.js';
import { linksField } from './links.js';
import { RegexRuleConfig } from './regex.js';
import { CopypastaRuleConfig, RepetitionRuleConfig } from './repeat.js';
import { CapsRuleConfig, EmotesRuleConfig, LengthRuleConfig, SymbolsRuleConfig, ZalgoRuleConfig } from './shape.js';
import { entryProblem, WordsRuleConfig } from './words.js';

export const ModerateConfig = z
  .strictObject({
    shadow: z
      .boolean()
      .default(false)
      .describe(
        'Shadow mode: decide and count as usual, but let every message through on `clean`. Verdicts still go to `flagged`, as `allow` with the reasons followed by `shadow` and `would_<verdict>`, so nothing acts on them while you tune the rules.',
      ),
    on_flag: z
      .enum(['hold', 'pass'])
      .default('hold')
      .describe(
        'What a message whose verdict is `flag` does besides its verdict on `flagged`: `hold` keeps it off `clean`, `pass` lets it through on `clean` too.',
      ),
    command_prefix: z
      .string()
      .regex(/^\S{1,8}$/, 'A prefix is 1 to 8 characters without spaces')
      .default('!')
      .describe('What moderator commands (`!permit`, `!nuke`) start with.'),
    words: WordsRuleConfig.optional().describe('Banned words and phrases (off when left out).'),
    regex: z
      .array(RegexRuleConfig)
      .default([])
      .describe('Regular-expression rules, each with its own `name` (its reason), action and points.'),
    regex_max_input: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .default(500)
      .describe('Regex rules only ever see the first this many characters of a message, which bounds what a pattern can cost.'),
    links: linksField(),
    caps: CapsRuleConfig.optional().describe('Too many capitals (off when left out; `caps: {}` turns it on with defaults).'),
    symbols: SymbolsRuleConfig.optional().describe('Symbol and ASCII-art spam (off when left out).'),
    zalgo: ZalgoRuleConfig.optional().describe('Zalgo text (off when left out).'),
    emotes: EmotesRuleConfig.optional().describe('Emote spam (off when left out).'),
    length: LengthRuleConfig.optional().describe('Walls of text (off when left out).'),
    repetition: RepetitionRuleConfig.optional().describe('One user repeating themselves (off when left out).'),
    copypasta: CopypastaRuleConfig.optional().describe('Many users sending the same long text (off when left out).'),
    first_time: FirstTimeConfig.optional().describe('Stricter limits for first-time chatters (off when left out).'),
    flood: FloodConfig.optional().describe('Strict mode during a spike of first-time chatters (off when left out).'),
    escalation: EscalationConfig.optional().describe('Points that decay, and the totals that escalate verdicts (off when left out).'),
    nuke: NukeConfig.optional().describe('The `!nuke` moderator command (off when left out).'),
    max_users: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe(
        'Most authors per platform whose state (points, recent messages, first-seen) is kept; beyond it the least recently active are forgotten a generation at a time.',
      ),
  })
  .superRefine((config, ctx) => {
    config.words?.list.forEach((entry, i) => {
      const problem = entryProblem(entry);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['words', 'list', i], message: problem });
    });
    if (config.nuke && config.links && config.nuke.command === config.links.permit.command) {
      ctx.addIssue({ code: 'custom', path: ['nuke', 'command'], message: '`nuke.command` must differ from `links.permit.command`' });
    }
  })
  .describe('Chat moderation rules, escalation, flood protection and moderator commands.');
export type ModerateConfig = z.output<typeof ModerateConfig>;

/** The output ports of `moderate`. */
export const MODERATE_PORTS = {
  /** Chat that passed, unchanged (every other event kind passes here too). */
  clean: 'clean',
  /** ModerationEvents: every verdict other than `allow` (and, in shadow mode, what it would be). */
  flagged: 'flagged',
} as const;

/** Reason markers added in shadow mode. */
export const SHADOW_REASON = 'shadow';
