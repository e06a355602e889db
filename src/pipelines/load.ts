/**
 * Reads pipeline.yaml into a YAML document that keeps every node's position, resolves
 * `${VAR}` references once, and turns YAML's own errors into {@link ConfigIssue}s.
 */
import { readFileSync } from 'node:fs';
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLError,
} from 'yaml';
import { type ConfigIssue, PipelineError } from '../core/errors.js';
import { SECTIONS } from '../core/registry.js';
import { type Env, interpolate } from './interpolate.js';
import { IssueList } from './issues.js';
import { type Path, type PathSegment, pathAtOffset, positionOfOffset } from './positions.js';

export type { Env } from './interpolate.js';

export interface LoadedPipeline {
  /** The file it was read from, as given (or the name passed with the text). */
  readonly file: string;
  /** The document with `${…}` already resolved; nodes keep their source ranges. */
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /**
   * The document as plain values, or undefined when a syntax error leaves it unreliable
   * (then only {@link issues} are worth reporting). Duplicate keys are not such an error.
   */
  readonly value: unknown;
  /** YAML errors and warnings and `${…}` problems, in file order. */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Parses pipeline YAML from a string.
 *
 * @param text The file's contents.
 * @param options `file` names it in issues; `env` is what `${VAR}` reads (pass `process.env`).
 */
export function loadText(text: string, options: { file: string; env: Env }): LoadedPipeline {
  const lineCounter = new LineCounter();
  // prettyErrors off: we place errors ourselves, and want YAML's message without a code frame.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const located = { file: options.file, doc, lineCounter };
  const list = new IssueList(located);

  for (const error of doc.errors) reportYamlError(list, located, error, 'error');
  for (const warning of doc.warnings) reportYamlError(list, located, warning, 'warning');
  reportUnknownAliases(list, doc);
  interpolateScalars(list, doc, options.env);

  // Only duplicate keys leave a document whose every other part is still what was written.
  // An unresolved `${…}` is not: that scalar keeps its text and everything else is checked.
  let fatal = doc.errors.some((e) => e.code !== 'DUPLICATE_KEY') || list.issues.some((i) => i.rule === 'yaml_syntax');
  let value: unknown;
  if (!fatal) {
    try {
      value = doc.toJS();
    } catch (err) {
      // toJS throws on alias bombs (maxAliasCount) and the like.
      list.error('yaml_syntax', [], `Invalid YAML: ${(err as Error).message}`, { at: { line: 1, col: 1 } });
      fatal = true;
    }
  }
  return { file: options.file, doc, lineCounter, value: fatal ? undefined : value, issues: list.sorted() };
}

/**
 * Reads and parses a pipeline file (see {@link loadText}).
 *
 * @throws PipelineError `ERR_CONFIG_IO` when the file can't be read.
 */
export function loadFile(file: string, options: { env: Env }): LoadedPipeline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PipelineError('ERR_CONFIG_IO', 'config', `Cannot read pipeline file "${file}".`, { cause: err });
  }
  return loadText(text, { file, env: options.env });
}

interface LocatedDoc {
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}

/** YAML messages that speak to the library's user rather than to the file's author. */
const REWORDED: Partial<Record<YAMLError['code'], string>> = {
  MULTIPLE_DOCS: 'a pipeline file holds one document; remove the second "---"',
};

function reportYamlError(
  list: IssueList,
  located: LocatedDoc,
  error: YAMLError,
  severity: 'error' | 'warning',
): void {
  const at = positionOfOffset(located.lineCounter, error.pos[0]);
  if (error.code === 'DUPLICATE_KEY' && reportDuplicateKey(list, located, error.pos[0])) return;
  const message = REWORDED[error.code] ?? error.message;
  const path = pathAtOffset(located.doc, error.pos[0]);
  if (severity === 'error') list.error('yaml_syntax', path, `Invalid YAML: ${message}`, { at });
  else list.warn('yaml_warning', path, `YAML: ${message}`, { at });
}

/** Names the repeated key and where it was first written; false when the key isn't found. */
function reportDuplicateKey(list: IssueList, located: LocatedDoc, offset: number): boolean {
  const found = findKeyAt(located.doc.contents, [], offset);
  if (!found) return false;
  const { path, key, first } = found;
  const firstLine = positionOfOffset(located.lineCounter, first.range?.[0] ?? 0).line;
  const at = positionOfOffset(located.lineCounter, offset);
  const [section] = path;
  if (path.length === 2 && SECTIONS.some((s) => s === section)) {
    list.error('duplicate_id', path, `Node id "${key}" is defined twice in ${section} (first at line ${firstLine})`, {
      at,
    });
  } else {
    list.error('duplicate_key', path, `Key "${key}" is written twice (first at line ${firstLine})`, { at });
  }
  return true;
}

/** The map key starting at `offset`, with its path and the earlier key it repeats. */
function findKeyAt(
  node: unknown,
  path: PathSegment[],
  offset: number,
): { path: PathSegment[]; key: string; first: Node } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (pair.key.range?.[0] === offset) {
        const first = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.key as Node;
        return { path: [...path, key], key, first };
      }
      const inner = findKeyAt(pair.value, [...path, key], offset);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const inner = findKeyAt(item, [...path, index], offset);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** YAML itself accepts `*name` before `&name`; toJS would then throw without a position. */
function reportUnknownAliases(list: IssueList, doc: Document): void {
  walk(doc.contents, [], {
    alias: (alias, path) => {
      if (alias.resolve(doc) === undefined) {
        list.error('yaml_syntax', path, `Invalid YAML: unknown alias *${alias.source}; define &${alias.source} before it`);
      }
    },
  });
}

/** Resolves `${…}` in every string value (not in keys) and records what could not be. */
function interpolateScalars(list: IssueList, doc: Document, env: Env): void {
  walk(doc.contents, [], {
    scalar: (scalar, path) => {
      if (typeof scalar.value !== 'string') return;
      const result = interpolate(scalar.value, env);
      if (result.problems.length > 0) {
        // Left as written, so the value's own checks don't pile a second error on this one.
        for (const problem of result.problems) list.error(problem.rule, path, problem.message);
        return;
      }
      if (result.value === scalar.value) return;
      // `"${ENABLED:-false}"` means the boolean, `"${N:-20}"` the number: a value that is one
      // reference is read again as a plain scalar. An explicit tag (`!!str`) keeps it a string.
      scalar.value = result.whole && !scalar.tag ? plainScalar(doc, result.value) : result.value;
    },
  });
}

/** What YAML would make of `text` written unquoted: a boolean, number, null, or the string. */
function plainScalar(doc: Document, text: string): unknown {
  // YAML reads an empty plain scalar as null; `token: "${TOKEN:-}"` means the empty string.
  if (text === '' || text.trim() !== text) return text;
  for (const tag of doc.schema.tags) {
    if (tag.collection || tag.default !== true || !tag.test?.test(text)) continue;
    const resolved = tag.resolve(text, () => undefined, doc.options);
    return isScalar(resolved) ? resolved.value : resolved;
  }
  return text;
}

interface Visitor {
  scalar?: (scalar: Scalar, path: Path) => void;
  alias?: (alias: Alias, path: Path) => void;
}

/** Visits value nodes depth-first with their paths; keys and alias targets are not entered. */
function walk(node: unknown, path: PathSegment[], visitor: Visitor): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      walk(pair.value, [...path, key], visitor);
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) walk(item, [...path, index], visitor);
  } else if (isAlias(node)) {
    visitor.alias?.(node, path);
  } else if (isScalar(node)) {
    visitor.scalar?.(node, path);
  }
}
