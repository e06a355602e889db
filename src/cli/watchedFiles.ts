/** The files a running pipeline depends on: its own file and every file a node reads. */
import { dirname, resolve } from 'node:path';
import { nodeSchema } from '../core/registry.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { namedFiles } from '../pipelines/checkFiles.js';

/**
 * Absolute paths of `file` and of the files its nodes read (fields declared with `filePath()`),
 * relative to the pipeline file. Files a node writes are left out: a file sink's output would
 * otherwise reload the pipeline on every line it writes.
 */
export function watchedFiles(file: string, graph: PipelineGraph): string[] {
  const baseDir = dirname(resolve(file));
  const files = new Set([resolve(file)]);
  for (const node of graph.nodes.values()) {
    for (const named of namedFiles(nodeSchema(node.definition), node.config)) {
      if (named.access === 'read') files.add(resolve(baseDir, named.file));
    }
  }
  return [...files];
}
