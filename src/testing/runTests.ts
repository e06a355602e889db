/**
 * Runs the tests of one `*.test.yaml` file: loads the pipeline each test names (with the
 * test's `env`), checks what the test refers to against it, feeds the inputs through the
 * harness in virtual time and checks every expectation.
 */
import { dirname, join, resolve } from 'node:path';
import { formatIssue, PipelineError } from '../core/errors.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import type { Registry } from '../core/registry.js';
import { suggest } from '../core/suggest.js';
import { parseDuration } from '../core/units.js';
import { validatePipeline } from '../pipelines/graph.js';
import { IssueList } from '../pipelines/issues.js';
import type { Path } from '../pipelines/positions.js';
import { checkCounts, checkOutputs, COUNT_PATH, type ExpectedItem, formatTime, type Received } from './expectations.js';
import { DEFAULT_START_WALL_CLOCK, type RunVirtual, type RunResult, type VirtualRunOptions } from './harness.js';
import { buildInputs } from './inputs.js';
import { type LoadedTestFile, loadTestFile } from './loadTestFile.js';
import type { TestCase, TestExpectation } from './testFileSchema.js';

export interface TestDeps {
  readonly runVirtual: RunVirtual;
  readonly registry: Registry;
  /** A monotonic clock for wall time, ms (the CLI passes `performance.now`). */
  readonly now: () => number;
}

export interface TestOutcome {
  readonly name: string;
  readonly passed: boolean;
  /** Virtual ms the run lasted. */
  readonly virtualMs: number;
  readonly wallMs: number;
  /** One block per failed expectation, its first line naming where the expectation is written. */
  readonly failures: readonly (readonly string[])[];
  /** What came out, for `--update`; absent when the run itself failed. */
  readonly result?: RunResult;
}

export interface FileOutcome {
  readonly file: string;
  /** Problems of the test file or of the pipeline it tests (then no test ran), formatted. */
  readonly configErrors: readonly string[];
  readonly tests: readonly TestOutcome[];
  /** The test file, the pipeline and the files they read: what `--watch` watches. */
  readonly watched: readonly string[];
  /** The pipeline under test and its graph (with the first test's env), when it loaded. */
  readonly pipeline?: { readonly file: string; readonly graph: PipelineGraph };
  readonly loaded: LoadedTestFile;
}

/** Where a path of the test file is, `file:line:col`. */
function where(loaded: LoadedTestFile, path: Path, key = false): string {
  const { line, col } = loaded.loaded.positions.positionAt(path, { key });
  return line > 0 ? `${loaded.file}:${line}:${col}` : loaded.file;
}

/** `synth (osc)`: a sink with its type, as failures name it. */
function sinkLabel(graph: PipelineGraph, id: string): string {
  return `${id} (${graph.nodes.get(id)?.type ?? '?'})`;
}

/** The expected items of `outputs`/`never`, with `at` read as a duration; problems go to `list`. */
function expectedItems(list: IssueList, path: Path, items: readonly Record<string, unknown>[] | null | undefined): ExpectedItem[] | undefined {
  if (items == null) return undefined;
  return items.map((raw, i) => {
    const { at, ...fields } = raw;
    if (at === undefined) return { fields };
    const ms = typeof at === 'string' ? parseDuration(at) : undefined;
    if (ms === undefined) list.error('invalid_value', [...path, i, 'at'], 'Expected a virtual time with a unit, such as "5s" or "1.250s"');
    return { at: ms ?? 0, fields };
  });
}

/** `node` or `node.port` split, when the node exists. */
function portRef(value: string): { node: string; port: string } {
  const dot = value.indexOf('.');
  return dot < 0 ? { node: value, port: '' } : { node: value.slice(0, dot), port: value.slice(dot + 1) };
}

/** Checks what a test names (sources, sinks, ports, count paths) against the pipeline. */
function checkReferences(list: IssueList, base: Path, test: TestCase, graph: PipelineGraph): void {
  const ids = [...graph.nodes.keys()];
  const of = (kind: string) => [...graph.nodes.values()].filter((n) => n.kind === kind).map((n) => n.id);
  const sources = of('source');
  const enabledSources = [...graph.nodes.values()].filter((n) => n.kind === 'source' && n.enabled).map((n) => n.id);
  test.inputs.forEach((input, i) => {
    if (test.until !== undefined && input.at > test.until) {
      list.error('invalid_value', [...base, 'inputs', i, 'at'], `This input comes after the test ends (\`until: ${formatTime(test.until)}\`), so it would never be fed`);
    }
    if (input.source === undefined) {
      if (enabledSources.length === 0) {
        list.error('no_source', [...base, 'inputs', i], 'The pipeline has no enabled source to feed; enable one (its `enabled` in `env`) or name one with `source:`');
      }
      return;
    }
    if (!sources.includes(input.source)) {
      list.error('unknown_node', [...base, 'inputs', i, 'source'], `No source "${input.source}" in the pipeline; its sources: ${sources.join(', ')}`, {
        suggestion: suggest(input.source, sources),
      });
    } else if (!enabledSources.includes(input.source)) {
      list.error('disabled_node', [...base, 'inputs', i, 'source'], `Source "${input.source}" is disabled in the pipeline; enable it through the test's \`env\``);
    }
  });
  (test.expect ?? []).forEach((entry, k) => {
    const at = [...base, 'expect', k];
    if (entry.sink !== undefined && !of('sink').includes(entry.sink)) {
      list.error('unknown_node', [...at, 'sink'], `No sink "${entry.sink}" in the pipeline; its sinks: ${of('sink').join(', ')}`, {
        suggestion: suggest(entry.sink, of('sink')),
      });
    }
    if (entry.port !== undefined) {
      const { node, port } = portRef(entry.port);
      const found = graph.nodes.get(node);
      if (!found) {
        list.error('unknown_node', [...at, 'port'], `No node "${node}" in the pipeline`, { suggestion: suggest(node, ids) });
      } else if (found.kind === 'sink') {
        list.error('invalid_value', [...at, 'port'], `"${node}" is a sink: it has no output; use \`sink: ${node}\``);
      } else if (port !== '' && !found.ports.includes(port)) {
        const known = found.ports.length > 0 ? `its ports: ${found.ports.join(', ')}` : 'it has only its default output';
        list.error('unknown_port', [...at, 'port'], `Node "${node}" has no port "${port}"; ${known}`, { suggestion: suggest(port, [...found.ports]) });
      }
    }
    for (const path of Object.keys(entry.counts ?? {})) {
      const node = path.split('.')[0] ?? '';
      if (!graph.nodes.has(node)) {
        list.error('unknown_node', [...at, 'counts', path], `No node "${node}" in the pipeline`, { key: true, suggestion: suggest(node, ids) });
      } else if (!COUNT_PATH.test(path)) {
        list.error('invalid_value', [...at, 'counts', path], `Not a count: "${path}"; write node.in, node.out, node.out.port, node.dropped, node.dropped.reason, node.errors or node.count.name`, { key: true });
      }
    }
  });
}

/** What a test's expectation receives from a run, in order. */
function receivedFor(entry: TestExpectation, graph: PipelineGraph, result: RunResult): Received[] {
  if (entry.sink !== undefined) {
    const label = sinkLabel(graph, entry.sink);
    return result.outputs.filter((o) => o.sink === entry.sink).map((o) => ({ at: o.at, label, value: o.output }));
  }
  const { node, port } = portRef(entry.port ?? '');
  return result.recorded.filter((r) => r.node === node && r.port === port).map((r) => ({ at: r.at, label: entry.port ?? node, value: r.event }));
}

const UPDATE_HINT = 'run `chatflow test --update` to write what came out';

function checkTest(loaded: LoadedTestFile, name: string, test: TestCase, graph: PipelineGraph, result: RunResult): string[][] {
  const base = ['tests', name];
  const entries = test.expect ?? [];
  if (entries.length === 0) return [[`${where(loaded, base)}: nothing is expected of this test; ${UPDATE_HINT}`]];
  const failures: string[][] = [];
  entries.forEach((entry, k) => {
    const at = where(loaded, [...base, 'expect', k]);
    if (entry.counts !== undefined) {
      if (Object.keys(entry.counts).length === 0) {
        failures.push([`${at}: nothing is expected of counts: name at least one count`]);
        return;
      }
      const failed = checkCounts(entry.counts, result.snapshot);
      if (failed) failures.push([`${at}: ${failed[0]}`, ...failed.slice(1)]);
      return;
    }
    const subject = entry.sink !== undefined ? sinkLabel(graph, entry.sink) : (entry.port ?? '');
    if (entry.outputs == null && entry.never === undefined) {
      failures.push([`${at}: nothing is expected of ${subject}: write \`outputs\` or \`never\`, or ${UPDATE_HINT}`]);
      return;
    }
    const list = new IssueList(loaded.loaded);
    const failed = checkOutputs(
      {
        subject,
        verb: entry.sink !== undefined ? 'sent' : 'emitted',
        outputs: expectedItems(list, [...base, 'expect', k, 'outputs'], entry.outputs),
        never: expectedItems(list, [...base, 'expect', k, 'never'], entry.never),
        match: entry.match,
        tolerance: entry.tolerance,
        timeTolerance: entry.time_tolerance,
      },
      receivedFor(entry, graph, result),
      result.endedAt,
    );
    if (failed) failures.push([`${at}: ${failed[0]}`, ...failed.slice(1)]);
  });
  return failures;
}

/** The `at` of every expected item, checked before anything runs. */
function checkTimes(list: IssueList, base: Path, test: TestCase): void {
  (test.expect ?? []).forEach((entry, k) => {
    expectedItems(list, [...base, 'expect', k, 'outputs'], entry.outputs);
    expectedItems(list, [...base, 'expect', k, 'never'], entry.never);
  });
}

/** A test ready to run: its pipeline's graph and the harness's options. */
export interface PreparedTest {
  readonly name: string;
  readonly test: TestCase;
  readonly graph: PipelineGraph;
  readonly run: VirtualRunOptions;
}

export interface PreparedFile {
  /** Problems of the test file or of the pipeline it tests, formatted; when any, nothing runs. */
  readonly configErrors: readonly string[];
  readonly tests: readonly PreparedTest[];
  /** The pipeline under test, absolute. */
  readonly pipelineFile?: string;
  /** The test file, the pipeline and the recordings the tests read. */
  readonly watched: readonly string[];
}

/**
 * Checks a loaded test file all the way short of running it: the pipeline each test names
 * loads (with the test's `env`), what the tests name exists in it, the recordings can be read.
 * Every problem is said at once.
 *
 * @param path Where the test file is (what `pipeline:` and `file:` are relative to).
 */
export function prepareTests(loaded: LoadedTestFile, path: string, registry: Registry): PreparedFile {
  const watched = new Set<string>([resolve(path)]);
  if (!loaded.tests) return { configErrors: loaded.issues.map(formatIssue), tests: [], watched: [...watched] };
  const { tests: spec, file } = { tests: loaded.tests, file: loaded.file };
  const pipelineFile = resolve(dirname(path), spec.pipeline);
  watched.add(pipelineFile);
  const list = new IssueList(loaded.loaded);
  const pipelineErrors = new Set<string>();
  const prepared: PreparedTest[] = [];
  for (const [name, test] of Object.entries(spec.tests)) {
    const base = ['tests', name];
    let result: ReturnType<typeof validatePipeline>;
    try {
      result = validatePipeline(pipelineFile, { registry, env: { ...spec.env, ...test.env } });
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      list.error('config_io', ['pipeline'], `Cannot read the pipeline "${spec.pipeline}" (${pipelineFile})`);
      break;
    }
    if (!result.graph) {
      const shown = join(dirname(file), spec.pipeline);
      for (const issue of result.issues) if (issue.severity === 'error') pipelineErrors.add(formatIssue({ ...issue, file: shown }));
      continue;
    }
    const graph = result.graph;
    checkReferences(list, base, test, graph);
    checkTimes(list, base, test);
    const built = buildInputs(test.inputs, path, DEFAULT_START_WALL_CLOCK);
    if (!built.ok) {
      for (const problem of built.problems) list.error('invalid_value', [...base, 'inputs', problem.index, 'file'], problem.message);
      continue;
    }
    for (const input of test.inputs) if (input.file !== undefined) watched.add(resolve(dirname(path), input.file));
    const record = (test.expect ?? []).flatMap((e) => (e.port === undefined ? [] : [portRef(e.port)]));
    const run: VirtualRunOptions = { graph, inputs: built.inputs, ...(test.until === undefined ? {} : { until: test.until }), record };
    prepared.push({ name, test, graph, run });
  }
  const configErrors = [...list.sorted().map(formatIssue), ...pipelineErrors];
  return { configErrors, tests: configErrors.length > 0 ? [] : prepared, pipelineFile, watched: [...watched] };
}

/**
 * Runs every test of the file at `path` (named `file` in what it prints). A problem of the
 * test file or of the pipeline (as `validate` would report it) stops the file before any test
 * runs: `configErrors`.
 */
export async function runTestFile(path: string, deps: TestDeps, file = path): Promise<FileOutcome> {
  const loaded = loadTestFile(path, file);
  const prepared = prepareTests(loaded, path, deps.registry);
  const first = prepared.tests[0];
  const outcome = (tests: readonly TestOutcome[]): FileOutcome => ({
    file,
    configErrors: prepared.configErrors,
    tests,
    watched: prepared.watched,
    ...(first === undefined || prepared.pipelineFile === undefined ? {} : { pipeline: { file: prepared.pipelineFile, graph: first.graph } }),
    loaded,
  });
  if (prepared.configErrors.length > 0) return outcome([]);
  const outcomes: TestOutcome[] = [];
  for (const { name, test, graph, run } of prepared.tests) {
    const started = deps.now();
    let result: RunResult;
    try {
      result = await deps.runVirtual(run);
    } catch (err) {
      // A component refusing its config at start, as `chatflow run` would: the file is at fault.
      const at = where(loaded, ['tests', name], true);
      if (err instanceof PipelineError && err.stage === 'config') return { ...outcome(outcomes), configErrors: [`${at}: error: ${err.message}`] };
      const failure = [`${at}: the run failed: ${err instanceof Error ? err.message : String(err)}`];
      outcomes.push({ name, passed: false, virtualMs: 0, wallMs: deps.now() - started, failures: [failure] });
      continue;
    }
    const wallMs = deps.now() - started;
    const failures = checkTest(loaded, name, test, graph, result);
    outcomes.push({ name, passed: failures.length === 0, virtualMs: result.endedAt, wallMs, failures, result });
  }
  return outcome(outcomes);
}

/** One line per test: `✓ name  10.000s virtual, 4 ms`. */
export function testLine(test: TestOutcome): string {
  return `${test.passed ? '✓' : '✗'} ${test.name}  ${formatTime(test.virtualMs)} virtual, ${Math.round(test.wallMs)} ms`;
}
