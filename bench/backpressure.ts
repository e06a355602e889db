/**
 * `npm run bench backpressure` (issue 17): the default pipeline with `CHATFLOW_SIM_RATE=max`
 * for 25 s against a private PostgreSQL, then the same without the `history` sink, in the same
 * run. With history (postgres, `when_full: block`), the runtime pauses the simulate source
 * whenever history's buffer is full: every chat message emitted is stored once, none dropped.
 * Without it, the source runs unthrottled: its rate is the baseline the paused run is slowed
 * from. Chat → OSC: the `synth` sink's end-to-end latency (receivedAt → its input) in both
 * runs; the OSC path is not behind the blocked sink, so it must not get slower.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import { startEmbeddedPostgres } from '../src/resources/embedded.js';
import { migrate } from '../src/resources/migrate.js';
import { type DefaultPipelineRun, runDefaultPipelineAtMax } from '../test/support/defaultPipelineRun.js';
import { writeResult } from './results.js';

const SECONDS = Number(process.env.BENCH_BACKPRESSURE_SECONDS ?? 25);
/** Chat → OSC p99 with history blocked may be at most this much above the run without it. */
const P99_GOAL_MS = 1;

const round = (n: number, places = 3) => Math.round(n * 10 ** places) / 10 ** places;

function unintentional(node: NodeMetricsSnapshot | undefined): number {
  return Object.values(node?.dropped ?? {})
    .filter((d) => !d.intentional)
    .reduce((sum, d) => sum + d.count, 0);
}

function figures(run: DefaultPipelineRun) {
  const demo = run.nodes.get('demo');
  const synth = run.nodes.get('synth');
  const history = run.nodes.get('history');
  return {
    emitted: run.emitted,
    emittedPerSec: Math.round(run.emitted / (run.ranMs / 1000)),
    ...(run.stored
      ? {
          stored: run.stored.rows,
          duplicates: run.stored.rows - run.stored.distinctIds,
          missing: run.emitted - run.stored.distinctIds,
          historyDropped: history?.dropped ?? {},
          historyUnintentionalDrops: unintentional(history),
        }
      : {}),
    sourcePaused: demo?.flow
      ? { pauses: demo.flow.pauses, pausedSeconds: round(demo.flow.pausedMs / 1000, 2), share: round(demo.flow.pausedMs / run.ranMs, 3) }
      : undefined,
    osc: {
      controlChanges: synth?.eventsIn ?? 0,
      unintentionalDrops: unintentional(synth),
      latencyP50Ms: round(synth?.latencyMs.p50 ?? 0),
      latencyP99Ms: round(synth?.latencyMs.p99 ?? 0),
      latencyMaxMs: round(synth?.latencyMs.max ?? 0),
    },
    lostAtShutdown: run.stop.lostAtShutdown,
    stopSeconds: round(run.stop.durationMs / 1000, 2),
  };
}

export async function backpressure(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-backpressure-'));
  await chmod(root, 0o711);
  const postgres = await startEmbeddedPostgres(join(root, 'pg'));
  let blocked: DefaultPipelineRun;
  let baseline: DefaultPipelineRun;
  try {
    await migrate(postgres.url);
    blocked = await runDefaultPipelineAtMax({ seconds: SECONDS, dir: root, postgresUrl: postgres.url });
    baseline = await runDefaultPipelineAtMax({ seconds: SECONDS, dir: root });
  } finally {
    await postgres.stop();
    await rm(root, { recursive: true, force: true });
  }
  const withHistory = figures(blocked);
  const withoutHistory = figures(baseline);
  const p99DifferenceMs = round(withHistory.osc.latencyP99Ms - withoutHistory.osc.latencyP99Ms);
  const result = {
    method: `pipeline.yaml with CHATFLOW_SIM_RATE=max for ${SECONDS} s, in process, Redis off, history on a private PostgreSQL 15; then the same file without the history sink. Counts from the runtime's metrics and SQL on chat_messages after the stop (drain included). Chat → OSC: the synth sink's end-to-end latency histogram (receivedAt → arrival at the sink) over each whole run.`,
    seconds: SECONDS,
    withHistory,
    withoutHistory,
    sourceSlowedTo: round(withHistory.emittedPerSec / Math.max(1, withoutHistory.emittedPerSec), 3),
    p99DifferenceMs,
    goal: `every emitted chat message stored exactly once, no unintentional drop at history or synth, the source paused, chat → OSC p99 with history at most ${P99_GOAL_MS} ms above the run without it`,
    pass:
      withHistory.missing === 0 &&
      withHistory.duplicates === 0 &&
      withHistory.historyUnintentionalDrops === 0 &&
      (withHistory.sourcePaused?.pauses ?? 0) > 0 &&
      withHistory.osc.unintentionalDrops === 0 &&
      p99DifferenceMs <= P99_GOAL_MS,
  };
  await writeResult('backpressure', result);
  return result;
}
