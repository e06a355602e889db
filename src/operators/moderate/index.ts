import { defineOperator } from '../../core/component.js';
import { MODERATE_PORTS, ModerateConfig } from './config.js';
import { moderate } from './moderate.js';

export const moderateComponent = defineOperator({
  type: 'moderate',
  summary:
    'Moderates chat: banned words, regexes, links, caps, symbols, zalgo, emotes, length, repetition and copypasta, with escalation, flood protection, `!permit` and `!nuke`.',
  description:
    'Chat that passes goes to `mod.clean` unchanged (with every other event kind); every other verdict (`flag`, `delete`, `timeout`, `ban`) goes to `mod.flagged` as a moderation event with its reasons and points. Text rules match the folded text `normalize` adds: put `normalize` first. Rules are off until configured (`caps: {}` turns caps on with its defaults). `shadow: true` lets everything through while still reporting what would have happened. Counts: `moderated_<reason>`, `verdict_<verdict>`, `shadowed`, `strict_mode_on`/`_off`. See docs/moderation.md.',
  config: ModerateConfig,
  ports: () => [MODERATE_PORTS.clean, MODERATE_PORTS.flagged],
  examples: [
    'links: block\ncaps: { max_ratio: 0.7 }',
    [
      'words: { list: [badword, "free followers", "scam*"], action: delete, points: 2 }',
      'links: { allow: [youtube.com, twitch.tv], permit: { duration: 2m } }',
      'caps: {}',
      'zalgo: {}',
      'repetition: { count: 3, window: 30s }',
      'copypasta: { similarity: 0.8, users: 4 }',
      'first_time: { multiplier: 0.5 }',
      'flood: { first_timers: 15, window: 30s, duration: 5m }',
      'escalation: { half_life: 10m, delete: 3, timeout: 6, ban: 12 }',
      'nuke: { lookback: 60s, duration: 5m }',
    ].join('\n'),
    'shadow: true\nwords: { file: banned.txt }\nregex:\n  - { name: phone_number, pattern: "\\\\d{3}[ .-]?\\\\d{3}[ .-]?\\\\d{4}", on: text, action: flag }',
  ],
  create: (config, ctx) =>
    moderate(config, {
      scheduler: ctx.scheduler,
      metrics: ctx.metrics,
      logger: ctx.logger,
      baseDir: ctx.resources.baseDir,
    }),
});

export { MODERATE_PORTS, ModerateConfig, SHADOW_REASON } from './config.js';
export { moderate, type ModerateDeps, type ModerationMetrics } from './moderate.js';
