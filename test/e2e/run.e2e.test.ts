import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/core/events.js';
import { spawn } from 'node:child_process';
import { BIN, chatflow } from '../support/cli.js';

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function lines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('chatflow run (a real process)', () => {
  it('writes simulated chat to JSONL and, on SIGTERM, stops cleanly with everything flushed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-e2e-'));
    const out = join(dir, 'out', 'chat.jsonl');
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
sources:
  demo: { type: simulate, rate: 200/s, users: 50, seed: 3 }
sinks:
  log:
    type: file
    inputs: [demo]
    path: out/chat.jsonl
    batch: { max_events: 500, timeout: 5s }
`,
    );
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    // The batch timeout (5 s) is longer than the wait: what is on disk at SIGTERM is only
    // what the shutdown flush wrote, so a clean stop must flush.
    await until(() => run.output().includes('Pipeline started.'));
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGTERM');
    const finished = await run.finished;
    expect(finished.code, finished.stderr).toBe(0);

    const written = await lines(out);
    expect(written.length).toBeGreaterThan(100);
    const events = written.map((line) => JSON.parse(line) as ChatEvent);
    expect(events.every((e) => e.kind === 'chat' && e.id.startsWith('sim-3-'))).toBe(true);
    // The summary table reports the same count the file holds: nothing lost at shutdown.
    const summary = finished.stderr.split('\n').find((line) => line.startsWith('log '));
    expect(summary).toBeDefined();
    expect(summary).toContain(new Intl.NumberFormat('en-US').format(events.length));
    expect(finished.stderr).toContain('Pipeline stopped.');
  });

  it('exits by itself with code 0 when a finite source has ended and the sink has written it all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-e2e-'));
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
sources:
  demo: { type: simulate, rate: max, count: 5000, seed: 9 }
sinks:
  log: { type: file, inputs: [demo], path: all.jsonl, append: false }
`,
    );
    const finished = await chatflow(['run', '--quiet'], { cwd: dir }).finished;
    expect(finished.code, finished.stderr).toBe(0);
    expect(await lines(join(dir, 'all.jsonl'))).toHaveLength(5000);
  });

  it('exits 78 and names the problem when the pipeline is invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-e2e-'));
    await writeFile(join(dir, 'pipeline.yaml'), 'version: 1\nsources:\n  demo: { type: simulat }\n');
    const finished = await chatflow(['run'], { cwd: dir }).finished;
    expect(finished.code).toBe(78);
    expect(finished.stderr).toContain('pipeline.yaml:3:');
    expect(finished.stderr).toContain('Did you mean "simulate"?');
  });
});

describe('chatflow run: a component that refuses its config at start', () => {
  it('exits 78 with the reason, having started nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-e2e-'));
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
server: { listen: 127.0.0.1:0 }
sources:
  demo: { type: simulate, rate: 5/s }
sinks:
  one: { type: overlay, inputs: [demo] }
  two: { type: overlay, inputs: [demo] }
`,
    );
    const finished = await chatflow(['run', '--quiet'], { cwd: dir }).finished;
    expect(finished.code, finished.stderr).toBe(78);
    expect(finished.stderr).toMatch(/chatflow: .*\/overlay\/ws/);
    expect(finished.stderr).not.toContain('Pipeline started.');
  });
});

describe('chatflow run: a second signal', () => {
  it('exits at once with 130 while the first one is still flushing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-e2e-'));
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
sources:
  demo: { type: simulate, rate: 20000/s, seed: 5 }
sinks:
  show: { type: console, inputs: [demo], max_lines: 1000000/s, flush_timeout: 60s }
`,
    );
    // Nobody reads the child's stdout: once the pipe is full the console sink waits for it to
    // drain, so the first SIGTERM's flush cannot finish.
    const child = spawn(process.execPath, [BIN, 'run', '--quiet'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => stderr.includes('Pipeline started.'));
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGTERM');
    await until(() => stderr.includes('Stopping'));
    child.kill('SIGTERM');
    // The flush cannot finish (flush_timeout 60s, stdout never drained): exiting with 130 and
    // without the stop report shows the second signal did not wait for it.
    expect(await exited).toBe(130);
    expect(stderr).toContain('second SIGTERM; exiting without flushing');
    expect(stderr).not.toContain('Pipeline stopped.');
    child.stdout.destroy();
  });
});
