import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processRss, stopTable } from './processRss.js';

describe('processRss', () => {
  it("reads another process's resident memory", async () => {
    const child = spawn(process.execPath, ['-e', 'globalThis.keep = Buffer.alloc(64 * 2 ** 20, 1); setInterval(() => {}, 1000)']);
    try {
      let rss: number | undefined;
      // The child fills its 64 MiB after it starts: wait for it, by count of tries.
      for (let i = 0; i < 100 && (rss ?? 0) < 64 * 2 ** 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        rss = await processRss(child.pid as number);
      }
      expect(rss).toBeGreaterThan(64 * 2 ** 20);
    } finally {
      child.kill();
    }
  });

  it('is undefined for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await processRss(child.pid as number)).toBeUndefined();
  });
});

describe('stopTable', () => {
  it("reads each node's out and lost from chatflow run's stop table", () => {
    const text = [
      'some log line',
      'node     type            status   in       out      filtered                                                           lost  errors',
      'demo     simulate        stopped  0          1,076,133  0                                                                   0     0',
      'history  postgres        stopped  1,354,208  1,354,208  0                                                                   12    1',
      '',
    ].join('\n');
    const rows = stopTable(text);
    expect(rows.get('demo')).toEqual({ type: 'simulate', out: 1_076_133, lost: 0 });
    expect(rows.get('history')).toEqual({ type: 'postgres', out: 1_354_208, lost: 12 });
    expect(rows.size).toBe(2);
  });
});
