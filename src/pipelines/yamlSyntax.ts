/**
 * A YAML syntax error, said once: the first one in the file, where the mistake is, with what
 * to do. One misplaced space makes yaml report a cascade of errors about everything after it;
 * only the first is the streamer's mistake.
 */
import type { LineCounter, YAMLError } from 'yaml';
import type { Position } from '../core/pipelineGraph.js';
import { positionOfOffset } from './positions.js';

export const CHECK_INDENT = 'check the indentation of this line against the one above';

/** yaml's messages that speak to the library's user rather than to the file's author. */
const REWORDED: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'YAML uses spaces for indentation, not tabs; replace the tabs at the start of this line with spaces',
  MULTIPLE_DOCS: 'a pipeline file holds one document; remove the second "---"',
};

/** What to do, after yaml's message. */
const HINTS: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: CHECK_INDENT,
  BLOCK_AS_IMPLICIT_KEY:
    'a value cannot hold a "key: value" on the same line; move it to its own line, indented under its key, or write it as { key: value }',
};

/** The codes yaml reports when a line it took for the continuation of a key or value holds `key:`. */
const CONTINUATION: ReadonlySet<YAMLError['code']> = new Set(['BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

export interface SyntaxProblem {
  readonly message: string;
  readonly at: Position;
  /** Where yaml put it, for the path. */
  readonly offset: number;
  /** The innermost key at `offset` is the misread one (`user rate`), not a key of the file. */
  readonly misreadKey?: true;
}

/** The first of `errors` in the file, reworded with what to do; undefined when there is none. */
export function firstSyntaxError(
  errors: readonly YAMLError[],
  text: string,
  lineCounter: LineCounter,
): SyntaxProblem | undefined {
  const first = [...errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (!first) return undefined;
  const offset = first.pos[0];
  if (CONTINUATION.has(first.code)) {
    // `per: user` then `     rate: 1/2s` indented deeper: yaml reads `user rate` as one key
    // spanning both lines and complains at the first; the mistake is the second line.
    const span = errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY' && e.pos[0] === offset);
    const from = positionOfOffset(lineCounter, offset);
    const to = span ? positionOfOffset(lineCounter, span.pos[1]) : from;
    if (to.line > from.line) {
      const start = lineCounter.lineStarts[to.line - 1] ?? 0;
      const indent = /^[ \t]*/.exec(text.slice(start, start + 1024))?.[0].length ?? 0;
      return {
        message: `Invalid YAML: this line is indented deeper than a new key would be, so it reads as part of line ${from.line}; ${CHECK_INDENT}`,
        at: positionOfOffset(lineCounter, start + indent),
        offset: start + indent,
        misreadKey: true,
      };
    }
  }
  const hint = HINTS[first.code];
  const message = REWORDED[first.code] ?? (hint ? `${first.message.replace(/\.$/, '')}; ${hint}` : first.message);
  return {
    message: `Invalid YAML: ${message}`,
    at: positionOfOffset(lineCounter, offset),
    offset,
  };
}
