import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sameWorkPipeline } from '../../bench/ceilingProcesses.js';
import { benchPipeline } from '../../bench/controlTiming.js';
import { defaultRegistry } from '../../src/components.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';

const DEFAULT = await readFile(new URL('../../pipeline.yaml', import.meta.url), 'utf8');
const dir = await mkdtemp(join(tmpdir(), 'chatflow-timing-pipelines-'));
const sweepFile = join(dir, 'sweep.jsonl');
await writeFile(sweepFile, '');
afterAll(() => rm(dir, { recursive: true, force: true }));
const parse = (text: string) => {
  const result = buildGraph(loadText(text, { file: 'pipeline.yaml', env: {} }), defaultRegistry());
  if (!result.graph) throw new Error(JSON.stringify(result.issues));
  return result.graph;
};

describe("control-timing's pipelines", () => {
  const bench = benchPipeline(DEFAULT, { worker: 7001, main: 7002 }, sweepFile);

  it('runs the default graph with both osc sinks to the receiver, the baseline right after the stage', () => {
    const graph = parse(bench);
    const sinks = [...graph.nodes.values()].filter((n) => n.kind === 'sink').map((n) => n.id);
    expect(sinks).toEqual(['show', 'synth', 'synth_main', 'overlay', 'state', 'history', 'metrics']);
  });

  it("keeps for the same-work ceiling the command path alone: the sources, operators up to `cv`, `synth` to its own port, no storage", () => {
    const text = sameWorkPipeline(bench, 7003);
    const graph = parse(text);
    const ids = (kind: string) => [...graph.nodes.values()].filter((n) => n.kind === kind).map((n) => n.id);
    expect(ids('source')).toEqual(['demo', 'sweeper']);
    expect(ids('operator')).toEqual(['clean', 'once', 'cmds', 'fair', 'crowd', 'cv']);
    expect(ids('sink')).toEqual(['synth']);
    expect(text).toContain('target: 127.0.0.1:7003');
    expect(text).not.toContain('resources:');
  });
});
