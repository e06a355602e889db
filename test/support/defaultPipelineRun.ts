/**
 * The issue-17 run: the repo's default pipeline.yaml with `CHATFLOW_SIM_RATE=max`, in process,
 * against a given PostgreSQL (or with the `history` sink taken out), for a given time; then a
 * stop, and what the source emitted, what the sinks did and what PostgreSQL holds. Used by
 * test/integration/backpressure.int.test.ts (a few seconds) and `npm run bench backpressure`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../../src/core/metrics.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline, type StopReport } from '../../src/pipelines/run.js';
import { createHttpServer } from '../../src/server/httpServer.js';

export interface DefaultPipelineRun {
  /** Chat messages the `demo` source emitted. */
  readonly emitted: number;
  readonly nodes: ReadonlyMap<string, NodeMetricsSnapshot>;
  readonly stop: StopReport;
  /** Wall time the sources ran, ms. */
  readonly ranMs: number;
  /** `chat_messages` rows and distinct message ids after the stop (with a database). */
  readonly stored?: { readonly rows: number; readonly distinctIds: number };
}

/**
 * @param options.postgresUrl A migrated database for `history`; without it the sink is taken
 *   out of the file (the same run without the history sink).
 * @param options.dir Scratch directory (the pipeline copy, dead letters, the disk buffer).
 */
export async function runDefaultPipelineAtMax(options: {
  readonly seconds: number;
  readonly dir: string;
  readonly postgresUrl?: string;
  /**
   * `history`'s `buffer.max_events` instead of its default (200 000): a short run on a busy
   * machine may emit fewer than that, and never congest the sink.
   */
  readonly historyBuffer?: number;
}): Promise<DefaultPipelineRun> {
  const pipeline = parse(await readFile(new URL('../../pipeline.yaml', import.meta.url), 'utf8')) as {
    sinks: Record<string, unknown>;
  };
  if (options.postgresUrl === undefined) delete pipeline.sinks.history;
  else if (options.historyBuffer !== undefined) {
    const history = pipeline.sinks.history as Record<string, unknown>;
    history.buffer = { max_events: options.historyBuffer };
  }
  const file = join(options.dir, options.postgresUrl === undefined ? 'pipeline-no-history.yaml' : 'pipeline.yaml');
  await writeFile(file, stringify(pipeline));
  const env = {
    CHATFLOW_SIM_RATE: 'max',
    CHATFLOW_LISTEN: '127.0.0.1:0',
    CHATFLOW_OSC_TARGET: '127.0.0.1:9',
    REDIS_URL: 'off',
    DATABASE_URL: options.postgresUrl ?? 'off',
  };
  const graph = loadPipeline(file, { registry: defaultRegistry(), env });
  const logger = silentLogger();
  const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, logger);
  const runtime = await startPipeline(graph, {
    logger,
    wallClock: Date.now,
    resources: {
      baseDir: options.dir,
      instance: 'issue-17',
      http,
      // The `show` console sink's lines go nowhere.
      stdout: new Writable({ write: (_chunk, _encoding, done) => done() }),
      ...(options.postgresUrl === undefined ? {} : { postgres: { url: options.postgresUrl } }),
    },
  });
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  const ranMs = performance.now() - started;
  const stop = await runtime.stop();
  await http.close();
  const nodes = new Map(runtime.snapshot().map((n) => [n.id, n]));
  const emitted = nodes.get('demo')?.eventsOut[''] ?? 0;
  if (options.postgresUrl === undefined) return { emitted, nodes, stop, ranMs };
  const db = new pg.Client({ connectionString: options.postgresUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT (platform, message_id)) AS d FROM chat_messages',
    );
    return { emitted, nodes, stop, ranMs, stored: { rows: Number(rows[0]?.n), distinctIds: Number(rows[0]?.d) } };
  } finally {
    await db.end();
  }
}
