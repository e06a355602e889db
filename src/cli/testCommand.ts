/**
 * `chatflow test [files…] [--watch] [--update]`: runs the tests of `*.test.yaml` files in
 * virtual time and prints one line per test, the diff of each failure and a summary.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Registry } from '../core/registry.js';
import type { RunVirtual } from '../testing/harness.js';
import { type FileOutcome, runTestFile, testLine } from '../testing/runTests.js';
import { updateText } from '../testing/updateFile.js';
import type { CommandIo } from './commandIo.js';
import { EXIT } from './exitCodes.js';
import { watchFiles } from './fileWatcher.js';
import { watchedFiles } from './watchedFiles.js';

export const TEST_FILE_SUFFIX = '.test.yaml';

export interface TestCommandOptions {
  readonly watch: boolean;
  readonly update: boolean;
}

export interface TestCommandDeps {
  readonly runVirtual: RunVirtual;
  readonly registry: Registry;
  /** Monotonic ms, for the wall time of each test. */
  readonly now: () => number;
  /** The folder `chatflow test` with no files looks in. */
  readonly cwd: string;
}

/** The test files named (a folder stands for its `*.test.yaml`), or those of `cwd`. */
export function testFiles(args: readonly string[], cwd: string): { files: string[]; problem?: string } {
  const inFolder = (dir: string): string[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith(TEST_FILE_SUFFIX))
      .sort()
      .map((f) => join(dir, f));
  if (args.length === 0) {
    const files = inFolder(cwd).map((f) => relative(cwd, f));
    return files.length > 0 ? { files } : { files, problem: `no *${TEST_FILE_SUFFIX} files in ${cwd}; name one (chatflow test pipeline.test.yaml)` };
  }
  const files: string[] = [];
  for (const arg of args) {
    let folder = false;
    try {
      folder = statSync(resolve(cwd, arg)).isDirectory();
    } catch {
      // A file that is not there is reported by the runner, with the others' results.
    }
    if (!folder) files.push(arg);
    else {
      const found = inFolder(resolve(cwd, arg)).map((f) => join(arg, relative(resolve(cwd, arg), f)));
      if (found.length === 0) return { files, problem: `no *${TEST_FILE_SUFFIX} files in ${arg}` };
      files.push(...found);
    }
  }
  return { files };
}

interface Totals {
  passed: number;
  failed: number;
  badFiles: number;
}

function print(outcome: FileOutcome, io: CommandIo, totals: Totals): void {
  if (outcome.configErrors.length > 0) {
    for (const line of outcome.configErrors) io.stderr.write(`${line}\n`);
    io.stderr.write(`${outcome.file}: ${outcome.configErrors.length} error(s); no test ran.\n`);
    totals.badFiles += 1;
    return;
  }
  io.stdout.write(`${outcome.file}\n`);
  for (const test of outcome.tests) {
    io.stdout.write(`  ${testLine(test)}\n`);
    for (const failure of test.failures) for (const line of failure) io.stdout.write(`      ${line}\n`);
    if (test.passed) totals.passed += 1;
    else totals.failed += 1;
  }
}

/** Writes the missing expectations of a file's tests; says what it wrote and what it left. */
function update(outcome: FileOutcome, io: CommandIo, cwd: string): boolean {
  const graph = outcome.pipeline?.graph;
  if (graph === undefined || outcome.configErrors.length > 0) return false;
  const targets = outcome.tests.flatMap((t) => (t.result === undefined ? [] : [{ name: t.name, graph, result: t.result }]));
  const result = updateText(outcome.loaded, targets);
  for (const line of result.written) io.stdout.write(`${outcome.file}: wrote ${line}\n`);
  for (const line of result.untouched) io.stdout.write(`${outcome.file}: left ${line} as written (--update never overwrites an expectation)\n`);
  for (const line of result.skipped) io.stderr.write(`${outcome.file}: not updated: ${line}\n`);
  if (result.written.length === 0) return false;
  writeFileSync(resolve(cwd, outcome.file), result.text);
  return true;
}

async function runOnce(files: readonly string[], options: TestCommandOptions, io: CommandIo, deps: TestCommandDeps): Promise<{ code: number; watched: string[] }> {
  const totals: Totals = { passed: 0, failed: 0, badFiles: 0 };
  const watched = new Set<string>();
  for (const file of files) {
    const path = resolve(deps.cwd, file);
    let outcome = await runTestFile(path, deps, file);
    if (options.update && update(outcome, io, deps.cwd)) outcome = await runTestFile(path, deps, file);
    for (const f of outcome.watched) watched.add(f);
    if (outcome.pipeline) for (const f of watchedFiles(outcome.pipeline.file, outcome.pipeline.graph)) watched.add(f);
    print(outcome, io, totals);
  }
  const tests = totals.passed + totals.failed;
  const bad = totals.badFiles > 0 ? `, ${totals.badFiles} file(s) with errors` : '';
  io.stdout.write(`${tests} test${tests === 1 ? '' : 's'}: ${totals.passed} passed, ${totals.failed} failed${bad}.\n`);
  const code = totals.badFiles > 0 ? EXIT.config : totals.failed > 0 ? EXIT.warnings : EXIT.ok;
  return { code, watched: [...watched] };
}

/**
 * Runs the test files; with `watch`, again whenever one of them, its pipeline or a file either
 * reads is saved, until Ctrl-C (then exits 0).
 *
 * @returns 0 all passed, 1 some failed, 78 a test file or its pipeline is invalid, 64 no test files.
 */
export async function testCommand(args: readonly string[], options: TestCommandOptions, io: CommandIo, deps: TestCommandDeps): Promise<number> {
  const { files, problem } = testFiles(args, deps.cwd);
  if (problem !== undefined) {
    io.stderr.write(`chatflow test: ${problem}\n`);
    return EXIT.usage;
  }
  const shutdown = io.shutdown;
  if (!options.watch) {
    // Ctrl-C during a run stops it as any command is stopped: 130.
    const interrupted = new Promise<number>((stop) => shutdown?.addEventListener('abort', () => stop(EXIT.interrupted), { once: true }));
    return Promise.race([runOnce(files, options, io, deps).then((r) => r.code), interrupted]);
  }
  const first = await runOnce(files, options, io, deps);
  if (shutdown?.aborted) return EXIT.ok;
  return new Promise<number>((done) => {
    let running = false;
    let again = false;
    const rerun = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      io.stdout.write('\nA file changed; running the tests again.\n');
      const next = await runOnce(files, { ...options, update: false }, io, deps);
      watcher.setFiles(next.watched);
      running = false;
      if (again) {
        again = false;
        await rerun();
      }
    };
    const watcher = watchFiles(() => void rerun(), 300, (err) => io.stderr.write(`chatflow test: cannot watch files: ${err.message}\n`));
    watcher.setFiles(first.watched);
    io.stdout.write('Watching for changes; Ctrl-C to stop.\n');
    shutdown?.addEventListener(
      'abort',
      () => {
        watcher.close();
        done(EXIT.ok);
      },
      { once: true },
    );
  });
}
