import { z } from 'zod';
import { ROLES } from '../../core/events.js';
import { duration } from '../../core/units.js';
import { exemptRolesField } from '../shared/limits.js';
import { compileReply } from './template.js';

/** Longest reply template. */
export const MAX_TEMPLATE = 500;
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const NAME_MESSAGE = 'A command name is lower-case letters, digits, `_` and `-`, at most 32 (chat matches it case-insensitively)';
const PREFIX = /^\S{1,8}$/;

/** A reply template, its `{{ }}` fields checked at validate time. */
const template = (describe: string) =>
  z
    .string()
    .min(1)
    .max(MAX_TEMPLATE)
    .superRefine((text, ctx) => {
      compileReply(text, (message) => ctx.addIssue({ code: 'custom', message }));
    })
    .describe(describe);

const REPLY_DOC =
  'The reply. Fields: `{{ user }}` (display name), `{{ login }}`, `{{ platform }}`, `{{ channel }}`, `{{ args }}` (every word after the command), `{{ args.0 }}` … `{{ args.9 }}` (one word), `{{ count }}` (the command\'s counter, counted up by this use), `{{ var.<name> }}` (the current value of a control variable, from the `control` events this node reads; `?` until one arrives).';

export const TextCommandSpec = z
  .strictObject({
    reply: template(REPLY_DOC),
    aliases: z.array(z.string().regex(NAME, NAME_MESSAGE)).default([]).describe('Other names for the command.'),
    roles: z
      .array(z.enum(ROLES))
      .min(1)
      .optional()
      .describe('Roles that may use it (any of them; the broadcaster always may). Everyone when left out. Others are ignored (`forbidden`) and `!help` does not list it to them.'),
    cooldown: duration()
      .prefault('0s')
      .describe('After it answers, the command stays quiet this long in that channel (`30s`); uses meanwhile are counted (`cooling`), not answered.'),
    user_cooldown: duration()
      .prefault('0s')
      .describe('The same, per viewer: how long one viewer waits before the command answers them again.'),
    counter: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/, 'A counter name is a lower-case letter, then letters, digits or `_` (at most 32)')
      .optional()
      .describe('The counter `{{ count }}` reads; default the command\'s name. Commands naming the same counter share it.'),
    increments: z
      .boolean()
      .default(true)
      .describe('Whether a use counts up the counter before the reply; `false` only shows it (`!hugs` → "12 hugs so far").'),
  })
  .describe('One text command.');
export type TextCommandSpec = z.output<typeof TextCommandSpec>;

export const TextCommandsConfig = z
  .strictObject({
    prefix: z
      .string()
      .regex(PREFIX, 'A prefix is 1 to 8 characters without spaces')
      .default('!')
      .describe('What a command starts with.'),
    commands: z
      .record(z.string().regex(NAME), TextCommandSpec, {
        error: (issue) => (issue.code === 'invalid_key' ? NAME_MESSAGE : undefined),
      })
      .default({})
      .describe('Command name → its reply, aliases, roles, cooldowns and counter.'),
    help: z
      .strictObject({
        command: z
          .string()
          .regex(NAME, NAME_MESSAGE)
          .nullable()
          .default('help')
          .describe('The command that lists the commands a viewer may use; `null`: none.'),
        reply: template('The help reply; `{{ commands }}` is the list (`!discord !synth …`), and every field of a command reply may be used.').default(
          'Commands: {{ commands }}',
        ),
        also: z
          .array(z.string().min(1).max(100))
          .default([])
          .describe('More entries for the list, for commands other nodes answer (`!cv <name> <value>`).'),
        cooldown: duration().prefault('10s').describe('How long `!help` stays quiet in a channel after it answers.'),
      })
      .prefault({})
      .describe('The `!help` command.'),
    exempt_roles: exemptRolesField().describe('Authors holding any of these roles skip the cooldowns (mods testing a command).'),
    counters: z
      .enum(['redis', 'local'])
      .default('redis')
      .describe(
        'Where `{{ count }}` counters live: `redis` (the hash `chatflow:counters:<node id>` in `resources.redis`, so counts survive a restart and are shared by every instance; in memory when Redis is not configured) or `local` (in memory for the life of the process).',
      ),
  })
  .superRefine((config, ctx) => {
    const owner = new Map<string, string>();
    const claim = (word: string, who: string, path: (string | number)[]) => {
      const taken = owner.get(word);
      if (taken !== undefined) ctx.addIssue({ code: 'custom', path, message: `"${word}" is already used by ${taken}` });
      else owner.set(word, who);
    };
    if (config.help.command !== null) claim(config.help.command, 'the help command', ['help', 'command']);
    for (const [name, spec] of Object.entries(config.commands)) {
      claim(name, `command "${name}"`, ['commands', name]);
      spec.aliases.forEach((alias, i) => {
        claim(alias, `command "${name}"`, ['commands', name, 'aliases', i]);
      });
      if (spec.reply.trimStart().startsWith(config.prefix)) {
        ctx.addIssue({
          code: 'custom',
          path: ['commands', name, 'reply'],
          message: `A reply must not start with the prefix "${config.prefix}": the bot would be answering a command of its own`,
        });
      }
    }
    if (Object.keys(config.commands).length === 0 && config.help.command === null) {
      ctx.addIssue({ code: 'custom', path: ['commands'], message: 'Declare at least one command (or keep the help command)' });
    }
  })
  .describe('Custom text commands (`!discord`, `!synth`, `!hug`) answered with templated replies, and `!help`.');
export type TextCommandsConfig = z.output<typeof TextCommandsConfig>;
