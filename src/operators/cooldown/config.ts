import { z } from 'zod';
import { templatePaths } from '../../core/template.js';
import { duration } from '../../core/units.js';
import { exemptRolesField, maxKeysField, perField } from '../shared/limits.js';

/** The fields a `reply` template may use. */
export const COOLDOWN_REPLY_FIELDS = ['user', 'login', 'command', 'left', 'left_ms', 'platform', 'channel'] as const;
const REPLY_FIELDS: ReadonlySet<string> = new Set(COOLDOWN_REPLY_FIELDS);
const STRAY_BRACES = /\{\{|\}\}/;
const PLACEHOLDERS = /\{\{\s*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\s*\}\}/g;

export const CooldownConfig = z
  .strictObject({
    duration: duration().describe(
      'How long a key stays cooling after an event passes; events during it go to `_cooling`. The cooldown is not extended by them.',
    ),
    per: perField(['user', 'command']).describe(
      'What cools down on its own: `global`, `user` (platform and login; `anonymous` without an author), `command` (the command name), `platform` or `channel`, or a list of them combined into one key.',
    ),
    exempt_roles: exemptRolesField(),
    reply: z
      .string()
      .min(1)
      .default('@{{ user }}, {{ command }} is cooling down ({{ left }}s left).')
      .superRefine((template, ctx) => {
        if (STRAY_BRACES.test(template.replace(PLACEHOLDERS, ''))) {
          ctx.addIssue({ code: 'custom', message: `Unbalanced "{{ }}" in template "${template}"` });
        }
        for (const path of templatePaths(template)) {
          if (!REPLY_FIELDS.has(path)) {
            ctx.addIssue({
              code: 'custom',
              message: `Unknown reply field "${path}"; use one of ${COOLDOWN_REPLY_FIELDS.join(', ')}`,
            });
          }
        }
      })
      .describe(
        'Text of the reply sent to `_cooling`. Fields: `{{ user }}` (display name), `{{ login }}`, `{{ command }}` (the command name, or the event kind for other events), `{{ left }}` (seconds left, rounded up), `{{ left_ms }}`, `{{ platform }}`, `{{ channel }}`.',
      ),
    reply_once: z
      .boolean()
      .default(true)
      .describe(
        'Reply at most once per key and cooldown, so a user who keeps trying is not answered every time; later events are only counted.',
      ),
    max_keys: maxKeysField(10_000, 'a forgotten key can pass again before its cooldown ends'),
    scope: z
      .enum(['local', 'redis'])
      .default('local')
      .describe(
        '`local`: cooldowns in this process. `redis`: keys with a TTL in `resources.redis` (an atomic Lua script per event), shared by every instance running this node id; without Redis configured, local cooldowns are used and a warning says so.',
      ),
    on_redis_down: z
      .enum(['allow', 'deny'])
      .default('allow')
      .describe(
        'With `scope: redis`, while Redis cannot be reached: `allow` lets events through (fail-open), `deny` drops them (`redis_down`, fail-closed).',
      ),
  })
  .describe('Per-key cooldown.');
export type CooldownConfig = z.output<typeof CooldownConfig>;

/** The side port replies about cooling keys go to. */
export const COOLING_PORT = '_cooling';
