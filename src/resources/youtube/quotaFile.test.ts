import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { createLogger } from '../../core/logger.js';
import { YOUTUBE_QUOTA } from '../../core/youtubeQuota.js';
import { Services } from '../../core/services.js';
import { openYoutubeQuota, youtubeQuotaFile } from './quotaFile.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

function logger() {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => lines.push(c.toString()));
  return { lines, logger: createLogger({ level: 'debug', destination: out }) };
}

const noon = Date.UTC(2026, 11, 2, 20); // 12:00 PST, 2 December
const budget = { project: 'default', dailyQuota: 10_000 };

describe('the YouTube quota file', () => {
  it('writes every change and gives a restart the same day what was spent', async () => {
    const dir = await dirs.make('chatflow-quota-');
    const first = await openYoutubeQuota({ baseDir: dir, logger: logger().logger });
    expect(new Services([...first.provided]).get(YOUTUBE_QUOTA)).toBe(first.quota);
    for (let i = 0; i < 50; i += 1) first.quota.spend(budget, 'read', 5, noon);
    first.quota.spend(budget, 'send', 20, noon);
    await first.close();
    expect(JSON.parse(await readFile(youtubeQuotaFile(dir), 'utf8'))).toEqual({ day: '2026-12-02', projects: { default: { read: 250, send: 20 } } });

    const again = await openYoutubeQuota({ baseDir: dir, logger: logger().logger });
    expect(again.quota.usage('default', noon + 3_600_000)).toEqual({ read: 250, send: 20, exhausted: false });
    // The next Pacific day starts from zero, and the file says so.
    expect(again.quota.used('default', noon + 12 * 3_600_000)).toBe(0);
    await again.close();
    expect(JSON.parse(await readFile(youtubeQuotaFile(dir), 'utf8'))).toEqual({ day: '2026-12-03', projects: {} });
  });

  it('starts from zero with a warning when the file is not one it wrote', async () => {
    const dir = await dirs.make('chatflow-quota-');
    await mkdir(join(dir, '.chatflow'));
    await writeFile(youtubeQuotaFile(dir), '{"day": 5}');
    const { lines, logger: log } = logger();
    const opened = await openYoutubeQuota({ baseDir: dir, logger: log });
    expect(opened.quota.used('default', noon)).toBe(0);
    expect(lines.join('')).toMatch(/YouTube quota file cannot be read; counting from zero\./);
    await opened.close();
  });
});
