/**
 * Every ```yaml block of README.md and docs/*.md that is a pipeline or a node is validated as
 * `chatflow validate` would, files included (relative to the repository root, where
 * pipeline.yaml lives): a snippet a reader copies must not be refused by `run`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, type Pair } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { type ConfigIssue, formatIssue } from '../../src/core/errors.js';
import { type Registry, SECTIONS, type Section } from '../../src/core/registry.js';
import { checkNode, NodeSchemas } from '../../src/pipelines/checkNode.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { IssueList } from '../../src/pipelines/issues.js';
import { type LoadedPipeline, loadText } from '../../src/pipelines/load.js';
import { positionOfOffset } from '../../src/pipelines/positions.js';
import { parseTestFile } from '../../src/testing/loadTestFile.js';
import { prepareTests } from '../../src/testing/runTests.js';

const ROOT = process.cwd();
const registry = defaultRegistry();
const TOP_LEVEL = new Set<string>(['version', 'server', 'resources', 'clock', ...SECTIONS]);
/**
 * Rules about a node's place in a whole pipeline, which a snippet of one node or one section
 * leaves to the reader's own file: its inputs, and the repeated ids of alternatives.
 */
const CONTEXT_RULES = new Set(['missing_inputs', 'duplicate_key', 'duplicate_id']);

interface Snippet {
  readonly file: string;
  /** Line of the block's first line in the Markdown file. */
  readonly line: number;
  readonly text: string;
}

/** The ```yaml blocks of a Markdown file. */
function yamlBlocks(file: string): Snippet[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```ya?ml\s*$/.test(lines[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] as string)) end++;
    blocks.push({ file, line: start + 1, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/**
 * Errors of a test file snippet (`pipeline:` and `tests:`), checked as `chatflow test` checks
 * one before running it (its pipeline relative to the repository root); undefined for others.
 */
function testFileErrors(snippet: Snippet): string[] | undefined {
  if (!/^pipeline:/m.test(snippet.text) || !/^tests:/m.test(snippet.text)) return undefined;
  const loaded = parseTestFile(snippet.text, snippet.file);
  const { configErrors } = prepareTests(loaded, join(ROOT, 'snippet.test.yaml'), registry);
  return configErrors.map((error) => `${snippet.file}:${snippet.line}: in this test file snippet: ${error}`);
}

/** Errors of a snippet that is a pipeline, a node or a test file; undefined when it is none. */
function snippetErrors(snippet: Snippet): string[] | undefined {
  const asTestFile = testFileErrors(snippet);
  if (asTestFile !== undefined) return asTestFile;
  const loaded = loadText(snippet.text, { file: join(ROOT, snippet.file), env: readerEnv(snippet.text) });
  const root = loaded.doc.contents;
  if (!isMap(root)) return undefined;
  const pairs = root.items as Pair[];
  const keys = pairs.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
  const list = new IssueList(loaded);
  let issues: readonly ConfigIssue[];
  if (keys.includes('version')) {
    issues = buildGraph(loaded, registry).issues;
  } else if (keys.every((key) => TOP_LEVEL.has(key)) && keys.some((key) => SECTIONS.includes(key as Section))) {
    list.addAll(loaded.issues);
    for (const pair of pairs) {
      const section = String((pair.key as { value: unknown }).value);
      if (!SECTIONS.includes(section as Section) || !isMap(pair.value)) continue;
      for (const node of pair.value.items as Pair[]) checkOne(list, loaded, section as Section, node);
    }
    issues = list.issues;
  } else if (keys.includes('type')) {
    // A node's own keys (the reference's examples): checked as the node `snippet`.
    const section = sectionOf(registry, loaded.value);
    if (!section) return undefined;
    issues = underSection(section, `snippet:\n${indent(snippet.text, 2)}`, loaded.file, 2, 2);
  } else if (pairs.length > 0 && pairs.every((pair) => sectionOf(registry, plain(loaded, pair)))) {
    // Nodes by id (`mod: { type: moderate, … }`): checked under their section.
    const section = sectionOf(registry, plain(loaded, pairs[0] as Pair)) as Section;
    issues = underSection(section, snippet.text, loaded.file, 1, 2);
  } else {
    return undefined;
  }
  return issues
    .filter((issue) => issue.severity === 'error' && !CONTEXT_RULES.has(issue.rule))
    .map((issue) => formatIssue({ ...issue, file: snippet.file, line: issue.line + snippet.line - 1 }));
}

/**
 * Checks the nodes of `text` placed under `section:`, with positions mapped back to `text`
 * (`lines` lines were added above it, each of its lines indented by `by` more).
 */
function underSection(section: Section, text: string, file: string, lines: number, by: number): ConfigIssue[] {
  const wrapped = loadText(`${section}:\n${indent(text, 2)}`, { file, env: readerEnv(text) });
  const list = new IssueList(wrapped);
  list.addAll(wrapped.issues);
  const root = wrapped.doc.contents;
  const nodes = isMap(root) && isMap((root.items[0] as Pair).value) ? ((root.items[0] as Pair).value as { items: Pair[] }).items : [];
  for (const pair of nodes) {
    // Each node under its own type's section (a block may mix them); positions follow the text.
    checkOne(list, wrapped, sectionOf(registry, plain(wrapped, pair)) ?? section, pair);
  }
  return list.issues.map((issue) => ({ ...issue, line: issue.line - lines, col: Math.max(1, issue.col - by) }));
}

function plain(loaded: LoadedPipeline, pair: Pair): unknown {
  return isMap(pair.value) ? pair.value.toJS(loaded.doc) : undefined;
}

function checkOne(list: IssueList, loaded: LoadedPipeline, section: Section, pair: Pair): void {
  const id = isScalar(pair.key) ? String(pair.key.value) : '';
  const raw = isMap(pair.value) ? pair.value.toJS(loaded.doc) : pair.value;
  const position = positionOfOffset(loaded.lineCounter, (pair.key as { range?: [number] }).range?.[0] ?? 0);
  checkNode(list, registry, new NodeSchemas(), section, id, raw, position, ROOT);
}

/** A `${NAME}` without a default is the reader's to set (an API key): set, as they would. */
function readerEnv(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => [m[1] as string, 'set-by-reader']));
}

/** The section a node of this type belongs in, if its `type` is a component's. */
function sectionOf(reg: Registry, node: unknown): Section | undefined {
  const type = (node as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return undefined;
  return SECTIONS.find((section) => reg[section].has(type));
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => `${pad}${line}`)
    .join('\n');
}

const FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('the YAML in the README and docs', () => {
  it.each(FILES)('%s: every pipeline and node snippet validates, files included', (file) => {
    const blocks = yamlBlocks(file);
    const errors = blocks.flatMap((block) => snippetErrors(block) ?? []);
    expect(errors).toEqual([]);
  });

  it('finds the snippets it checks (a pipeline, sections and nodes), so it cannot pass by reading nothing', () => {
    const checked = FILES.flatMap(yamlBlocks).filter((block) => snippetErrors(block) !== undefined);
    const readme = checked.filter((block) => block.file === 'README.md');
    expect(readme.some((block) => block.text.includes('version: 1'))).toBe(true);
    expect(readme.some((block) => block.text.includes('type: moderate'))).toBe(true);
    expect(checked.some((block) => block.file === 'docs/components.md')).toBe(true);
    expect(checked.some((block) => block.file === 'docs/testing.md' && block.text.startsWith('# yaml-language-server'))).toBe(true);
    expect(readme.some((block) => block.text.includes('tests:'))).toBe(true);
    expect(checked.length).toBeGreaterThan(40);
  });

  it('catches a test file snippet that names a sink the pipeline lacks', () => {
    const snippet = { file: 'README.md', line: 40, text: 'pipeline: pipeline.yaml\ntests:\n  t:\n    expect: [{ sink: synt, outputs: [] }]' };
    expect(snippetErrors(snippet)).toEqual([
      'README.md:40: in this test file snippet: README.md:4:22: error: No sink "synt" in the pipeline; its sinks: show, synth, overlay, state, history, metrics (at tests.t.expect[0].sink) Did you mean "synth"?',
    ]);
  });

  it('catches a node snippet that names a missing file, at its line in the Markdown file', () => {
    const snippet = { file: 'README.md', line: 100, text: 'mod: { type: moderate, inputs: [clean], words: { file: no-such-list.txt } }' };
    expect(snippetErrors(snippet)).toEqual([
      expect.stringMatching(/^README\.md:100:56: error: File "no-such-list\.txt" not found .* \(at operators\.mod\.words\.file\)$/),
    ]);
  });
});
