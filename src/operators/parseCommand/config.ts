import { z } from 'zod';
import { COMMAND_NAME, COMMAND_NAME_MESSAGE, CommandSpec } from './spec.js';
import { compileTable } from './table.js';

/** The side ports of `parse_command`; every other port is a command name. */
export const PARSE_COMMAND_PORTS = {
  /** ReplyEvents for commands that failed validation or permission. */
  invalid: '_invalid',
  /** ReplyEvents rendered from a command's `reply` template. */
  reply: '_reply',
  /** Everything that is not a known command, unchanged. */
  unmatched: '_unmatched',
} as const;

const PREFIX = /^\S{1,8}$/;

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
