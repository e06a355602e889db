/**
 * `parse_command`: turns chat such as `!cv cutoff 0.7` into typed command events, one output
 * port per command, with viewer-readable replies for commands that do not parse.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { CommandShape, KnownValue } from '../../core/commandFlow.js';
import { defineOperator, type Routed } from '../../core/component.js';
import { type ChatEvent, type ChatflowEvent, type CommandArg, type CommandEvent, ROLES } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import {
  ARG_TYPES,
  lookup,
  matchPrefix,
  parseArg,
  permitted,
  skipSpaces,
  tokenEnd,
  trimEnd,
} from './args.js';
import { type CompiledCommand, compileTable, MAX_REPLY, renderReply, replyTo } from './table.js';

export { ARG_TYPES, type ArgType } from './args.js';

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
/** Longest command or alias name; longer words are never looked up. */
const MAX_NAME = 32;
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

/** Collaborators of {@link parseCommand}. */
export interface ParseCommandDeps {
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /**
   * Current value of a control variable, for `{var.<name>}` in reply templates; undefined
   * when unknown (rendered `?`). Left out, every `{var.…}` renders `?`.
   */
  readonly variables?: (name: string) => number | undefined;
}

/**
 * Recognises commands in chat text and sends each as a typed {@link CommandEvent} to the port
 * named after the command; commands that do not parse, or that the author may not use, become a
 * {@link ReplyEvent} on `_invalid` (and count as a drop); everything else goes to `_unmatched`.
 *
 * ```text
 * commands: { cv: { args: [name, "value:number(0..1)"] } }
 * a: "!cv cutoff 0.7"   b: "hello"   c: "!CV cutoff 2"
 * source:   -a-b-c-|
 * result:   -x-u-i-|      x: cv {name: cutoff, value: 0.7}, u: _unmatched b,
 *                         i: _invalid "value takes a number 0–1 (usage: !cv <name> <value 0–1>)"
 * ```
 *
 * The command table is compiled once per node; a chat line costs a prefix check, one or two
 * map lookups and a scan of the words it needs, with no regular expression. Matching reads
 * `text` (normalized or not); command names are case-insensitive; words past the last arg are
 * ignored; backfilled history never triggers a command. Whitespace includes Unicode spaces and
 * the invisible tag characters some chat clients append to dodge duplicate-message checks.
 *
 * A command with `reply` also sends a ReplyEvent to `_reply` after its command event.
 * `{count}` counts per subscription. Commands answered on `_invalid` are counted as drops
 * `missing_args`, `invalid_args` or `forbidden`; a malformed event is dropped as `error`. A
 * `variables` lookup that throws errors the stream (it is injected code, not chat).
 *
 * @param config Parsed config.
 * @param deps Drop counter and the `{var.…}` lookup.
 * @see control, which turns `cv` commands into control voltages.
 * @see vote, which turns `vote` commands into one value per window.
 */
export function parseCommand(
  config: ParseCommandConfig,
  deps: ParseCommandDeps = {},
): OperatorFunction<ChatflowEvent, Routed> {
  const drops = deps.drops ?? NO_DROPS;
  const variables = deps.variables;
  const table = compileTable(config, (path, message) => {
    throw new Error(`parse_command config at ${path.join('.')}: ${message}`);
  });
  const { commands, prefixes, size } = table;

  return (source) =>
    new Observable<Routed>((subscriber) => {
      // Per-subscription state: how often each command (by index) parsed.
      const counts = new Array<number>(size).fill(0);

      const unmatched = (event: ChatflowEvent): void => {
        subscriber.next({ port: PARSE_COMMAND_PORTS.unmatched, event });
      };

      const invalid = (chat: ChatEvent, text: string, reason: string): true => {
        drops.drop(reason, true);
        subscriber.next({ port: PARSE_COMMAND_PORTS.invalid, event: replyTo(chat, text) });
        return true;
      };

      /** Sends a command (or why it is invalid); false when the chat is not a command. */
      const handle = (chat: ChatEvent): boolean => {
        const text = chat.text;
        const end = text.length;
        let pos = skipSpaces(text, 0, end);
        const prefixLength = matchPrefix(prefixes, text, pos);
        if (prefixLength === 0 || chat.backfill === true) return false;
        pos += prefixLength;
        let wordEnd = tokenEnd(text, pos, end);
        if (wordEnd === pos || wordEnd - pos > MAX_NAME) return false;
        let command = lookup(commands, text.slice(pos, wordEnd));
        if (!command) return false;
        pos = skipSpaces(text, wordEnd, end);

        if (command.subcommands && pos < end) {
          wordEnd = tokenEnd(text, pos, end);
          const sub = wordEnd - pos <= MAX_NAME ? lookup(command.subcommands, text.slice(pos, wordEnd)) : undefined;
          if (sub) {
            command = sub;
            pos = skipSpaces(text, wordEnd, end);
          }
        }
        if (command.roles && !permitted(command.roles, chat.author.roles)) {
          return invalid(chat, command.forbidden, 'forbidden');
        }

        const argsStart = pos;
        const args: Record<string, CommandArg> = {};
        for (const arg of command.args) {
          if (pos >= end) {
            if (arg.optional) break;
            return invalid(chat, command.usage, 'missing_args');
          }
          let value: CommandArg | undefined;
          if (arg.type === 'rest') {
            value = text.slice(pos, trimEnd(text, pos, end));
            pos = end;
          } else {
            wordEnd = tokenEnd(text, pos, end);
            value = parseArg(arg, text.slice(pos, wordEnd));
            pos = skipSpaces(text, wordEnd, end);
          }
          if (value === undefined) return invalid(chat, arg.complaint, 'invalid_args');
          args[arg.name] = value;
        }
        if (command.subcommand !== undefined) args.subcommand = command.subcommand;

        const count = (counts[command.index] ?? 0) + 1;
        counts[command.index] = count;
        const event: CommandEvent = {
          kind: 'command',
          name: command.port,
          args,
          chat,
          receivedAt: chat.receivedAt,
        };
        subscriber.next({ port: command.port, event });
        if (command.reply) {
          let rendered: string;
          try {
            rendered = renderReply(command.reply, chat, text, argsStart, args, count, variables);
          } catch (err) {
            // Only the injected `variables` lookup can throw here: a bug, not bad chat.
            subscriber.error(err);
            return true;
          }
          subscriber.next({ port: PARSE_COMMAND_PORTS.reply, event: replyTo(chat, rendered) });
        }
        return true;
      };

      return source.subscribe({
        next: (event) => {
          try {
            if (event.kind !== 'chat' || !handle(event)) unmatched(event);
          } catch {
            // Only a malformed event (no text, no author) gets here; it must not stop parsing.
            drops.drop('error', false);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

export const parseCommandComponent = defineOperator({
  type: 'parse_command',
  summary: 'Turns chat such as `!cv cutoff 0.7` into typed command events, one port per command.',
  description:
    'Each command is an output port (`cmds.cv`), and `cmds` alone carries every command. Commands that do not parse, or that the author may not use, go to `cmds._invalid` as a reply a viewer can read; `reply` templates go to `cmds._reply`; all other events go to `cmds._unmatched`.',
  config: ParseCommandConfig,
  ports: (config) => [
    ...Object.keys(config.commands),
    PARSE_COMMAND_PORTS.invalid,
    PARSE_COMMAND_PORTS.reply,
    PARSE_COMMAND_PORTS.unmatched,
  ],
  mirrorToDefault: true,
  commandFlow: { emits: (config, _arriving, port, node) => commandShapes(config, node, port) },
  examples: [
    'commands:\n  cv: { args: [name, value:number] }',
    [
      'prefix: ["!", "?"]',
      'commands:',
      '  cv:',
      '    args: [name, "value:number(0..1)"]',
      '    subcommands:',
      '      panic: { roles: [mod] }',
      '      reset: { args: [name], roles: [mod] }',
      '  pitch: { aliases: [p], args: ["note:note(C2..C6)"] }',
      '  vote: { args: [name, "value:percent"] }',
      '  wave: { args: ["mode:enum(sine|saw|square)"], reply: "{user} picked {args.mode} ({count} so far)" }',
      '  level: { args: [], reply: "cutoff is at {var.cutoff}" }',
    ].join('\n'),
  ],
  create: (config, ctx) => parseCommand(config, { drops: ctx.metrics }),
});

/**
 * The commands a config emits on `port` (every command on the default port), for validate's
 * command checks: an `enum` arg can only hold its values, a subcommand sets `subcommand`.
 */
function commandShapes(config: ParseCommandConfig, node: string, port: string): CommandShape[] {
  if (port.startsWith('_')) return [];
  const table = compileTable(config, () => {});
  const shapes: CommandShape[] = [];
  const add = (name: string, compiled: CompiledCommand, path: (string | number)[]) => {
    const args: Record<string, readonly KnownValue[] | 'any'> = {};
    compiled.args.forEach((arg, i) => {
      const origin = { node, path: [...path, 'args', i] };
      args[arg.name] = arg.values ? [...arg.values.values()].map((value) => ({ value, origin })) : 'any';
    });
    if (compiled.subcommand !== undefined) {
      args.subcommand = [{ value: compiled.subcommand, origin: { node, path } }];
    }
    shapes.push({ name, args, origin: { node, path } });
  };
  for (const name of Object.keys(config.commands)) {
    if (port !== '' && port !== name) continue;
    const compiled = table.commands.get(name);
    if (!compiled) continue;
    add(name, compiled, ['commands', name]);
    for (const [sub, subCompiled] of compiled.subcommands ?? []) {
      // Aliases of a subcommand map to the same compiled command; its own name is enough.
      if (sub === subCompiled.subcommand) add(name, subCompiled, ['commands', name, 'subcommands', sub]);
    }
  }
  return shapes;
}
