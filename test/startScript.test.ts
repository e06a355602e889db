/**
 * `npm start` runs chatflow with V8's own young generation and two garbage-collection helper
 * threads (package.json's start script; docs/architecture.md, Memory, says why the small young
 * generation it had was taken back). Such options are only read when node starts, so they live
 * in the script, and every bench runs chatflow with the same ones (bench/startOptions.ts).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startOptions } from '../bench/startOptions.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MANIFEST = new URL('../package.json', import.meta.url);

/** Allocates a steady stream of short- and some longer-lived objects, then prints the new space's size in MiB. */
const PROBE = `
const keep = [];
for (let i = 0; i < 3e6; i++) { const o = { i, s: 'x' + i }; if (i % 10 === 0) keep.push(o); if (keep.length > 50000) keep.splice(0, 25000); }
const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
process.stdout.write(String(space.space_size / 2 ** 20));
`;

async function newSpaceMiB(options: readonly string[]): Promise<number> {
  const { stdout } = await run(process.execPath, [...options, '-e', PROBE]);
  return Number(stdout);
}

describe('npm start', () => {
  it('runs chatflow with the young generation plain node grows (no smaller one: its collections cost the OSC path)', async () => {
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as { scripts: { start: string } };
    expect(manifest.scripts.start).toMatch(/^node .*bin\/chatflow\.js run pipeline\.yaml$/);
    const options = await startOptions(MANIFEST);
    expect(options).toContain('--v8-pool-size=2');
    const plain = await newSpaceMiB([]);
    expect(plain).toBeGreaterThan(8);
    expect(await newSpaceMiB(options)).toBe(plain);
  });

  it('is what `npm run bench` runs its graphs with: it starts again with those options and passes on the exit code', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'no-such-bench'], { cwd: ROOT }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(64);
    // Said once: by the run started again, not also by the one that started it.
    expect(failed?.stderr?.match(/Unknown benchmark\(s\): no-such-bench/g)).toHaveLength(1);
  });
});
