/**
 * `parse_command`: turns chat such as `!cv cutoff 0.7` into typed command events, one output
 * port per command, with viewer-readable replies for commands that do not parse.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { defineOperator, type Routed } from '../core/component.js';
import {
  type ChatEvent,
  type ChatflowEvent,
  type CommandArg,
  type CommandEvent,
  ROLES,
  type ReplyEvent,
  type Role,
} from '../core/events.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { formatDuration, parseDuration } from '../core/units.js';
import { formatNote, parseNote } from './musicInternals.js';

/** The side ports of `parse_command`; every other port is a command name. */
export const PARSE_COMMAND_PORTS = {
  /** ReplyEvents for commands that failed validation or permission. */
  invalid: '_invalid',
  /** ReplyEvents rendered from a command's `reply` template. */
  reply: '_reply',
  /** Everything that is not a known command, unchanged. */
  unmatched: '_unmatched',
} as const;

/** The argument types a command can declare. */
export const ARG_TYPES = [
  'string',
  'number',
  'integer',
  'enum',
  'percent',
  'note',
  'duration',
  'user',
  'rest',
  'boolean',
] as const;
export type ArgType = (typeof ARG_TYPES)[number];

/**
 * Arg names downstream operators give a meaning to, so chat can never set them: `control`
 * reads `subcommand` and `origin`, `vote` writes `voters`.
 */
const RESERVED_ARGS: ReadonlySet<string> = new Set(['subcommand', 'origin', 'voters']);
const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const ARG_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const PREFIX = /^\S{1,8}$/;
/** Longest command or alias name; longer words are never looked up. */
const MAX_NAME = 32;
const MAX_REPLY = 500;
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

// ---------------------------------------------------------------------------------------------
// The compiled command table.

interface CompiledArg {
  readonly name: string;
  readonly type: ArgType;
  readonly optional: boolean;
  /** Inclusive bounds in the type's own units (percent in %, duration in ms). */
  readonly min: number;
  readonly max: number;
  /** `enum`: lower-case word → the word as configured. */
  readonly values: ReadonlyMap<string, string> | undefined;
  /** `<value 0–1>`, for usage lines. */
  readonly usage: string;
  /** The reply when a value does not parse: `value takes a number 0–1 (usage: …)`. */
  complaint: string;
}

interface CompiledCommand {
  /** Index into the per-subscription use counts. */
  readonly index: number;
  /** The output port: the (parent) command's name. */
  readonly port: string;
  readonly subcommand: string | undefined;
  readonly args: readonly CompiledArg[];
  /** Allowed roles (always with `broadcaster`); undefined = everyone. */
  readonly roles: ReadonlySet<Role> | undefined;
  readonly usage: string;
  readonly forbidden: string;
  readonly reply: readonly ReplyPart[] | undefined;
  readonly subcommands: ReadonlyMap<string, CompiledCommand> | undefined;
}

interface CompiledTable {
  /** Lower-case name or alias → command. */
  readonly commands: ReadonlyMap<string, CompiledCommand>;
  /** Longest first. */
  readonly prefixes: readonly string[];
  /** Number of commands and subcommands (the length of the use counts). */
  readonly size: number;
}

type Report = (path: (string | number)[], message: string) => void;
type CommandSpec = z.output<typeof CommandSpec>;
type SubcommandSpec = z.output<typeof SubcommandSpec>;

/** Compiles (and validates, through `report`) a whole config. */
function compileTable(config: ParseCommandConfig, report: Report): CompiledTable {
  const prefixList = typeof config.prefix === 'string' ? [config.prefix] : [...config.prefix];
  const shown = prefixList[0] ?? '!';
  const commands = new Map<string, CompiledCommand>();
  const owner = new Map<string, string>();
  let size = 0;

  const claim = (map: Map<string, CompiledCommand>, word: string, command: CompiledCommand, path: (string | number)[], who: string, scope: Map<string, string>) => {
    const taken = scope.get(word);
    if (taken !== undefined) {
      report(path, `"${word}" is already used by ${taken}`);
      return;
    }
    scope.set(word, who);
    map.set(word, command);
  };

  const compileOne = (
    spec: CommandSpec | SubcommandSpec,
    port: string,
    subcommand: string | undefined,
    path: (string | number)[],
    subcommands: ReadonlyMap<string, CompiledCommand> | undefined,
    inheritedRoles: CommandSpec['roles'],
  ): CompiledCommand => {
    const label = subcommand === undefined ? `${shown}${port}` : `${shown}${port} ${subcommand}`;
    const args = compileArgs(spec.args, [...path, 'args'], report);
    const usage = `usage: ${[label, ...args.map((a) => a.usage)].join(' ')}`;
    for (const arg of args) {
      if (arg.type !== 'string' && arg.type !== 'rest') arg.complaint = `${arg.name} takes ${expects(arg)} (${usage})`;
      else arg.complaint = usage;
    }
    const allowed = spec.roles ?? inheritedRoles;
    const roles = allowed ? new Set<Role>(['broadcaster', ...allowed]) : undefined;
    const names = new Set(args.map((a) => a.name));
    const reply = spec.reply === undefined ? undefined : compileReply(spec.reply, names, [...path, 'reply'], report);
    return {
      index: size++,
      port,
      subcommand,
      args,
      roles,
      usage,
      forbidden: roles ? `only ${describeRoles(roles)} can use ${label}` : '',
      reply,
      subcommands,
    };
  };

  for (const [name, spec] of Object.entries(config.commands)) {
    const path = ['commands', name];
    let subs: Map<string, CompiledCommand> | undefined;
    if (spec.subcommands) {
      subs = new Map();
      const subOwner = new Map<string, string>();
      for (const [subName, subSpec] of Object.entries(spec.subcommands)) {
        const subPath = [...path, 'subcommands', subName];
        const sub = compileOne(subSpec, name, subName, subPath, undefined, spec.roles);
        claim(subs, subName, sub, subPath, `subcommand "${subName}"`, subOwner);
        subSpec.aliases.forEach((alias, i) => {
          claim(subs as Map<string, CompiledCommand>, alias, sub, [...subPath, 'aliases', i], `subcommand "${subName}"`, subOwner);
        });
      }
    }
    const command = compileOne(spec, name, undefined, path, subs, undefined);
    claim(commands, name, command, path, `command "${name}"`, owner);
    spec.aliases.forEach((alias, i) => {
      claim(commands, alias, command, [...path, 'aliases', i], `command "${name}"`, owner);
    });
  }
  return { commands, prefixes: prefixList.sort((a, b) => b.length - a.length), size };
}

function compileArgs(specs: CommandSpec['args'], path: (string | number)[], report: Report): CompiledArg[] {
  const out: CompiledArg[] = [];
  const seen = new Set<string>();
  let optionalSeen = false;
  specs.forEach((spec, i) => {
    const arg = compileArg(spec);
    if (typeof arg === 'string') {
      report([...path, i], arg);
      return;
    }
    if (seen.has(arg.name)) report([...path, i], `Arg "${arg.name}" is declared twice`);
    seen.add(arg.name);
    if (optionalSeen && !arg.optional) {
      report([...path, i], `Required arg "${arg.name}" cannot follow an optional one; put optional args last`);
    }
    if (arg.optional) optionalSeen = true;
    if (arg.type === 'rest' && i !== specs.length - 1) {
      report([...path, i], `Arg "${arg.name}" takes the rest of the line, so it must be the last arg`);
    }
    out.push(arg);
  });
  return out;
}

/** Compiles one arg spec, or returns why it is wrong. */
function compileArg(spec: string | z.output<typeof ArgObject>): CompiledArg | string {
  let name: string;
  let type: string;
  let optional: boolean;
  let params: string | undefined;
  let min: number | string | undefined;
  let max: number | string | undefined;
  let values: readonly string[] | undefined;

  if (typeof spec === 'string') {
    let text = spec.trim();
    optional = text.endsWith('?');
    if (optional) text = text.slice(0, -1);
    const colon = text.indexOf(':');
    name = colon < 0 ? text : text.slice(0, colon);
    type = colon < 0 ? 'string' : text.slice(colon + 1);
    const open = type.indexOf('(');
    if (open >= 0) {
      if (!type.endsWith(')')) return `Arg "${spec}": missing ")" after the type's parameters`;
      params = type.slice(open + 1, -1).trim();
      type = type.slice(0, open);
    }
    type = type.trim();
  } else {
    ({ name, type, optional, min, max, values } = spec);
  }

  if (!ARG_NAME.test(name)) {
    return `Arg name "${name}" must start with a lower-case letter and hold only a–z, 0–9 and _ (at most 32)`;
  }
  if (RESERVED_ARGS.has(name)) return `Arg name "${name}" is reserved; pick another`;
  if (!(ARG_TYPES as readonly string[]).includes(type)) {
    const hint = closest(type, ARG_TYPES);
    return `Arg "${name}" has unknown type "${type}"${hint ? `; did you mean "${hint}"?` : ''} (types: ${ARG_TYPES.join(', ')})`;
  }
  const argType = type as ArgType;
  const ranged = argType === 'number' || argType === 'integer' || argType === 'percent' || argType === 'note' || argType === 'duration';

  if (params !== undefined) {
    if (argType === 'enum') {
      values = params.split('|').map((v) => v.trim());
    } else if (ranged) {
      const dots = params.indexOf('..');
      if (dots < 0) return `Arg "${name}": expected a range like (${exampleRange(argType)}), got (${params})`;
      const lo = params.slice(0, dots).trim();
      const hi = params.slice(dots + 2).trim();
      if (lo !== '') min = lo;
      if (hi !== '') max = hi;
    } else {
      return `Arg "${name}": type ${argType} takes no parameters`;
    }
  }

  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  if (argType === 'percent') {
    lo = 0;
    hi = 100;
  } else if (argType === 'note') {
    lo = 0;
    hi = 127;
  } else if (argType === 'duration') {
    lo = 0;
  }
  if (min !== undefined || max !== undefined) {
    if (!ranged) return `Arg "${name}": only number, integer, percent, note and duration args take min/max`;
    if (min !== undefined) {
      const v = boundValue(argType, min);
      if (v === undefined) return `Arg "${name}": min ${JSON.stringify(min)} is not a valid ${argType}`;
      lo = v;
    }
    if (max !== undefined) {
      const v = boundValue(argType, max);
      if (v === undefined) return `Arg "${name}": max ${JSON.stringify(max)} is not a valid ${argType}`;
      hi = v;
    }
    if (lo > hi) return `Arg "${name}": min is greater than max`;
  }

  let valueMap: Map<string, string> | undefined;
  if (argType === 'enum') {
    if (!values || values.length === 0) return `Arg "${name}": an enum needs its values, as in ${name}:enum(a|b|c)`;
    valueMap = new Map();
    for (const v of values) {
      if (v === '' || /\s/.test(v)) return `Arg "${name}": enum value "${v}" must be one word`;
      const key = v.toLowerCase();
      if (valueMap.has(key)) return `Arg "${name}": enum value "${v}" is listed twice`;
      valueMap.set(key, v);
    }
  } else if (values !== undefined) {
    return `Arg "${name}": only enum args take values`;
  }

  const arg: CompiledArg = {
    name,
    type: argType,
    optional,
    min: lo,
    max: hi,
    values: valueMap,
    usage: '',
    complaint: '',
  };
  const usage = usageOf(arg);
  return { ...arg, usage: optional ? `[${usage}]` : `<${usage}>` };
}

function boundValue(type: ArgType, bound: number | string): number | undefined {
  if (typeof bound === 'number') {
    if (type === 'integer' || type === 'note') return Number.isInteger(bound) ? bound : undefined;
    return bound;
  }
  switch (type) {
    case 'number':
      return parseNumber(bound);
    case 'percent':
      return parseNumber(bound.endsWith('%') ? bound.slice(0, -1) : bound);
    case 'integer':
      return parseInteger(bound);
    case 'note':
      return parseNoteArg(bound);
    case 'duration':
      return parseDuration(bound);
    default:
      return undefined;
  }
}

function exampleRange(type: ArgType): string {
  return type === 'note' ? 'C2..C6' : type === 'duration' ? '100ms..10s' : '0..1';
}

/** `0–1`, `≥ 0`, `≤ 1`, or '' when unbounded, in the type's own notation. */
function rangeText(arg: CompiledArg, show: (v: number) => string): string {
  const lo = Number.isFinite(arg.min);
  const hi = Number.isFinite(arg.max);
  if (lo && hi) return `${show(arg.min)}–${show(arg.max)}`;
  if (lo) return `≥ ${show(arg.min)}`;
  if (hi) return `≤ ${show(arg.max)}`;
  return '';
}

function usageOf(arg: CompiledArg): string {
  const withRange = (text: string) => (text ? `${arg.name} ${text}` : arg.name);
  switch (arg.type) {
    case 'number':
    case 'integer':
      return withRange(rangeText(arg, String));
    case 'percent':
      return withRange(`${rangeText(arg, String)}%`);
    case 'note':
      return withRange(arg.min === 0 && arg.max === 127 ? 'e.g. C4' : rangeText(arg, (v) => formatNote(v)));
    case 'duration':
      return withRange(arg.min === 0 && !Number.isFinite(arg.max) ? 'e.g. 2s' : rangeText(arg, formatDuration));
    case 'enum':
      return withRange([...(arg.values?.values() ?? [])].join('|'));
    case 'user':
      return `@${arg.name}`;
    case 'rest':
      return `${arg.name}…`;
    case 'boolean':
      return withRange('on|off');
    case 'string':
      return arg.name;
  }
}

/** What a viewer must type, for complaints: `a number 0–1`, `a note like C4 or F#3`. */
function expects(arg: CompiledArg): string {
  const range = (show: (v: number) => string) => {
    const text = rangeText(arg, show);
    return text ? ` ${text}` : '';
  };
  switch (arg.type) {
    case 'number':
      return `a number${range(String)}`;
    case 'integer':
      return `a whole number${range(String)}`;
    case 'percent':
      return `a percentage ${rangeText(arg, String)}%`;
    case 'note':
      return arg.min === 0 && arg.max === 127 ? 'a note like C4 or F#3' : `a note ${rangeText(arg, (v) => formatNote(v))}`;
    case 'duration':
      return arg.min === 0 && !Number.isFinite(arg.max)
        ? 'a duration like 500ms or 2s'
        : `a duration ${rangeText(arg, formatDuration)}`;
    case 'enum': {
      const words = [...(arg.values?.values() ?? [])];
      return words.length === 1 ? `"${words[0]}"` : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
    }
    case 'user':
      return 'a user name like @name';
    case 'boolean':
      return 'on or off';
    case 'string':
    case 'rest':
      return 'a word';
  }
}

const ROLE_LABELS: Record<Role, string> = {
  broadcaster: 'the broadcaster',
  mod: 'mods',
  vip: 'VIPs',
  subscriber: 'subscribers',
  member: 'members',
  verified: 'verified users',
};

function describeRoles(roles: ReadonlySet<Role>): string {
  const labels = ROLES.filter((r) => roles.has(r)).map((r) => ROLE_LABELS[r]);
  return labels.length === 1 ? (labels[0] as string) : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`;
}

/** The closest word by edit distance, when it is close enough to be a likely typo. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Reply templates.

type ReplyPart =
  | string
  | { readonly kind: 'user' | 'login' | 'args' | 'count' }
  | { readonly kind: 'var' | 'arg'; readonly key: string };

const PLACEHOLDER = /\{([A-Za-z0-9_.]+)\}/g;

function compileReply(
  template: string,
  argNames: ReadonlySet<string>,
  path: (string | number)[],
  report: Report,
): ReplyPart[] {
  const parts: ReplyPart[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const index = m.index ?? 0;
    if (index > last) parts.push(template.slice(last, index));
    last = index + m[0].length;
    const field = m[1] as string;
    if (field === 'user' || field === 'login' || field === 'args' || field === 'count') {
      parts.push({ kind: field });
    } else if (field.startsWith('var.') && ARG_NAME.test(field.slice(4))) {
      parts.push({ kind: 'var', key: field.slice(4) });
    } else if (field.startsWith('args.') && argNames.has(field.slice(5))) {
      parts.push({ kind: 'arg', key: field.slice(5) });
    } else {
      const args = [...argNames].map((n) => `{args.${n}}`).join(', ');
      report(
        path,
        `Unknown placeholder {${field}}; use {user}, {login}, {args}, {count}, {var.<variable>}${args ? `, ${args}` : ''}`,
      );
    }
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

function renderReply(
  parts: readonly ReplyPart[],
  chat: ChatEvent,
  text: string,
  argsStart: number,
  args: Readonly<Record<string, CommandArg>>,
  count: number,
  variables: ((name: string) => number | undefined) | undefined,
): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    switch (part.kind) {
      case 'user':
        out += chat.author.displayName;
        break;
      case 'login':
        out += chat.author.login;
        break;
      case 'args':
        out += text.slice(argsStart, trimEnd(text, argsStart, text.length));
        break;
      case 'count':
        out += String(count);
        break;
      case 'var': {
        const value = variables?.(part.key);
        out += typeof value === 'number' && Number.isFinite(value) ? formatValue(value) : '?';
        break;
      }
      case 'arg': {
        const value = args[part.key];
        out += value === undefined ? '' : typeof value === 'number' ? formatValue(value) : String(value);
        break;
      }
    }
  }
  // Chat text inside a reply must never become a chat command of the bot (`/ban`, `.timeout`).
  let start = 0;
  for (;;) {
    const c = out.charCodeAt(start);
    if (c === 47 || c === 46) start += 1;
    else {
      const n = spaceLength(out, start);
      if (n === 0) break;
      start += n;
    }
  }
  if (start > 0) out = out.slice(start);
  return out.length > MAX_REPLY ? out.slice(0, MAX_REPLY) : out;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
}

function replyTo(chat: ChatEvent, text: string): ReplyEvent {
  return {
    kind: 'reply',
    platform: chat.platform,
    channel: chat.channel,
    text,
    replyTo: chat.id,
    receivedAt: chat.receivedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// The hot path: scanning chat text without regular expressions.

/** Length of the whitespace (or invisible filler) at `i`: 0, 1, or 2 for a surrogate pair. */
function spaceLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c > 32 && c < 0x7f) return 0;
  if (c === 32 || (c >= 9 && c <= 13)) return 1;
  if (c < 0xa0) return 0;
  if (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200b) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x2800 ||
    c === 0x3000 ||
    c === 0xfeff
  ) {
    return 1;
  }
  // Tag characters U+E0000–U+E007F (7TV and Chatterino append U+E0000 to repeat a message).
  if (c === 0xdb40) {
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdc7f) return 2;
  }
  return 0;
}

function skipSpaces(text: string, pos: number, end: number): number {
  let i = pos;
  while (i < end) {
    const n = spaceLength(text, i);
    if (n === 0) break;
    i += n;
  }
  return i;
}

function tokenEnd(text: string, pos: number, end: number): number {
  let i = pos;
  while (i < end && spaceLength(text, i) === 0) i++;
  return i;
}

/** The end of `text[pos, end)` without trailing whitespace. */
function trimEnd(text: string, pos: number, end: number): number {
  let e = end;
  while (e > pos) {
    if (e - 2 >= pos && spaceLength(text, e - 2) === 2) e -= 2;
    else if (spaceLength(text, e - 1) === 1) e -= 1;
    else break;
  }
  return e;
}

function matchPrefix(prefixes: readonly string[], text: string, pos: number): number {
  for (const prefix of prefixes) {
    if (prefix.length === 1 ? text.charCodeAt(pos) === prefix.charCodeAt(0) : text.startsWith(prefix, pos)) {
      return prefix.length;
    }
  }
  return 0;
}

function lookup(map: ReadonlyMap<string, CompiledCommand>, word: string): CompiledCommand | undefined {
  return map.get(word) ?? map.get(word.toLowerCase());
}

function permitted(allowed: ReadonlySet<Role>, roles: readonly Role[]): boolean {
  for (const role of roles) if (allowed.has(role)) return true;
  return false;
}

function parseArg(arg: CompiledArg, word: string): CommandArg | undefined {
  let value: number | undefined;
  switch (arg.type) {
    case 'string':
      return word;
    case 'number':
      value = parseNumber(word);
      break;
    case 'integer':
      value = parseInteger(word);
      break;
    case 'percent': {
      value = parseNumber(word.endsWith('%') ? word.slice(0, -1) : word);
      if (value === undefined || value < arg.min || value > arg.max) return undefined;
      return value / 100;
    }
    case 'note':
      value = parseNoteArg(word);
      break;
    case 'duration':
      value = word.length <= 24 ? parseDuration(word.toLowerCase()) : undefined;
      break;
    case 'enum':
      return word.length <= 64 ? arg.values?.get(word.toLowerCase()) : undefined;
    case 'user':
      return parseUser(word);
    case 'boolean':
      return parseBoolean(word);
    case 'rest':
      return word;
  }
  if (value === undefined || value < arg.min || value > arg.max) return undefined;
  return value;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * A decimal number as people type it: `0.7`, `-3`, `.5`, `1e3`, `0,7` (decimal comma),
 * `−2` (Unicode minus). No hex, no `Infinity`, no spaces. Undefined otherwise.
 */
function parseNumber(word: string): number | undefined {
  const len = word.length;
  if (len === 0 || len > 64) return undefined;
  let i = 0;
  let rewrite = false;
  let c = word.charCodeAt(0);
  if (c === 43 || c === 45) i = 1;
  else if (c === 0x2212) {
    i = 1;
    rewrite = true;
  }
  let digits = 0;
  let separator = false;
  for (; i < len; i++) {
    c = word.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if ((c === 46 || c === 44) && !separator) {
      separator = true;
      if (c === 44) rewrite = true;
    } else break;
  }
  if (digits === 0) return undefined;
  if (i < len) {
    if (c !== 101 && c !== 69) return undefined;
    i++;
    c = word.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    const start = i;
    while (i < len && isDigit(word.charCodeAt(i))) i++;
    if (i === start || i !== len) return undefined;
  }
  const value = Number(rewrite ? word.replace(',', '.').replace('\u2212', '-') : word);
  return Number.isFinite(value) ? value : undefined;
}

/** A whole number: optional sign and digits only. */
function parseInteger(word: string): number | undefined {
  const len = word.length;
  if (len === 0 || len > 17) return undefined;
  let i = word.charCodeAt(0) === 45 || word.charCodeAt(0) === 43 ? 1 : 0;
  if (i === len) return undefined;
  for (; i < len; i++) if (!isDigit(word.charCodeAt(i))) return undefined;
  const value = Number(word);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A note name (`C4`, `F#3`, `Bb2`) or a MIDI note number (`60`). */
function parseNoteArg(word: string): number | undefined {
  return isDigit(word.charCodeAt(0)) ? parseInteger(word) : parseNote(word);
}

/** `@Name` or `Name` → `name`; letters, digits, `_`, `.` and `-`, at most 64. */
function parseUser(word: string): string | undefined {
  const start = word.charCodeAt(0) === 64 ? 1 : 0;
  const len = word.length;
  if (len === start || len - start > 64) return undefined;
  for (let i = start; i < len; i++) {
    const c = word.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 46 || c === 45;
    if (!ok) return undefined;
  }
  return (start ? word.slice(1) : word).toLowerCase();
}

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['on', true],
  ['yes', true],
  ['true', true],
  ['1', true],
  ['off', false],
  ['no', false],
  ['false', false],
  ['0', false],
]);

function parseBoolean(word: string): boolean | undefined {
  return word.length <= 5 ? BOOLEANS.get(word.toLowerCase()) : undefined;
}
