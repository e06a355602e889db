/**
 * The `{{ field }}` reply templates of `text_commands`: compiled once per node, their fields
 * checked when the config is validated, rendered per command with a few string joins.
 */
import type { ChatEvent } from '../../core/events.js';
import { formatReplyNumber } from '../../core/reply.js';
import { suggest } from '../../core/suggest.js';
import { VARIABLE_NAME } from '../../core/variables.js';

/** The fields a reply may use; `args.<n>` and `var.<name>` besides. */
export const REPLY_FIELDS = ['user', 'login', 'platform', 'channel', 'args', 'count', 'commands'] as const;
type Field = (typeof REPLY_FIELDS)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w]*(?:\.\w+)*)\s*\}\}/g;
const STRAY = /\{\{|\}\}/;
const WORD_INDEX = /^[0-9]$/;

export type ReplyPart =
  | string
  | { readonly kind: Field }
  | { readonly kind: 'word'; readonly index: number }
  | { readonly kind: 'var'; readonly name: string };

/** What one reply is rendered from. */
export interface ReplyValues {
  readonly chat: ChatEvent;
  /** The words after the command. */
  readonly words: readonly string[];
  /** The count of the command's counter, when its reply uses `{{ count }}` (`?` when unknown). */
  readonly count?: number | undefined;
  /** Current values of control variables, by name. */
  readonly variables: ReadonlyMap<string, number>;
  /** The `!help` list. */
  readonly commands?: string;
}

/** Compiles a template, reporting each problem (unknown field, stray braces) to `report`. */
export function compileReply(template: string, report: (message: string) => void): ReplyPart[] {
  const parts: ReplyPart[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const index = m.index ?? 0;
    if (index > last) parts.push(template.slice(last, index));
    last = index + m[0].length;
    const path = m[1] as string;
    const dot = path.indexOf('.');
    const root = dot < 0 ? path : path.slice(0, dot);
    const rest = dot < 0 ? '' : path.slice(dot + 1);
    if (dot < 0 && (REPLY_FIELDS as readonly string[]).includes(root)) parts.push({ kind: root as Field });
    else if (root === 'args' && WORD_INDEX.test(rest)) parts.push({ kind: 'word', index: Number(rest) });
    else if (root === 'var' && VARIABLE_NAME.test(rest)) parts.push({ kind: 'var', name: rest });
    else {
      const hint = suggest(path, [...REPLY_FIELDS, 'args.0', 'var.cutoff']);
      report(
        `Unknown reply field "${path}"${hint ? `; did you mean "${hint}"?` : ''} (fields: ${REPLY_FIELDS.join(', ')}, args.0 … args.9, var.<variable>)`,
      );
    }
  }
  const tail = template.slice(last);
  if (tail) parts.push(tail);
  if (STRAY.test(parts.filter((p) => typeof p === 'string').join(''))) {
    report(`Unbalanced "{{ }}" in template "${template}"`);
  }
  return parts;
}

/** Whether a compiled reply reads the command's counter. */
export const usesCount = (parts: readonly ReplyPart[]): boolean =>
  parts.some((p) => typeof p !== 'string' && p.kind === 'count');

/** Renders a compiled reply; a missing word renders empty, an unknown variable or count `?`. */
export function renderReply(parts: readonly ReplyPart[], values: ReplyValues): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    switch (part.kind) {
      case 'user':
        out += values.chat.author.displayName;
        break;
      case 'login':
        out += values.chat.author.login;
        break;
      case 'platform':
        out += values.chat.platform;
        break;
      case 'channel':
        out += values.chat.channel;
        break;
      case 'args':
        out += values.words.join(' ');
        break;
      case 'word':
        out += values.words[part.index] ?? '';
        break;
      case 'count':
        out += values.count === undefined ? '?' : String(values.count);
        break;
      case 'commands':
        out += values.commands ?? '';
        break;
      case 'var': {
        const value = values.variables.get(part.name);
        out += value === undefined ? '?' : formatReplyNumber(value);
        break;
      }
    }
  }
  return out;
}

