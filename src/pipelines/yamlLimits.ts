/**
 * The limits a pipeline file is held to before yaml builds it, so that any file is accepted or
 * refused within a couple of seconds: its size, how many values it holds, and how many anchors
 * and aliases. Counted with yaml's lexer, which reads `"*a"` and `# *a` as text, not aliases.
 */
import { Lexer } from 'yaml';
import type { Position } from '../core/pipelineGraph.js';

/** The largest pipeline file read: 1 MiB, a hundred times a big hand-written pipeline. */
export const MAX_FILE_BYTES = 1024 * 1024;
/**
 * The most values (scalars, aliases, `[…]` and `{…}`) one file may hold. A chain of 20,000
 * nodes holds about 140,000; a megabyte of `1,1,1,…` holds 500,000, which yaml takes seconds
 * to build.
 */
export const MAX_VALUES = 200_000;
/** The most anchors (`&name`) and aliases (`*name`) one file may hold together. */
export const MAX_REFERENCES = 1000;

export interface LimitProblem {
  readonly rule: 'file_too_large' | 'too_many_values' | 'too_many_aliases';
  readonly message: string;
  /** Where the limit was passed; line 0 for the whole file. */
  readonly at: Position;
}

/** The file's size against {@link MAX_FILE_BYTES}; undefined when it is within it. */
export function sizeProblem(bytes: number): LimitProblem | undefined {
  if (bytes <= MAX_FILE_BYTES) return undefined;
  const mib = (bytes / MAX_FILE_BYTES).toFixed(1);
  return {
    rule: 'file_too_large',
    message: `The file is ${bytes} bytes (${mib} MiB); a pipeline file may be at most 1 MiB (${MAX_FILE_BYTES} bytes). Is this the pipeline you meant?`,
    at: { line: 0, col: 0 },
  };
}

/** The lexer's tokens that mark structure and are not text of the file. */
const MARKERS: ReadonlySet<string> = new Set(['\x02', '\x18', '\x1f']);
/** The marker yaml's lexer puts before every plain or block scalar. */
const SCALAR = '\x1f';

/**
 * The first limit `text` passes, where. yaml's maxAliasCount bounds how far aliases of
 * collections expand, not how many aliases there are: each one (of a scalar too) is a node to
 * build and, in toJS, a scan of every anchor and alias before it. Lexing costs a fraction of
 * parsing, and only a file that could pass a limit is lexed (a value takes at least 2 bytes).
 */
export function lexicalProblem(text: string): LimitProblem | undefined {
  const references = countOf(text, '*') + countOf(text, '&');
  if (references <= MAX_REFERENCES && text.length <= 2 * MAX_VALUES) return undefined;
  let values = 0;
  let aliases = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    const first = token[0];
    if (first === '*' || first === '&') {
      if (++aliases > MAX_REFERENCES) {
        const message = `Too many anchors and aliases: a pipeline file may hold at most ${MAX_REFERENCES} (&name and *name together); write values out instead`;
        return { rule: 'too_many_aliases', message, at: positionInText(text, offset) };
      }
    }
    const value = token === SCALAR || first === '"' || first === "'" || first === '[' || first === '{' || first === '*';
    if (value && ++values > MAX_VALUES) {
      const message = `Too many values: a pipeline file may hold at most ${MAX_VALUES} (scalars, lists and mappings); is this the pipeline you meant?`;
      return { rule: 'too_many_values', message, at: positionInText(text, offset) };
    }
    if (!MARKERS.has(token)) offset += token.length;
  }
  return undefined;
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) count++;
  return count;
}

/** The 1-based line and column of an offset, without a LineCounter (nothing is parsed yet). */
function positionInText(text: string, offset: number): Position {
  let line = 1;
  let start = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line++;
    start = at + 1;
  }
  return { line, col: offset - start + 1 };
}
