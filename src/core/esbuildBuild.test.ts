import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildOptions, BuildResult } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { buildThenStop, type EsbuildApi, stoppingBuilds } from './esbuildBuild.js';

/** A stand-in for esbuild that records builds starting and ending, and stops. */
function fakeEsbuild() {
  const log: string[] = [];
  const ends: (() => void)[] = [];
  const api: EsbuildApi = {
    build: (options: BuildOptions) =>
      new Promise<BuildResult>((resolve, reject) => {
        const name = (options.entryPoints as string[])[0] as string;
        log.push(`start ${name}`);
        ends.push(() => {
          log.push(`end ${name}`);
          if (name === 'bad') reject(new Error('bad input'));
          else resolve({ errors: [], warnings: [], outputFiles: [], metafile: undefined, mangleCache: undefined } as unknown as BuildResult);
        });
      }),
    stop: async () => {
      log.push('stop');
    },
  };
  return { log, api, endNext: () => ends.shift()?.() };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('stoppingBuilds', () => {
  it('stops the service once the last running build ends, not while another runs', async () => {
    const fake = fakeEsbuild();
    const build = stoppingBuilds(async () => fake.api);
    const a = build({ entryPoints: ['a'] });
    const b = build({ entryPoints: ['b'] });
    await tick();
    fake.endNext();
    await a;
    expect(fake.log).toEqual(['start a', 'start b', 'end a']);
    fake.endNext();
    await b;
    expect(fake.log).toEqual(['start a', 'start b', 'end a', 'end b', 'stop']);
    // The next build runs as the first did (a real esbuild starts a new service), and stops it again.
    const c = build({ entryPoints: ['c'] });
    await tick();
    fake.endNext();
    await c;
    expect(fake.log.slice(5)).toEqual(['start c', 'end c', 'stop']);
  });

  it('stops it after a build that failed too', async () => {
    const fake = fakeEsbuild();
    const build = stoppingBuilds(async () => fake.api);
    const bad = build({ entryPoints: ['bad'] });
    await tick();
    fake.endNext();
    await expect(bad).rejects.toThrow('bad input');
    expect(fake.log).toEqual(['start bad', 'end bad', 'stop']);
  });
});

describe('buildThenStop', () => {
  it('builds again with the real esbuild after it stopped its service', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-esbuild-'));
    try {
      const entry = join(dir, 'entry.ts');
      await writeFile(entry, 'export const answer: number = 42;\n');
      const options: BuildOptions = { entryPoints: [entry], bundle: true, write: false, format: 'esm', logLevel: 'silent' };
      const first = await buildThenStop(options);
      const second = await buildThenStop(options);
      expect(first.outputFiles?.[0]?.text).toContain('42');
      expect(second.outputFiles?.[0]?.text).toBe(first.outputFiles?.[0]?.text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
