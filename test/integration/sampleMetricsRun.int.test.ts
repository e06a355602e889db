/**
 * `sample_metrics` in a real run: the runtime gives it every node's snapshot (with the sinks'
 * buffer capacity), and its last sample at the end of a finite run reaches a sink.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import type { ChatflowEvent, MetricEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';

const MESSAGES = 300;

describe('sample_metrics in a pipeline', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('samples every node, counts each message once, and writes a last sample when the run ends', async () => {
    dir = await mkdtemp(join(tmpdir(), 'chatflow-sample-metrics-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `version: 1
sources:
  sim: { type: simulate, rate: max, count: ${MESSAGES}, users: 50, seed: 3, mix: { chat: 1, command: 0, emote: 0, link: 0, caps: 0, unicode: 0 } }
operators:
  clean: { type: normalize, inputs: [sim] }
  stats: { type: sample_metrics, inputs: ["*"], every: 1s, process: false }
sinks:
  out: { type: blackhole, inputs: [clean], buffer: { max_events: 500 } }
  metrics: { type: file, inputs: [stats], path: metrics.jsonl }
`,
    );
    const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
    const running = await startPipeline(graph, {
      logger: silentLogger(),
      resources: { baseDir: dir, instance: 'it' },
    });
    await running.finished;
    await running.stop();

    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    const events = lines.map((line) => JSON.parse(line) as ChatflowEvent);
    expect(events.every((e) => e.kind === 'metric')).toBe(true);
    const metrics = events as MetricEvent[];
    const last = (name: string, labels: Record<string, string> = {}) =>
      metrics.filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v)).at(-1);

    expect(last('chatflow_node_events_out_total', { node: 'sim', port: '' })?.value).toBe(MESSAGES);
    expect(last('chatflow_node_events_in_total', { node: 'clean' })?.labels).toEqual({ node: 'clean', type: 'normalize', kind: 'operator' });
    expect(last('chatflow_node_events_in_total', { node: 'stats' })?.value).toBe(MESSAGES * 2);
    expect(last('chatflow_sink_buffer_fill_ratio', { node: 'out' })?.value).toBe(0);
    // Each message reached stats twice (from sim and from clean) but is counted once.
    const finalTs = metrics.at(-1)?.ts;
    const totals = metrics.filter((m) => m.name === 'chatflow_messages_total' && m.ts === finalTs);
    expect(totals.length).toBeGreaterThan(0);
    expect(totals.reduce((sum, m) => sum + (m.value ?? 0), 0)).toBe(MESSAGES);
    expect(last('chatflow_active_chatters')?.value).toBeLessThanOrEqual(50);
    expect(last('chatflow_active_chatters')?.value).toBeGreaterThan(0);
    expect(metrics.every((m) => m.instance === 'it')).toBe(true);
  });
});
