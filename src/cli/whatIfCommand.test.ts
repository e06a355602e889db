import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { captureIo as io } from '../../test/support/commandIo.js';

let dir: string;
const SAMPLE = 'examples/recordings/twitch-sample.jsonl';

/** The default pipeline with the throttle's rate changed. */
const withRate = async (rate: string): Promise<string> => {
  const { readFile } = await import('node:fs/promises');
  const text = (await readFile('pipeline.yaml', 'utf8')).replace('rate: 1/2s', `rate: ${rate}`);
  const file = join(dir, `rate-${rate.replace('/', '-')}.yaml`);
  // The schema comment points next to the file; the copy needs none.
  await writeFile(file, text.replace('# yaml-language-server: $schema=./pipeline.schema.json\n', ''));
  return file;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatflow-whatif-'));
});

describe('chatflow whatif', () => {
  it('prints what the default pipeline would have done with the sample recording', async () => {
    const t = io();
    expect(await main(['whatif', SAMPLE, 'pipeline.yaml'], t.io)).toBe(0);
    const out = t.out();
    expect(out).toContain(`chatflow whatif: ${SAMPLE} through pipeline.yaml\n`);
    expect(out).toContain('  8 lines: 8 events over 4.9s of show, 0 skipped; fed to source "demo"');
    expect(out).toMatch(/\n {2}cv\.cutoff +2 changes {2}\S+ {2}0\.5@0s 0\.7@0\.7s\n/);
    expect(out).toMatch(/\n {2}cv\.wobble +2 changes {2}\S+ {2}0@0s 0\.75@5s\n/);
    // Each command leaves on its port and on the default one; the two plain lines are unmatched.
    expect(out).toMatch(/\n {2}cmds \(parse_command\) +8 +14 +2 {2}cv 2, pitch 1, vote 3, _unmatched 2\n/);
    expect(out).toContain('\nDrops by reason\n  cmds  no_consumer:_unmatched         2\n');
  });

  it('compares two pipelines, and says so when they do the same', async () => {
    const slow = await withRate('1/10s');
    const t = io();
    expect(await main(['whatif', SAMPLE, 'pipeline.yaml', slow], t.io)).toBe(0);
    // Nobody in the sample sends more than the burst: the throttle's rate changes nothing.
    expect(t.out()).toContain('No difference: both pipelines do the same with this recording.\n');
  });

  it('shows what a slower throttle changes on the shipped cutoff-spam recording (the README example)', async () => {
    const slow = await withRate('1/10s');
    const t = io();
    expect(await main(['whatif', 'examples/recordings/cutoff-spam.jsonl', 'pipeline.yaml', slow], t.io)).toBe(0);
    const out = t.out();
    expect(out).toContain('  cv.cutoff               9       5  at 2s: A 0.1 at 2s (command), B 0.4 at 10s (command)\n');
    expect(out).toContain('  cv.wobble               2       2  same\n');
    expect(out).toContain('  fair                  0        −6        +6\n');
    expect(out).toContain('  fair  throttled                20        26        +6\n');
  });

  it('--json prints the runs and their difference for scripts', async () => {
    const slow = await withRate('1/10s');
    const t = io();
    expect(await main(['whatif', SAMPLE, 'pipeline.yaml', slow, '--json'], t.io)).toBe(0);
    const json = JSON.parse(t.out()) as { recording: string; runs: { pipeline: string }[]; diff: { same: boolean } };
    expect(json.recording).toBe(SAMPLE);
    expect(json.runs.map((r) => r.pipeline)).toEqual(['pipeline.yaml', slow]);
    expect(json.diff.same).toBe(true);
  });

  it('names each malformed line, runs the rest, and exits 65', async () => {
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(SAMPLE, 'utf8')).trim().split('\n');
    const file = join(dir, 'broken.jsonl');
    await writeFile(file, [lines[0], 'not json at all', ...lines.slice(1), '{"kind":"chat","id":"cut'].join('\n'));
    const t = io();
    expect(await main(['whatif', file, 'pipeline.yaml'], t.io)).toBe(65);
    expect(t.out()).toContain('  10 lines: 8 events over 4.9s of show, 2 skipped;');
    expect(t.out()).toContain(`\nSkipped lines\n  ${file}:2: skipped: not JSON\n  ${file}:10: skipped: not JSON\n`);
  });

  it('runs an empty recording: only the defaults', async () => {
    const file = join(dir, 'empty.jsonl');
    await writeFile(file, '');
    const t = io();
    expect(await main(['whatif', file, 'pipeline.yaml'], t.io)).toBe(0);
    expect(t.out()).toContain('  0 lines: 0 events over 0s of show, 0 skipped;');
    expect(t.out()).toMatch(/\n {2}cv\.cutoff +1 change {3}\S+ {2}0\.5@0s\n/);
  });

  it('exits 64 without a pipeline or with an unreadable recording, 78 for an invalid pipeline or an unknown source', async () => {
    let t = io();
    expect(await main(['whatif', SAMPLE], t.io)).toBe(64);
    expect(t.err()).toContain('give a recording and one or two pipelines');
    t = io();
    expect(await main(['whatif', join(dir, 'missing.jsonl'), 'pipeline.yaml'], t.io)).toBe(64);
    expect(t.err()).toContain(`chatflow whatif: cannot read ${join(dir, 'missing.jsonl')}`);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 1\nsources:\n  demo: { type: simulat }\n');
    t = io();
    expect(await main(['whatif', SAMPLE, bad], t.io)).toBe(78);
    t = io();
    expect(await main(['whatif', SAMPLE, 'pipeline.yaml', '--source', 'nope'], t.io)).toBe(78);
    expect(t.err()).toContain('nope');
    t = io();
    expect(await main(['whatif', SAMPLE, 'pipeline.yaml', '--settle', 'soon'], t.io)).toBe(64);
  });
});
