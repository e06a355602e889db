import { describe, expect, it } from 'vitest';
import { IpcChild } from './ipcChild.js';

/** A node child running `code` with an IPC channel. */
const child = (code: string) => new IpcChild<unknown, { n: number }>(process.execPath, ['-e', code], 'test child');

describe('IpcChild', () => {
  it('gives its messages in order, also those that came before they were asked for', async () => {
    const c = child('process.send({ n: 1 }); process.send({ n: 2 }); process.on("message", (m) => process.send({ n: m.n * 10 }));');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await c.next()).toEqual({ n: 1 });
    expect(await c.next()).toEqual({ n: 2 });
    c.send({ n: 3 });
    expect(await c.next()).toEqual({ n: 30 });
    await c.stop({ n: 0 }, 200);
    expect(c.alive).toBe(false);
  });

  it('rejects a wait once the process has exited, and a send to it does nothing', async () => {
    const c = child('process.exit(3)');
    await expect(c.next()).rejects.toThrow('test child: exited (3)');
    expect(c.alive).toBe(false);
    c.send({ n: 1 });
    await expect(c.next()).rejects.toThrow(/exited/);
  });

  it('kills a process that does not stop when asked', async () => {
    const c = child('process.on("message", () => {}); setInterval(() => {}, 1000);');
    const started = performance.now();
    await c.stop({ n: 0 }, 300);
    expect(c.alive).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });
});
