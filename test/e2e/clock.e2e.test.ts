/**
 * `chatflow run` with a `clock: follow`: the real process binds the clock's UDP port, follows
 * beats that liblo's `oscsend` sends it, and refuses to start (exit 78) when the port is taken.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../integration/oscSupport.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';

const run = promisify(execFile);

const pipeline = (port: number) => `version: 1
clock:
  follow: { listen: "127.0.0.1:${port}" }
sources:
  demo: { type: simulate, rate: 5/s, seed: 1 }
sinks:
  sink: { type: blackhole, inputs: [demo] }
`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function pipelineDir(port: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatflow-clock-'));
  dirs.push(dir);
  await writeFile(join(dir, 'pipeline.yaml'), pipeline(port));
  return dir;
}

describe('chatflow run with clock: follow', () => {
  it('follows beats sent with oscsend, and says so', async () => {
    const port = await freeUdpPort();
    const cf = chatflow(['run', '--quiet'], { cwd: await pipelineDir(port) });
    try {
      await pipelinesStarted([cf]);
      expect(cf.output()).toContain('Clock listening for OSC beats');
      for (const n of [0, 1, 2]) {
        await run('oscsend', ['127.0.0.1', String(port), '/clock/beat', 'i', String(n)]);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await until('the clock to follow the beats', () => cf.output().includes('Clock following the beats.'), {
        timeoutMs: 20_000,
        detail: () => cf.output(),
      });
    } finally {
      const finished = await stop(cf);
      expect(finished.code, finished.stderr).toBe(0);
    }
  }, 60_000);

  it('refuses to start, exit 78, when the clock port is taken', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', () => resolve()));
    const port = holder.address().port;
    try {
      const ran = await chatflow(['run', '--quiet'], { cwd: await pipelineDir(port) }).finished;
      expect(ran.code, ran.stderr).toBe(78);
      expect(ran.stderr).toContain(`Cannot listen for the clock on 127.0.0.1:${port}`);
      expect(ran.stderr).not.toContain('Pipeline started.');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }, 60_000);
});
