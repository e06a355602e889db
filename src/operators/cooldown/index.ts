import { COMMAND_OUTCOMES, outcomeReporter } from '../../core/commandOutcomes.js';
import { PASSES_COMMANDS } from '../../core/commandFlow.js';
import { defineOperator } from '../../core/component.js';
import { CooldownConfig, COOLING_PORT } from './config.js';
import { cooldown } from './cooldown.js';
import { RedisCooldownStore } from './redisStore.js';

export const cooldownComponent = defineOperator({
  type: 'cooldown',
  commandFlow: PASSES_COMMANDS,
  summary: 'Lets one event per key through, then cools the key down for a while, replying to who must wait.',
  description:
    'The first event of a key passes and starts its cooldown. Events of the key during the cooldown are counted as `cooling` and, for the first of them (or every one with `reply_once: false`), a reply event built from `reply` goes to the `_cooling` port, for a chat-reply sink. Authors with an `exempt_roles` role are never cooled down.',
  config: CooldownConfig,
  ports: () => [COOLING_PORT],
  needs: (config) => (config.scope === 'redis' ? ['redis'] : []),
  // `_cooling` carries replies to who must wait, not the cooled events (those are the drops).
  metricRoles: { limitedDrops: ['cooling'] },
  examples: [
    'duration: 10s',
    'duration: 30s\nper: [user, command]\nreply: "@{{ user }} wait {{ left }}s"',
    'duration: 5m\nper: command\nexempt_roles: []\nreply_once: false',
  ],
  create: (config, ctx) => {
    const url = ctx.resources.redis?.url;
    if (config.scope === 'redis' && url === undefined) {
      ctx.logger.warn({}, 'Redis is not available; cooldown uses local cooldowns.');
    }
    const outcomes = outcomeReporter(ctx.resources.services?.get(COMMAND_OUTCOMES));
    return cooldown(config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      ...(outcomes ? { outcomes } : {}),
      ...(config.scope === 'redis' && url !== undefined
        ? { shared: () => new RedisCooldownStore(url, `chatflow:cooldown:${ctx.id}:`) }
        : {}),
    });
  },
});

export { COOLDOWN_REPLY_FIELDS, CooldownConfig, COOLING_PORT } from './config.js';
export { cooldown, type CooldownDeps } from './cooldown.js';
