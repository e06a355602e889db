/** The files a running pipeline depends on: its own file and every file a node reads. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { nodeSchema } from '../core/registry.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { namedFiles } from '../pipelines/checkFiles.js';

/**
 * Absolute paths of the files each node reads (fields declared with `filePath()`), relative to
 * the pipeline `file`, by node id. Files a node writes are left out: a file sink's output would
 * otherwise reload the pipeline on every line it writes.
 */
export function filesRead(file: string, graph: PipelineGraph): Map<string, string[]> {
  const baseDir = dirname(resolve(file));
  const byNode = new Map<string, string[]>();
  for (const node of graph.nodes.values()) {
    const read = namedFiles(nodeSchema(node.definition), node.config)
      .filter((named) => named.access === 'read')
      .map((named) => resolve(baseDir, named.file));
    if (read.length > 0) byNode.set(node.id, read);
  }
  return byNode;
}

/** `file` and every file its nodes read: what a change of reloads the pipeline. */
export function watchedFiles(file: string, graph: PipelineGraph): string[] {
  return [...new Set([resolve(file), ...[...filesRead(file, graph).values()].flat()])];
}

/** A digest of the contents of the files each node reads, by node id: what tells a node to rebuild. */
export function contentsOf(byNode: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const digests = new Map<string, string>();
  for (const [id, files] of byNode) {
    const hash = createHash('sha256');
    for (const f of files) {
      hash.update(f).update('\0');
      try {
        hash.update(readFileSync(f));
      } catch {
        hash.update('\0missing');
      }
    }
    digests.set(id, hash.digest('hex'));
  }
  return digests;
}
