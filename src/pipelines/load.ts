/**
 * Reads pipeline.yaml into a YAML document that keeps every node's position, resolves
 * `${VAR}` references once, and turns YAML's own errors into {@link ConfigIssue}s.
 */
import { readFileSync, statSync } from 'node:fs';
import { Document, isScalar, LineCounter, parseDocument, type Scalar, type YAMLError } from 'yaml';
import { type ConfigIssue, PipelineError } from '../core/errors.js';
import { SECTIONS } from '../core/registry.js';
import { type DocumentScan, pathOf, scanDocument, visitNodes } from './documentScan.js';
import { type Env, interpolate } from './interpolate.js';
import { IssueList } from './issues.js';
import { pathAtOffset, Positions, positionOfOffset } from './positions.js';
import { type LimitProblem, lexicalProblem, sizeProblem } from './yamlLimits.js';
import { firstSyntaxError } from './yamlSyntax.js';

export type { Env } from './interpolate.js';

export { MAX_FILE_BYTES, MAX_REFERENCES, MAX_VALUES } from './yamlLimits.js';

export interface LoadedPipeline {
  /** The file it was read from, as given (or the name passed with the text). */
  readonly file: string;
  /** The document with `${…}` already resolved; nodes keep their source ranges. */
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** Where each path of the document is. */
  readonly positions: Positions;
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
  const limit = sizeProblem(Buffer.byteLength(text, 'utf8')) ?? lexicalProblem(text);
  if (limit) return refused(options.file, limit);
  const lineCounter = new LineCounter();
  // prettyErrors off: we place errors ourselves, and want YAML's message without a code frame.
  // uniqueKeys off: yaml's check compares each key with every earlier one of its mapping, which
  // is quadratic in a mapping's size; scanDocument finds repeated keys in one pass instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const scan = scanDocument(doc);
  const positions = new Positions(doc, lineCounter, scan.aliasTargets);
  const located = { file: options.file, positions };
  const list = new IssueList(located);
  const result = (value: unknown): LoadedPipeline => ({
    file: options.file,
    doc,
    lineCounter,
    positions,
    value,
    issues: list.sorted(),
  });

  // After one syntax error yaml reports a cascade about everything below it; only the first is
  // the author's mistake, and the document's other problems would be guesses.
  const syntax = firstSyntaxError(doc.errors, text, lineCounter);
  if (syntax) {
    const path = pathAtOffset(doc, syntax.offset);
    list.error('yaml_syntax', syntax.misreadKey ? path.slice(0, -1) : path, syntax.message, { at: syntax.at });
    return result(undefined);
  }
  for (const warning of doc.warnings) reportYamlWarning(list, lineCounter, doc, warning);
  reportDuplicateKeys(list, lineCounter, scan);
  for (const { alias, path } of scan.unknownAliases) {
    list.error('yaml_syntax', path, `Invalid YAML: unknown alias *${alias.source}; define &${alias.source} before it`);
  }
  interpolateScalars(list, doc, options.env);

  // Only duplicate keys leave a document whose every other part is still what was written.
  // An unresolved `${…}` is not: that scalar keeps its text and everything else is checked.
  if (scan.unknownAliases.length > 0) return result(undefined);
  try {
    return result(doc.toJS());
  } catch (err) {
    // yaml's maxAliasCount: aliases of collections that hold aliases, expanding out of bounds.
    list.error('yaml_syntax', [], `Invalid YAML: ${(err as Error).message}; write the values out instead of nesting aliases`, {
      at: { line: 1, col: 1 },
    });
    return result(undefined);
  }
}

/**
 * Reads and parses a pipeline file (see {@link loadText}); a file above
 * {@link MAX_FILE_BYTES} is refused without being read.
 *
 * @throws PipelineError `ERR_CONFIG_IO` when the file can't be read.
 */
export function loadFile(file: string, options: { env: Env }): LoadedPipeline {
  let text: string;
  try {
    const { size } = statSync(file);
    const tooLarge = sizeProblem(size);
    if (tooLarge) return refused(file, tooLarge);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PipelineError('ERR_CONFIG_IO', 'config', `Cannot read pipeline file "${file}".`, { cause: err });
  }
  return loadText(text, { file, env: options.env });
}

/** A file refused before it is parsed: an empty document with one issue. */
function refused(file: string, { rule, message, at }: LimitProblem): LoadedPipeline {
  const lineCounter = new LineCounter();
  // Nothing of the file is parsed: an empty document stands for it.
  const doc = new Document(null) as Document.Parsed;
  const positions = new Positions(doc, lineCounter, new Map());
  const list = new IssueList({ file, positions });
  list.error(rule, [], message, { at });
  return { file, doc, lineCounter, positions, value: undefined, issues: list.sorted() };
}

function reportYamlWarning(list: IssueList, lineCounter: LineCounter, doc: Document, warning: YAMLError): void {
  const at = positionOfOffset(lineCounter, warning.pos[0]);
  list.warn('yaml_warning', pathAtOffset(doc, warning.pos[0]), `YAML: ${warning.message}`, { at });
}

/** Names each repeated key and where it was first written. */
function reportDuplicateKeys(list: IssueList, lineCounter: LineCounter, scan: DocumentScan): void {
  for (const { path, key, at, first } of scan.duplicates) {
    const firstLine = positionOfOffset(lineCounter, first.range?.[0] ?? 0).line;
    const where = { at: positionOfOffset(lineCounter, at.range?.[0] ?? 0) };
    const [section] = path;
    if (path.length === 2 && SECTIONS.some((s) => s === section)) {
      list.error('duplicate_id', path, `Node id "${key}" is defined twice in ${section} (first at line ${firstLine})`, where);
    } else {
      list.error('duplicate_key', path, `Key "${key}" is written twice (first at line ${firstLine})`, where);
    }
  }
}

/** Resolves `${…}` in every string value (not in keys) and records what could not be. */
function interpolateScalars(list: IssueList, doc: Document, env: Env): void {
  for (const visit of visitNodes(doc)) {
    const scalar = visit.node;
    // Keys (no segment, except the document itself) keep their text.
    if (!isScalar(scalar) || typeof scalar.value !== 'string' || !isValue(visit)) continue;
    const result = interpolate(scalar.value, env);
    if (result.problems.length > 0) {
      // Left as written, so the value's own checks don't pile a second error on this one.
      const path = pathOf(visit);
      for (const problem of result.problems) list.error(problem.rule, path, problem.message);
      continue;
    }
    if (result.value === scalar.value) continue;
    // `"${ENABLED:-false}"` means the boolean, `"${N:-20}"` the number: a value that is one
    // reference is read again as a plain scalar. An explicit tag (`!!str`) keeps it a string.
    (scalar as Scalar).value = result.whole && !scalar.tag ? plainScalar(doc, result.value) : result.value;
  }
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

/** Whether a visited node is a value (the document, an item, a pair's value), not a key. */
function isValue(visit: { parent: unknown; segment: unknown }): boolean {
  return visit.parent === undefined || visit.segment !== undefined;
}
