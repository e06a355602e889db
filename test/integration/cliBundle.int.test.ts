/**
 * bin/chatflow.js runs src/cli.ts as one esbuild bundle (bin/cliBundle.js) instead of through
 * tsx, for memory: the bundle must behave as the sources do.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of bin/ without types
import { CACHE_DIR, cliBundle } from '../../bin/cliBundle.js';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

describe('the command line bundle', () => {
  it('keeps each source its own import.meta.url, so paths beside the sources resolve', async () => {
    const url: string = await cliBundle();
    const text = await readFile(new URL(url), 'utf8');
    expect(text).not.toContain('import.meta.url');
    expect(text).toContain(JSON.stringify(pathToFileURL(join(root, 'src', 'resources', 'migrate.ts')).href));
    expect(text).toContain(JSON.stringify(pathToFileURL(join(root, 'src', 'sinks', 'osc', 'stage', 'spawn.ts')).href));
  });

  it('loads twurple only when Twitch is used, not at start (about 40 MiB of a show without it)', async () => {
    const url: string = await cliBundle();
    const text = await readFile(new URL(url), 'utf8');
    // Static imports of a package are loaded with the bundle; twurple is required on first use.
    expect(text).not.toMatch(/^import[^;]*from\s*["']@twurple\//m);
    expect(text).toContain('"@twurple/eventsub-ws"');
    expect(text).toContain('"@twurple/api"');
  });

  it('has a source map naming the TypeScript sources, for stack traces', async () => {
    const url: string = await cliBundle();
    const map = JSON.parse(await readFile(new URL(`${url}.map`), 'utf8')) as { sources: string[] };
    expect(map.sources).toContain('../../src/cli.ts');
  });

  it('is rebuilt when a source it was built from changed, and reused otherwise', async () => {
    const bundle = join(CACHE_DIR, 'cli.mjs');
    await cliBundle();
    const built = (await stat(bundle)).mtimeMs;
    await cliBundle();
    expect((await stat(bundle)).mtimeMs).toBe(built);
    const inputsFile = join(CACHE_DIR, 'inputs.json');
    const recorded = JSON.parse(await readFile(inputsFile, 'utf8')) as { inputs: Record<string, string> };
    const cli = join(root, 'src', 'cli.ts');
    expect(recorded.inputs[cli]).toBeDefined();
    recorded.inputs[cli] = '0:0'; // as if src/cli.ts had changed since
    await writeFile(inputsFile, JSON.stringify(recorded));
    await cliBundle();
    expect((await stat(bundle)).mtimeMs).toBeGreaterThan(built);
  });

  it('is rebuilt from another working directory with its inputs recorded where they are', async () => {
    const inputsFile = join(CACHE_DIR, 'inputs.json');
    await cliBundle();
    const recorded = JSON.parse(await readFile(inputsFile, 'utf8')) as { inputs: Record<string, string> };
    recorded.inputs[join(root, 'src', 'cli.ts')] = '0:0'; // as if src/cli.ts had changed since
    await writeFile(inputsFile, JSON.stringify(recorded));
    const elsewhere = await mkdtemp(join(tmpdir(), 'chatflow-bundle-cwd-'));
    try {
      const module = JSON.stringify(pathToFileURL(join(root, 'bin', 'cliBundle.js')).href);
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const { cliBundle } = await import(${module}); console.log(await cliBundle());`], {
        cwd: elsewhere,
      });
      expect(stdout.trim()).toBe(pathToFileURL(join(CACHE_DIR, 'cli.mjs')).href);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    const inputs = Object.keys((JSON.parse(await readFile(inputsFile, 'utf8')) as { inputs: Record<string, string> }).inputs);
    expect(inputs).toContain(join(root, 'src', 'cli.ts'));
    // Each recorded input exists: the next start finds the bundle fresh.
    for (const path of inputs) await stat(path);
  });

  it('runs the command line: bin/chatflow.js validate on the default pipeline', async () => {
    const { stdout } = await run(process.execPath, [join(root, 'bin', 'chatflow.js'), 'validate', join(root, 'pipeline.yaml')], {
      cwd: root,
    });
    expect(stdout).toMatch(/pipeline\.yaml/);
  });
});
