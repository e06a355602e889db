/**
 * `chatflow whatif <recording.jsonl> <pipeline.yaml> [other.yaml]`: runs a recorded show through
 * a pipeline in virtual time and prints what it would have done (control changes per variable,
 * counts per node, drops by reason); given a second pipeline, how the two differ.
 */
import { readFile } from 'node:fs/promises';
import type { CommandIo } from './commandIo.js';
import { PipelineError, toError } from '../core/errors.js';
import { parseDuration } from '../core/units.js';
import { readRecording } from '../testing/recording.js';
import { whatIf, type WhatIfResult } from '../testing/whatIf.js';
import { diffWhatIf } from '../testing/whatIfDiff.js';
import { formatWhatIf, formatWhatIfDiff, whatIfJson } from '../testing/whatIfReport.js';
import { EXIT } from './exitCodes.js';
import { loadForCli } from './loadForCli.js';

export interface WhatIfCommandOptions {
  readonly json: boolean;
  /** The source node the recording replaces (default: each pipeline's first enabled source). */
  readonly source?: string | undefined;
  /** Quiet time after the last event, as written (`10s`). */
  readonly settle?: string | undefined;
}

/**
 * @param recording The JSONL file (the `file` sink's format).
 * @param pipelines One pipeline, or two to compare (A, the one in use, then B, the one tried).
 * @returns 0 done, 65 some lines were skipped (the rest ran), 64 usage or unreadable recording,
 *   78 invalid pipeline or unknown source.
 */
export async function whatIfCommand(
  recording: string,
  pipelines: readonly string[],
  options: WhatIfCommandOptions,
  io: CommandIo,
): Promise<number> {
  if (pipelines.length === 0 || pipelines.length > 2) {
    io.stderr.write('chatflow whatif: give a recording and one or two pipelines (chatflow whatif show.jsonl pipeline.yaml [other.yaml])\n');
    return EXIT.usage;
  }
  let settleMs: number | undefined;
  if (options.settle !== undefined) {
    settleMs = parseDuration(options.settle);
    if (settleMs === undefined) {
      io.stderr.write(`chatflow whatif: --settle is a duration such as 10s or 500ms, not "${options.settle}".\n`);
      return EXIT.usage;
    }
  }
  let text: string;
  try {
    text = await readFile(recording, 'utf8');
  } catch (err) {
    io.stderr.write(`chatflow whatif: cannot read ${recording}: ${toError(err).message}\n`);
    return EXIT.usage;
  }
  const graphs = [];
  for (const file of pipelines) {
    const graph = await loadForCli(file, io);
    if (!graph) return EXIT.config;
    graphs.push(graph);
  }
  const read = readRecording(text);
  const runs: WhatIfResult[] = [];
  for (const graph of graphs) {
    try {
      runs.push(
        await whatIf({
          graph,
          recording: read,
          ...(options.source === undefined ? {} : { source: options.source }),
          ...(settleMs === undefined ? {} : { settleMs }),
        }),
      );
    } catch (err) {
      if (err instanceof PipelineError && err.code === 'ERR_CONFIG_INVALID') {
        io.stderr.write(`${graph.file}: ${err.message}\n`);
        return EXIT.config;
      }
      throw err;
    }
  }
  const [a, b] = runs as [WhatIfResult, WhatIfResult | undefined];
  if (b === undefined) {
    io.stdout.write(options.json ? whatIfJson(recording, runs) : formatWhatIf(a, recording));
  } else {
    const diff = diffWhatIf(a, b);
    io.stdout.write(options.json ? whatIfJson(recording, runs, diff) : formatWhatIfDiff(a, b, diff, recording));
  }
  return read.skipped.length > 0 ? EXIT.dataErrors : EXIT.ok;
}
