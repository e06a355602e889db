import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedUrls, judgeSoak } from './soak.js';
import { nodeOptionsOf, rerunArgs } from './startOptions.js';

const minutes = (ys: readonly number[]) => ys.map((y, i) => ({ x: i / 6, y }));

describe('judgeSoak', () => {
  it('passes a flat second half below the ceiling, whatever the first half grew', () => {
    const flat = judgeSoak(minutes([60, 90, 120, 130, 131, 130, 131, 130]));
    expect(flat.failures).toEqual([]);
    expect(flat.maxMiBLastHalf).toBe(131);
  });

  it('fails a second half that keeps growing', () => {
    // 1 MiB per 10 s sample: 6 MiB/min.
    const growing = judgeSoak(minutes([100, 101, 102, 103, 104, 105, 106, 107]));
    expect(growing.slopeMiBPerMin).toBeCloseTo(6);
    expect(growing.failures).toEqual(['RSS grew 6 MiB/min over the second half']);
  });

  it('fails a flat run above the ceiling, and a run too short to judge', () => {
    expect(judgeSoak(minutes([171, 171, 171, 171])).failures).toEqual(['RSS reached 171 MiB']);
    expect(judgeSoak(minutes([100])).failures).toHaveLength(1);
  });
});

describe('nodeOptionsOf', () => {
  it('takes the node options an npm script gives chatflow, and nothing of its arguments', () => {
    expect(nodeOptionsOf('node --max-semi-space-size=4 bin/chatflow.js run pipeline.yaml')).toEqual(['--max-semi-space-size=4']);
    expect(nodeOptionsOf('node bin/chatflow.js run --quiet pipeline.yaml')).toEqual([]);
    expect(nodeOptionsOf('tsx src/cli.ts run')).toEqual([]);
  });
});

describe('rerunArgs', () => {
  const loader = ['--require', '/x/tsx/preflight.cjs', '--import', 'file:///x/tsx/loader.mjs'];
  it('runs the bench again with the start options it lacks, before its own, then its script and arguments', () => {
    expect(rerunArgs(['--v8-pool-size=2'], loader, ['/usr/bin/node', '/p/bench/run.ts', 'osc-latency'])).toEqual([
      '--v8-pool-size=2',
      ...loader,
      '/p/bench/run.ts',
      'osc-latency',
    ]);
  });

  it('does not when it has them all (the rerun itself, or node given them)', () => {
    expect(rerunArgs(['--v8-pool-size=2'], ['--v8-pool-size=2', ...loader], ['/usr/bin/node', '/p/bench/run.ts'])).toBeUndefined();
    expect(rerunArgs([], loader, ['/usr/bin/node', '/p/bench/run.ts'])).toBeUndefined();
  });
});

describe('embeddedUrls', () => {
  it("reads the run's embedded servers' ports from what they leave in .chatflow/", async () => {
    const project = await mkdtemp(join(tmpdir(), 'chatflow-soak-urls-'));
    try {
      await mkdir(join(project, '.chatflow', 'redis'), { recursive: true });
      await mkdir(join(project, '.chatflow', 'postgres', 'data'), { recursive: true });
      await writeFile(join(project, '.chatflow', 'redis', 'server.json'), '{"pid":10,"port":36779}\n');
      await writeFile(join(project, '.chatflow', 'postgres', 'data', 'postmaster.pid'), '13814\n/x/data\n1796658172\n46349\n/x\n127.0.0.1\n');
      expect(await embeddedUrls(project)).toEqual({ redis: 'redis://127.0.0.1:36779', postgres: 'postgres://postgres@127.0.0.1:46349/postgres' });
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
