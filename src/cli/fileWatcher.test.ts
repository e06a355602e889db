import { renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isWatchedChange, watchFiles } from './fileWatcher.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('isWatchedChange', () => {
  const dir = join(tmpdir(), 'project');
  const wanted = new Set([join(dir, 'pipeline.yaml'), join(dir, 'words.txt')]);

  it.each([
    ['pipeline.yaml', true],
    ['words.txt', true],
    ['other.yaml', false],
    ['.pipeline.yaml.swp', false],
    ['pipeline.yaml~', false],
    ['.#pipeline.yaml', false],
    ['#pipeline.yaml#', false],
    ['4913', false],
    ['pipeline.yaml___jb_tmp___', false],
  ])('%s: %s', (name, expected) => {
    expect(isWatchedChange(wanted, dir, name)).toBe(expected);
  });

  it('counts a change without a name (some platforms give none)', () => {
    expect(isWatchedChange(wanted, dir, null)).toBe(true);
  });
});

describe('watchFiles', () => {
  it('calls back once for a burst of writes to a watched file, including a save by rename', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-watch-'));
    dirs.push(dir);
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(file, 'a');
    let calls = 0;
    const errors: Error[] = [];
    const watcher = watchFiles(() => (calls += 1), 100, (err) => errors.push(err));
    watcher.setFiles([file]);
    // Synchronous writes: every event is queued before the debounce timer can fire.
    writeFileSync(file, 'b');
    writeFileSync(file, 'c');
    writeFileSync(join(dir, 'pipeline.yaml.tmp'), 'd');
    renameSync(join(dir, 'pipeline.yaml.tmp'), file);
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    watcher.close();
    expect(errors).toEqual([]);
  });

  it('follows a save by rename (an editor writing a temporary file over the original)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-watch-'));
    dirs.push(dir);
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(file, 'a');
    let calls = 0;
    const watcher = watchFiles(() => (calls += 1), 50, () => undefined);
    watcher.setFiles([file]);
    writeFileSync(join(dir, '.pipeline.yaml.swp'), 'b');
    renameSync(join(dir, '.pipeline.yaml.swp'), file);
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // The file is watched still: the next save is seen too.
    writeFileSync(file, 'c');
    while (calls === 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(2);
    watcher.close();
  });
});
