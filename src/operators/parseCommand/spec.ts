/**
 * The schema of one `parse_command` command: its args, aliases, roles, reply and subcommands.
 * Apart from config.ts so that the command table (table.ts) can read its type while the config
 * validates through the table, without the two importing each other.
 */
import { z } from 'zod';
import { ROLES } from '../../core/events.js';
import { ARG_TYPES } from './args.js';

/** Longest reply template, and longest rendered reply (longer renders are cut). */
export const MAX_REPLY = 500;

export const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const COMMAND_NAME_MESSAGE =
  'A command name is lower-case letters, digits, `_` and `-`, at most 32 (chat matches it case-insensitively)';

const ArgObject = z
  .strictObject({
    name: z.string().describe("The key in the command event's `args`: lower-case letters, digits and `_`."),
    type: z
      .enum(ARG_TYPES)
      .default('string')
      .describe(
        '`string` (one word), `number`, `integer`, `enum`, `percent` (`80%` or `80` → 0.8), `note` (`C4` → 60), `duration` (`2s` → 2000), `user` (`@name` → name), `rest` (the rest of the line), `boolean` (on/off, yes/no).',
      ),
    min: z
      .union([z.number(), z.string()])
      .optional()
      .describe(
        'Lowest accepted value: a number (`percent` in %, `duration` in ms), a note (`C2`) or a duration (`100ms`).',
      ),
    max: z.union([z.number(), z.string()]).optional().describe('Highest accepted value, as `min`.'),
    values: z.array(z.string()).optional().describe('`enum` only: the accepted words, matched case-insensitively.'),
    optional: z.boolean().default(false).describe('The arg may be left out; optional args come last.'),
  })
  .describe('One argument, in object form.');

const ArgSpec = z
  .union([
    z
      .string()
      .describe(
        'Compact form `name[:type[(params)]][?]`: `name`, `value:number(0..1)`, `n:integer(1..16)`, `mode:enum(sine|saw|square)`, `note:note(C2..C6)`, `time:duration(0ms..10s)`, `value:number?` (optional).',
      ),
    ArgObject,
  ])
  .describe('One argument of a command.');

const commandFields = {
  aliases: z
    .array(z.string().regex(COMMAND_NAME, COMMAND_NAME_MESSAGE))
    .default([])
    .describe('Other names that trigger the command, such as `p` for `pitch`.'),
  args: z
    .array(ArgSpec)
    .default([])
    .describe('Arguments, in order, separated by spaces in chat. Words past the last arg are ignored.'),
  roles: z
    .array(z.enum(ROLES))
    .min(1)
    .optional()
    .describe(
      'Roles allowed to use the command (any of them); everyone when left out. The broadcaster always may.',
    ),
  reply: z
    .string()
    .min(1)
    .max(MAX_REPLY)
    .optional()
    .describe(
      'A reply sent to port `_reply` when the command parses. Placeholders, as `{user}` or `{{ user }}`: `{user}` (display name), `{login}`, `{args}` (the words after the command), `{args.<name>}` (one typed arg), `{count}` (uses of this command since start), `{var.<name>}` (the current value of a control variable, `?` when unknown).',
    ),
};

const SubcommandSpec = z
  .strictObject(commandFields)
  .describe('A subcommand: `!cv reset cutoff` is subcommand `reset` of `cv` with arg `name`.');

export const CommandSpec = z
  .strictObject({
    ...commandFields,
    subcommands: z
      .record(z.string().regex(COMMAND_NAME, COMMAND_NAME_MESSAGE), SubcommandSpec)
      .optional()
      .describe(
        "Subcommands, chosen by the first word after the command; their events go to the parent's port with `args.subcommand` set (`control` reads `pause`, `resume`, `panic`, `reset`, `lock`, `unlock`). A subcommand without `roles` takes its command's.",
      ),
  })
  .describe('One command.');
export type CommandSpec = z.output<typeof CommandSpec>;
