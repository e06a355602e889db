/**
 * `npm start` runs chatflow with a small young generation (package.json's start script): the
 * main thread's V8 default grows it to 32 MiB of resident memory, a fifth of a show's RSS
 * (docs/architecture.md, Memory). The option is only read when the process starts, so it lives
 * in the script, and the soak bench runs chatflow with the same options (bench/soak.ts).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nodeOptionsOf } from '../bench/soak.js';

const run = promisify(execFile);

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
  it('runs chatflow with a young generation of at most 8 MiB, where plain node grows it to 32', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    const options = nodeOptionsOf(manifest.scripts.start);
    expect(manifest.scripts.start).toMatch(/^node .*bin\/chatflow\.js run pipeline\.yaml$/);
    expect(await newSpaceMiB([])).toBeGreaterThan(8);
    expect(await newSpaceMiB(options)).toBeLessThanOrEqual(8);
  });
});
