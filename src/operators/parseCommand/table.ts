/**
 * The compiled command table of `parse_command`: the config validated and compiled once per
 * node into lookup maps, usage lines, the complaints viewers read, and reply templates.
 * `ParseCommandConfig` validates through {@link compileTable}, so a config that parses always
 * compiles.
 */
import { type ChatEvent, type CommandArg, ROLES, type Role } from '../../core/events.js';
import { formatReplyNumber, withoutCommandStart } from '../../core/reply.js';
import { suggest } from '../../core/suggest.js';
import { formatDuration, parseDuration } from '../../core/units.js';
import { formatNote } from '../shared/music.js';
import {
  ARG_TYPES,
  type ArgType,
  type CompiledArg,
  parseInteger,
  parseNoteArg,
  parseNumber,
  trimEnd,
} from './args.js';
import { type CommandSpec, MAX_REPLY } from './spec.js';

/**
 * Arg names downstream operators give a meaning to, so chat can never set them: `control`
 * reads `subcommand` and `origin`, `vote` writes `voters`.
 */
const RESERVED_ARGS: ReadonlySet<string> = new Set(['subcommand', 'origin', 'voters']);
const ARG_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** One command or subcommand, ready for matching. */
export interface CompiledCommand {
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

/** A whole `parse_command` config, compiled. */
export interface CompiledTable {
  /** Lower-case name or alias → command. */
  readonly commands: ReadonlyMap<string, CompiledCommand>;
  /** Longest first. */
  readonly prefixes: readonly string[];
  /** Number of commands and subcommands (the length of the use counts). */
  readonly size: number;
}

type Report = (path: (string | number)[], message: string) => void;
/**
 * What the table reads of a parsed `ParseCommandConfig` (config.ts), which validates through
 * {@link compileTable}.
 */
export interface TableConfig {
  readonly prefix: string | readonly string[];
  readonly commands: Readonly<Record<string, CommandSpec>>;
}
type SubcommandSpec = NonNullable<CommandSpec['subcommands']>[string];
type ArgSpec = CommandSpec['args'][number];

/** Compiles (and validates, through `report`) a whole config. */
export function compileTable(config: TableConfig, report: Report): CompiledTable {
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
function compileArg(spec: ArgSpec): CompiledArg | string {
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
    const hint = suggest(type, ARG_TYPES);
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

// ---------------------------------------------------------------------------------------------
// Reply templates.

type ReplyPart =
  | string
  | { readonly kind: 'user' | 'login' | 'args' | 'count' }
  | { readonly kind: 'var' | 'arg'; readonly key: string };

/** `{field}`, or `{{ field }}` as in every other template of a pipeline. */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}|\{([A-Za-z0-9_.]+)\}/g;

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
    const field = (m[1] ?? m[2]) as string;
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

/** Renders a compiled reply for one parsed command. */
export function renderReply(
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
        out += typeof value === 'number' && Number.isFinite(value) ? formatReplyNumber(value) : '?';
        break;
      }
      case 'arg': {
        const value = args[part.key];
        out += value === undefined ? '' : typeof value === 'number' ? formatReplyNumber(value) : String(value);
        break;
      }
    }
  }
  // Chat text inside a reply must never become a chat command of the bot (`/ban`, `.timeout`).
  out = withoutCommandStart(out);
  return out.length > MAX_REPLY ? out.slice(0, MAX_REPLY) : out;
}


