import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../components.js';
import { silentLogger } from '../core/logger.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { loadPipeline } from '../pipelines/graph.js';
import { diffGraphs } from '../pipelines/reloadDiff.js';
import { type ReloadReport, reloadReport } from '../pipelines/reloadReport.js';
import { PipelineReloader } from './pipelineReloader.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const yaml = (rate: string, words = false) => `version: 1
sources:
  demo: { type: simulate, rate: 5/s }
operators:
  fair: { type: throttle, inputs: [demo], rate: ${rate} }
${words ? '  mod: { type: moderate, inputs: [fair], words: { file: words.txt } }\n' : ''}sinks:
  show: { type: console, inputs: [fair] }
`;

/** A runtime that records what it was asked to apply; `hold` keeps a reload running until released. */
function fakeRuntime(start: PipelineGraph) {
  let running = start;
  const applied: { graph: PipelineGraph; rebuild: ReadonlySet<string> }[] = [];
  let release: (() => void) | undefined;
  return {
    applied,
    hold: false,
    release: () => release?.(),
    async reload(next: PipelineGraph, options: { rebuild?: ReadonlySet<string> } = {}): Promise<ReloadReport> {
      applied.push({ graph: next, rebuild: options.rebuild ?? new Set() });
      if (this.hold) await new Promise<void>((resolve) => (release = resolve));
      const diff = diffGraphs(running, next, options.rebuild);
      running = next;
      return reloadReport(diff, { applied: true, restarted: [], failed: [], lostInRetiredSinks: 0, durationMs: 0 });
    },
  };
}

async function setUp(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'chatflow-reloader-'));
  dirs.push(dir);
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(join(dir, 'words.txt'), 'scam\n');
  writeFileSync(file, text);
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: {} });
  const runtime = fakeRuntime(graph);
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const reloader = new PipelineReloader({
    file,
    env: {},
    runtime,
    running: graph,
    logger: silentLogger(),
    stderr,
    wallClock: () => 1_700_000_000_000,
  });
  return { dir, file, runtime, reloader, err: () => err };
}

describe('PipelineReloader', () => {
  it('applies a valid file and reports what changed', async () => {
    const t = await setUp(yaml('10/s'));
    writeFileSync(t.file, yaml('20/s'));
    const outcome = await t.reloader.request('file');
    expect(outcome).toMatchObject({ status: 'ok', trigger: 'file', report: { changed: ['fair'] } });
    expect(t.runtime.applied).toHaveLength(1);
    expect(t.reloader.state).toMatchObject({ configValid: true, reloads: 1, failures: 0, last: { status: 'ok' } });
  });

  it('leaves the running graph alone for an invalid file and reports it with its position', async () => {
    const t = await setUp(yaml('10/s'));
    writeFileSync(t.file, yaml('10/s').replace('rate: 10/s', 'rat: 10/s'));
    const outcome = await t.reloader.request('api');
    expect(t.runtime.applied).toEqual([]);
    expect(outcome.status).toBe('invalid');
    expect(t.err()).toMatch(/pipeline\.yaml:5:\d+: error: .*Did you mean "rate"\?/);
    expect(t.err()).toContain('the running pipeline was left as it was');
    expect(t.reloader.state).toMatchObject({ configValid: false, reloads: 1, failures: 1, last: { status: 'invalid' } });
    // Fixed: applied, and the state says so.
    writeFileSync(t.file, yaml('10/s'));
    expect((await t.reloader.request('file')).status).toBe('ok');
    expect(t.reloader.state).toMatchObject({ configValid: true, reloads: 2, failures: 1 });
  });

  it('runs one reload at a time and coalesces the requests made meanwhile into one', async () => {
    const t = await setUp(yaml('10/s'));
    t.runtime.hold = true;
    writeFileSync(t.file, yaml('20/s'));
    const first = t.reloader.request('file');
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.runtime.applied).toHaveLength(1);
    writeFileSync(t.file, yaml('30/s'));
    const second = t.reloader.request('signal');
    const third = t.reloader.request('api');
    expect(third).toBe(second);
    t.runtime.hold = false;
    t.runtime.release();
    await first;
    const outcome = await second;
    expect(t.runtime.applied).toHaveLength(2);
    expect(outcome).toMatchObject({ status: 'ok', trigger: 'signal', report: { changed: ['fair'] } });
    expect(t.runtime.applied[1]?.graph.nodes.get('fair')?.config).toMatchObject({ rate: { count: 30 } });
  });

  it('rebuilds a node whose word file changed though its config did not', async () => {
    const t = await setUp(yaml('10/s', true));
    expect((await t.reloader.request('file')).status).toBe('ok');
    expect([...(t.runtime.applied[0]?.rebuild ?? [])]).toEqual([]);
    writeFileSync(join(t.dir, 'words.txt'), 'scam\nspam\n');
    const outcome = await t.reloader.request('file');
    expect([...(t.runtime.applied[1]?.rebuild ?? [])]).toEqual(['mod']);
    expect(outcome).toMatchObject({ status: 'ok', report: { changed: ['mod'] } });
  });

  it('says once, plainly, what applies only at the next start, and applies the rest', async () => {
    const t = await setUp(`server: { listen: "127.0.0.1:8080" }\n${yaml('10/s')}`);
    writeFileSync(t.file, `server: { listen: "127.0.0.1:9090" }\n${yaml('20/s')}`);
    const outcome = await t.reloader.request('file');
    expect(outcome).toMatchObject({ status: 'ok', report: { changed: ['fair'], needsRestart: [{ setting: 'server.listen' }] } });
    expect(t.err().match(/applies at the next start/g)).toHaveLength(1);
    expect(t.err()).toContain('changed server.listen; this applies at the next start (restart chatflow).');
    // Applied: the next reload of the same file has nothing left to say.
    await t.reloader.request('file');
    expect(t.err().match(/applies at the next start/g)).toHaveLength(1);
  });
});
