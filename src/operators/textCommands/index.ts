import { defineOperator } from '../../core/component.js';
import { TextCommandsConfig } from './config.js';
import { LocalCounterStore, RedisCounterStore } from './counters.js';
import { compileReply, usesCount } from './template.js';
import { textCommands } from './textCommands.js';

/** Whether some reply shows a counter (only then is a counter store needed). */
const countsAnything = (config: TextCommandsConfig): boolean =>
  [...Object.values(config.commands).map((c) => c.reply), ...(config.help.command === null ? [] : [config.help.reply])].some(
    (reply) => usesCount(compileReply(reply, () => {})),
  );

export const textCommandsComponent = defineOperator({
  type: 'text_commands',
  summary: 'Answers custom commands (`!discord`, `!synth`, `!hug`) with templated replies, and `!help` with the commands a viewer may use.',
  description:
    'Reads chat (and `control` events, for `{{ var.<name> }}`) and emits one `reply` event per answered command, for the `chat` sink. Per-command `roles`, `cooldown` (per channel) and `user_cooldown`; `{{ count }}` counters persist in Redis when `resources.redis` is configured. The bot\'s own messages are never answered.',
  config: TextCommandsConfig,
  // A command kept quiet by its cooldown counts as rate-limited, as `cooldown`'s do.
  metricRoles: { limitedDrops: ['cooling'] },
  needs: (config) => (config.counters === 'redis' && countsAnything(config) ? ['redis'] : []),
  examples: [
    'commands:\n  discord: { reply: "Join us: https://discord.gg/example", cooldown: 30s }',
    [
      'commands:',
      '  synth: { reply: "cutoff {{ var.cutoff }}, pitch {{ var.pitch }}", aliases: [knobs] }',
      '  hug: { reply: "{{ user }} hugs {{ args.0 }}! ({{ count }} hugs so far)", user_cooldown: 10s }',
      '  hugs: { reply: "{{ count }} hugs so far", counter: hug, increments: false }',
      '  so: { reply: "Go follow {{ args.0 }} at twitch.tv/{{ args.0 }}", roles: [mod] }',
      'help: { also: ["!cv <name> <value>"] }',
    ].join('\n'),
  ],
  create: (config, ctx) => {
    const url = ctx.resources.redis?.url;
    const kept = ctx.state.get('counters', () => new Map<string, number>());
    return textCommands(config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      variables: ctx.state.get('variables', () => new Map<string, number>()),
      counters:
        config.counters === 'redis' && url !== undefined
          ? () => new RedisCounterStore(url, `chatflow:counters:${ctx.id}`)
          : () => new LocalCounterStore(kept),
      onStoreError: (err) => ctx.logger.warn({ err }, 'Counter store failed; counts show "?".'),
    });
  },
});

export { TextCommandsConfig } from './config.js';
export { type CounterStore, LocalCounterStore, RedisCounterStore } from './counters.js';
export { textCommands, type TextCommandsDeps } from './textCommands.js';
