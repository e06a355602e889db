/**
 * `chatflow run`'s reloads: reads and checks the pipeline file again and, when it is valid,
 * applies it to the running pipeline (PipelineRuntime.reload). An invalid file leaves the
 * running graph untouched and is reported to the terminal, the log and `/api/reload`.
 * Reloads run one at a time; requests made while one runs are coalesced into one more.
 */
import { defaultRegistry } from '../components.js';
import { type ConfigIssue, ConfigError, formatIssue, PipelineError, toError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { loadPipeline } from '../pipelines/graph.js';
import type { ReloadReport } from '../pipelines/reloadReport.js';
import type { ReloadOutcome, ReloadState, ReloadTrigger } from '../pipelines/reloadState.js';
import { contentsOf, filesRead } from './watchedFiles.js';

export interface ReloaderDeps {
  readonly file: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly runtime: {
    reload(next: PipelineGraph, options?: { readonly rebuild?: ReadonlySet<string> }): Promise<ReloadReport>;
  };
  /** The graph running now (the one `chatflow run` started). */
  readonly running: PipelineGraph;
  readonly logger: Logger;
  /** The terminal (through the CLI's writer, above the status line). */
  readonly stderr: NodeJS.WritableStream;
  readonly wallClock: () => number;
  /** Told of each graph applied (to watch the files it names). */
  readonly onApplied?: (graph: PipelineGraph) => void;
}

export class PipelineReloader {
  readonly #deps: ReloaderDeps;
  readonly #log: Logger;
  #running: Promise<ReloadOutcome> | undefined;
  #queued: { promise: Promise<ReloadOutcome>; trigger: ReloadTrigger } | undefined;
  #state: ReloadState = { last: undefined, configValid: true, reloads: 0, failures: 0 };
  /** What the running nodes read from their files, by node id (see {@link contentsOf}). */
  #contents: Map<string, string>;

  constructor(deps: ReloaderDeps) {
    this.#deps = deps;
    this.#contents = contentsOf(filesRead(deps.file, deps.running));
    this.#log = deps.logger.child({ component: 'reload' });
  }

  get state(): ReloadState {
    return this.#state;
  }

  /**
   * Reloads now, or after the reload in progress; a request made while one is already queued
   * joins it (it will read the file as it is then), and gets its outcome.
   */
  request(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (!this.#running) return this.#start(trigger);
    if (this.#queued) return this.#queued.promise;
    const promise = this.#running.then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    );
    this.#queued = { promise, trigger };
    return promise;
  }

  #startQueued(): Promise<ReloadOutcome> {
    const trigger = this.#queued?.trigger ?? 'file';
    this.#queued = undefined;
    return this.#start(trigger);
  }

  #start(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.#reload(trigger).finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { file, stderr } = this.#deps;
    let graph: PipelineGraph;
    try {
      graph = loadPipeline(file, { registry: defaultRegistry(), env: this.#deps.env });
    } catch (err) {
      const issues = issuesOf(file, err);
      for (const issue of issues) stderr.write(`${formatIssue(issue)}\n`);
      const errors = issues.filter((i) => i.severity === 'error').length;
      stderr.write(`${file}: ${errors} error(s); the running pipeline was left as it was.\n`);
      this.#log.warn({ trigger, file, issues }, 'Pipeline file is invalid; the running pipeline was kept.');
      return this.#record({ status: 'invalid', trigger, issues });
    }
    for (const warning of graph.warnings) stderr.write(`${formatIssue(warning)}\n`);
    // A node whose config is the same but whose file (a word list) changed is rebuilt: it
    // reads the file at start.
    const contents = contentsOf(filesRead(file, graph));
    const rebuild = new Set([...contents].filter(([id, digest]) => this.#contents.get(id) !== digest).map(([id]) => id));
    const report = await this.#deps.runtime.reload(graph, { rebuild });
    this.#contents = contents;
    this.#deps.onApplied?.(graph);
    this.#log.info(
      {
        trigger,
        added: report.added.length,
        removed: report.removed.length,
        changed: report.changed.length,
        rewired: report.rewired.length,
        restarted: report.restarted.length,
        failed: report.failed.length,
      },
      'Pipeline file applied.',
    );
    if (report.needsRestart.length > 0) {
      const settings = report.needsRestart.map((c) => c.setting).join(', ');
      stderr.write(`${file}: changed ${settings}; this applies at the next start (restart chatflow).\n`);
      this.#log.warn({ needsRestart: report.needsRestart }, 'Some changes apply only after a restart.');
    }
    return this.#record({ status: 'ok', trigger, report });
  }

  #record(outcome: ReloadOutcome): ReloadOutcome {
    const s = this.#state;
    const failed = outcome.status === 'invalid';
    this.#state = {
      last: { ...outcome, at: this.#deps.wallClock() },
      configValid: !failed,
      reloads: s.reloads + 1,
      failures: s.failures + (failed ? 1 : 0),
    };
    return outcome;
  }
}

/** The problems of a file that could not be loaded, as issues (a read error has no position). */
function issuesOf(file: string, err: unknown): readonly ConfigIssue[] {
  if (err instanceof ConfigError) return err.issues;
  const message = err instanceof PipelineError ? err.message : toError(err).message;
  return [{ severity: 'error', rule: 'load_failed', message, path: '', file, line: 0, col: 0 }];
}
