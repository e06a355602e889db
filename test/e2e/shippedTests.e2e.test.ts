/**
 * The tests shipped with chatflow (`pipeline.test.yaml`, `examples/*.test.yaml`), run as a
 * streamer runs them: `chatflow test` as a real process, on the real virtual-time harness. So
 * `npm test` fails when the default pipeline or an example stops doing what it promises.
 */
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chatflow } from '../support/cli.js';
import { tempDirs } from '../support/tempDirs.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

async function shippedFiles(): Promise<string[]> {
  const examples = (await readdir('examples')).filter((f) => f.endsWith('.test.yaml')).map((f) => `examples/${f}`);
  return ['pipeline.test.yaml', ...examples.sort()];
}

describe('the shipped tests', () => {
  it('every example in examples/ has a test file beside it', async () => {
    const pipelines = (await readdir('examples')).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'));
    const tests = await shippedFiles();
    expect(pipelines.map((f) => `examples/${f.replace(/\.yaml$/, '.test.yaml')}`).filter((t) => !tests.includes(t))).toEqual([]);
  });

  it('`chatflow test pipeline.test.yaml examples` passes them all: exit 0, one ✓ line per test', async () => {
    const files = await shippedFiles();
    const names = (await Promise.all(files.map(async (f) => Object.keys((parse(await readFile(f, 'utf8')) as { tests: object }).tests)))).flat();
    const run = await chatflow(['test', 'pipeline.test.yaml', 'examples']).finished;
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('  ✓ ')).length).toBe(names.length);
    for (const name of names) expect(lines.some((l) => l.startsWith(`  ✓ ${name}  `))).toBe(true);
    expect(run.stdout).toContain(`${names.length} tests: ${names.length} passed, 0 failed.\n`);
    expect(run.code).toBe(0);
  });

  it('the same test with a wrong expectation fails, with the difference at its virtual time and node', async () => {
    const dir = await dirs.make('chatflow-shipped-');
    await copyFile('pipeline.yaml', join(dir, 'pipeline.yaml'));
    const text = await readFile('pipeline.test.yaml', 'utf8');
    const wrong = text.replace('- { at: 5s, address: /cv/wobble, value: 0.7 }', '- { at: 5s, address: /cv/wobble, value: 0.8 }');
    expect(wrong).not.toBe(text);
    await writeFile(join(dir, 'pipeline.test.yaml'), wrong);
    // The expectation's `- sink: synth`, the first after the test's name.
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.includes("the crowd's median vote"));
    const line = lines.findIndex((l, i) => i > start && l === '      - sink: synth') + 1;
    const run = await chatflow(['test'], { cwd: dir }).finished;
    const failure = run.stdout.split('\n').filter((l) => l.startsWith('      '));
    expect(failure).toEqual([
      `      pipeline.test.yaml:${line}:9: synth (osc): expected output 2 of 2 was not sent after #4 (these 2, in this order, others between)`,
      '      - #2 expected at 5.000s: {"address":"/cv/wobble","value":0.8}',
      '      + #5 synth (osc) at 5.000s: {"address":"/cv/wobble","value":0.7}',
      '            value: expected 0.8, received 0.7',
      '        (the nearest of 5 outputs sent after #4)',
    ]);
    expect(run.stdout).toMatch(/\n {2}✗ the crowd's median vote moves wobble when the window closes {2}12\.000s virtual, \d+ ms\n/);
    expect(run.code).toBe(1);
  });
});
