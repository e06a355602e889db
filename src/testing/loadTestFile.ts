/**
 * Reads a `*.test.yaml` file with the pipeline loader's YAML handling, so its problems are
 * reported as `validate` reports a pipeline's: every one, each at file:line:col.
 */
import { readFileSync } from 'node:fs';
import type { ConfigIssue } from '../core/errors.js';
import { IssueList } from '../pipelines/issues.js';
import { type LoadedPipeline, loadText } from '../pipelines/load.js';
import { reportZodIssues, safeParse } from '../pipelines/zodIssues.js';
import { TestFile } from './testFileSchema.js';

export interface LoadedTestFile {
  readonly file: string;
  /** The YAML document, for positions and for `--update`. */
  readonly loaded: LoadedPipeline;
  /** The file's text as read, for `--update`. */
  readonly text: string;
  /** Present when there is no error. */
  readonly tests?: TestFile;
  readonly issues: readonly ConfigIssue[];
}

/**
 * Parses a test file's text. `${…}` in it reads nothing from the environment (a test runs the
 * same everywhere): only defaults (`${X:-y}`) resolve, and `$${` is a literal `${`.
 */
export function parseTestFile(text: string, file: string): LoadedTestFile {
  const loaded = loadText(text, { file, env: {} });
  const list = new IssueList(loaded);
  list.addAll(loaded.issues);
  if (loaded.value === undefined || list.hasErrors()) return { file, loaded, text, issues: list.sorted() };
  if (loaded.value === null || typeof loaded.value !== 'object' || Array.isArray(loaded.value)) {
    list.error('invalid_value', [], 'A test file is a mapping with `pipeline:` and `tests:`');
    return { file, loaded, text, issues: list.sorted() };
  }
  const result = safeParse(TestFile, loaded.value);
  if (!result.success) {
    reportZodIssues(list, [], TestFile, loaded.value, result.error.issues);
    return { file, loaded, text, issues: list.sorted() };
  }
  const tests = result.data as TestFile;
  if (Object.keys(tests.tests).length === 0) list.error('invalid_value', ['tests'], 'No tests: write at least one under `tests:`');
  const issues = list.sorted();
  return list.hasErrors() ? { file, loaded, text, issues } : { file, loaded, text, tests, issues };
}

/**
 * Reads and parses a test file.
 *
 * @param file How problems name it (as the user wrote it); `path` is where it is read.
 * @returns issues (`config_io`) when it cannot be read.
 */
export function loadTestFile(path: string, file = path): LoadedTestFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder' : 'cannot be read';
    const loaded = loadText('', { file, env: {} });
    const issue: ConfigIssue = { severity: 'error', rule: 'config_io', message: `Test file ${why}`, path: '', file, line: 0, col: 0 };
    return { file, loaded, text: '', issues: [issue] };
  }
  return parseTestFile(text, file);
}
