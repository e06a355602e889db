import { z } from 'zod';
import { templatePaths } from '../../core/template.js';
import { duration, rate } from '../../core/units.js';
import { exemptRolesField, maxKeysField, perField } from '../shared/limits.js';

/** The fields a `reply` template may use. */
export const THROTTLE_REPLY_FIELDS = ['user', 'login', 'command', 'platform', 'channel'] as const;
const STRAY_BRACES = /\{\{|\}\}/;
const PLACEHOLDERS = /\{\{\s*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\s*\}\}/g;

export const ThrottleConfig = z
  .strictObject({
    rate: rate().describe('Tokens added back to each bucket, as `N/period` (`1/2s`, `20/m`).'),
    burst: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Tokens a full bucket holds: the most events a key can send at once.'),
    per: perField('user').describe(
      'What gets its own bucket: `global`, `user` (platform and login; `anonymous` without an author), `command` (the command name), `platform` or `channel`, or a list of them combined into one key (`[user, command]`).',
    ),
    on_limit: z
      .enum(['drop', 'delay', 'reroute'])
      .default('drop')
      .describe(
        'What happens to an event that finds its bucket empty: `drop` it (counted as `throttled`), `delay` it until a token arrives (within `max_delay` and `max_queue`), or `reroute` it to the `_limited` port.',
      ),
    max_delay: duration()
      .prefault('5s')
      .describe(
        'With `on_limit: delay`: the longest an event may wait for its token; an event that would wait longer is dropped (`delay_exceeded`).',
      ),
    max_queue: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe(
        'With `on_limit: delay`: the most events waiting at once, across all keys; an event that would wait beyond it is dropped (`queue_full`).',
      ),
    exempt_roles: exemptRolesField(),
    reply: z
      .string()
      .min(1)
      .max(500)
      .superRefine((template, ctx) => {
        if (STRAY_BRACES.test(template.replace(PLACEHOLDERS, ''))) {
          ctx.addIssue({ code: 'custom', message: `Unbalanced "{{ }}" in template "${template}"` });
        }
        for (const path of templatePaths(template)) {
          if (!(THROTTLE_REPLY_FIELDS as readonly string[]).includes(path)) {
            ctx.addIssue({ code: 'custom', message: `Unknown reply field "${path}"; use one of ${THROTTLE_REPLY_FIELDS.join(', ')}` });
          }
        }
      })
      .optional()
      .describe(
        'A reply sent to port `_reply` (for the `chat` sink) when a chat event or command is refused (`throttled`, `delay_exceeded`, `queue_full`), once per key until the key passes an event again, so a viewer who keeps trying is answered once. Fields: `{{ user }}`, `{{ login }}`, `{{ command }}` (the command name, or the event kind), `{{ platform }}`, `{{ channel }}`. Left out: no replies.',
      ),
    max_keys: maxKeysField(10_000, 'its bucket comes back full'),
    scope: z
      .enum(['local', 'redis'])
      .default('local')
      .describe(
        '`local`: buckets in this process. `redis`: buckets in `resources.redis` (an atomic Lua script per event), shared by every instance running this node id; without Redis configured, local buckets are used and a warning says so.',
      ),
    on_redis_down: z
      .enum(['allow', 'deny'])
      .default('allow')
      .describe(
        'With `scope: redis`, while Redis cannot be reached: `allow` lets events through unlimited (fail-open), `deny` drops them (`redis_down`, fail-closed).',
      ),
  })
  .describe('Token-bucket rate limit.');
export type ThrottleConfig = z.output<typeof ThrottleConfig>;
/** The side port `on_limit: reroute` sends limited events to. */
export const LIMITED_PORT = '_limited';
/** The side port of the `reply` answers. */
export const REPLY_PORT = '_reply';
