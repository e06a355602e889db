import { COMMAND_OUTCOMES, outcomeReporter } from '../../core/commandOutcomes.js';
import { PASSES_COMMANDS } from '../../core/commandFlow.js';
import { defineOperator } from '../../core/component.js';
import type { BucketLimits } from './bucket.js';
import { LIMITED_PORT, REPLY_PORT, ThrottleConfig } from './config.js';
import { RedisBucketStore } from './redisStore.js';
import { throttle } from './throttle.js';

export const throttleComponent = defineOperator({
  type: 'throttle',
  commandFlow: PASSES_COMMANDS,
  summary: 'Rate-limits events with a token bucket per user, command, channel, platform or globally.',
  description:
    'Every key gets a bucket of `burst` tokens refilled at `rate`. An event without a token is dropped (`throttled`), delayed until one arrives (`on_limit: delay`; `delay_exceeded` and `queue_full` count what cannot wait), or sent to the `_limited` port (`on_limit: reroute`). Authors with an `exempt_roles` role are never limited.',
  config: ThrottleConfig,
  ports: (config) => [...(config.on_limit === 'reroute' ? [LIMITED_PORT] : []), ...(config.reply === undefined ? [] : [REPLY_PORT])],
  // `_limited` exists only with `on_limit: reroute`: unread, reroute is a drop by another name.
  wantedPorts: (config) => [
    ...(config.on_limit === 'reroute' ? [{ port: LIMITED_PORT, lost: 'what `on_limit: reroute` sends there is dropped, as `on_limit: drop` would' }] : []),
    ...(config.reply === undefined ? [] : [{ port: REPLY_PORT, lost: 'the answers of its `reply` template are dropped (read it with the chat sink)' }]),
  ],
  needs: (config) => (config.scope === 'redis' ? ['redis'] : []),
  metricRoles: { limitedDrops: ['throttled', 'delay_exceeded', 'queue_full'], limitedPorts: [LIMITED_PORT] },
  examples: [
    'rate: 1/2s\nburst: 3\nper: user',
    'rate: 10/s\nburst: 20\nper: [user, command]\non_limit: delay\nmax_delay: 2s\nmax_queue: 500',
    'rate: 30/m\nper: global\non_limit: reroute\nexempt_roles: [broadcaster]',
    'rate: 1/5s\nper: user\nreply: "@{{ user }}, one !{{ command }} every 5 s, please."',
  ],
  create: (config, ctx) => {
    const url = ctx.resources.redis?.url;
    if (config.scope === 'redis' && url === undefined) {
      ctx.logger.warn({}, 'Redis is not available; throttle uses local buckets.');
    }
    const outcomes = outcomeReporter(ctx.resources.services?.get(COMMAND_OUTCOMES));
    return throttle(config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      ...(outcomes ? { outcomes } : {}),
      ...(config.scope === 'redis' && url !== undefined
        ? { store: (limits: BucketLimits) => new RedisBucketStore(url, `chatflow:throttle:${ctx.id}:`, limits) }
        : {}),
    });
  },
});

export { LIMITED_PORT, REPLY_PORT, THROTTLE_REPLY_FIELDS, ThrottleConfig } from './config.js';
export { throttle, type ThrottleDeps } from './throttle.js';
