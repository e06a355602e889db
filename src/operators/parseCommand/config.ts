import { z } from 'zod';
import { ROLES } from '../../core/events.js';
import { ARG_TYPES } from './args.js';
import { compileTable, MAX_REPLY } from './table.js';

/** The side ports of `parse_command`; every other port is a command name. */
export const PARSE_COMMAND_PORTS = {
  /** ReplyEvents for commands that failed validation or permission. */
  invalid: '_invalid',
  /** ReplyEvents rendered from a command's `reply` template. */
  reply: '_reply',
  /** Everything that is not a known command, unchanged. */
  unmatched: '_unmatched',
} as const;

const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const PREFIX = /^\S{1,8}$/;
const COMMAND_NAME_MESSAGE =
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
      'A reply sent to port `_reply` when the command parses. Placeholders: `{user}` (display name), `{login}`, `{args}` (the words after the command), `{args.<name>}` (one typed arg), `{count}` (uses of this command since start), `{var.<name>}` (the current value of a control variable, `?` when unknown).',
    ),
};

const SubcommandSpec = z
  .strictObject(commandFields)
  .describe('A subcommand: `!cv reset cutoff` is subcommand `reset` of `cv` with arg `name`.');

const CommandSpec = z
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

export const ParseCommandConfig = z
  .strictObject({
    prefix: z
      .union([
        z.string().regex(PREFIX, 'A prefix is 1 to 8 characters without spaces'),
        z.array(z.string().regex(PREFIX, 'A prefix is 1 to 8 characters without spaces')).min(1),
      ])
      .default('!')
      .describe('What a command starts with; a list to accept several. The first is shown in usage replies.'),
    commands: z
      .record(z.string().regex(COMMAND_NAME), CommandSpec, {
        error: (issue) => (issue.code === 'invalid_key' ? COMMAND_NAME_MESSAGE : undefined),
      })
      .refine((commands) => Object.keys(commands).length > 0, 'Declare at least one command')
      .describe(
        'Command name → its spec. Each name is an output port (`node.<name>`); chat matches names and aliases case-insensitively.',
      ),
  })
  .superRefine((config, ctx) => {
    compileTable(config, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  })
  .describe('Which chat messages are commands, and their typed arguments.');
export type ParseCommandConfig = z.output<typeof ParseCommandConfig>;
