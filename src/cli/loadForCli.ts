/** Loads a pipeline for a CLI command, printing every problem; undefined when it has errors. */
import type { CommandIo } from './commandIo.js';
import { defaultRegistry } from '../components.js';
import { ConfigError, formatIssue, PipelineError } from '../core/errors.js';
import { loadPipeline } from '../pipelines/graph.js';
import type { Registry } from '../core/registry.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';

export async function loadForCli(
  file: string,
  io: CommandIo,
  registry: Registry = defaultRegistry(),
): Promise<PipelineGraph | undefined> {
  try {
    const graph = await loadPipeline(file, { registry, env: io.env });
    for (const warning of graph.warnings) io.stderr.write(`${formatIssue(warning)}\n`);
    return graph;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues) io.stderr.write(`${formatIssue(issue)}\n`);
      const errors = err.issues.filter((i) => i.severity === 'error').length;
      io.stderr.write(`${file}: ${errors} error(s); nothing was started.\n`);
      return undefined;
    }
    if (err instanceof PipelineError) {
      io.stderr.write(`${file}: ${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}
