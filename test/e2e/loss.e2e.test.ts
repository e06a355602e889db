/**
 * Loss is loud, as a real `chatflow run` process: a file sink writing to /dev/full (every write
 * fails with ENOSPC, a disk that is full; `retry.attempts: 0`, so each batch is dropped at once
 * as `retries_exhausted`) loses every event it is given, deterministically and without timing.
 * The log warns `Events lost.` while it runs, the summary's last line says what was lost, and
 * `--strict` exits 74. Linux-only observation (/dev/full); the code under test is portable.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Run, chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';
import { tempDirs } from '../support/tempDirs.js';

const temp = tempDirs();
/** Runs a failed test may have left running. */
const started: Run[] = [];
afterAll(async () => {
  for (const run of started) if (run.child.exitCode === null && run.child.signalCode === null) await stop(run);
  await temp.removeAll();
});

const pipeline = (source: string, path: string) => `version: 1
sources:
  demo: { type: simulate, ${source}, seed: 4 }
sinks:
  out:
    type: file
    inputs: [demo]
    path: ${path}
    retry: { attempts: 0 }
`;

async function project(yaml: string): Promise<string> {
  const dir = await temp.make('chatflow-loss-');
  await writeFile(join(dir, 'pipeline.yaml'), yaml);
  return dir;
}

/** The JSON log lines of a run's stderr. */
function logs(stderr: string): { level: number; msg: string; [key: string]: unknown }[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

function lastLine(stderr: string): string {
  return stderr.trimEnd().split('\n').at(-1) ?? '';
}

describe('chatflow run: loss is loud', () => {
  it('warns while a sink loses events, and ends with the count by node and reason (exit 0 without --strict)', async () => {
    const dir = await project(pipeline('rate: 50/s', '/dev/full'));
    const run = chatflow(['run', '--quiet'], { cwd: dir });
    started.push(run);
    await pipelinesStarted([run]);
    // Logged while it runs (at the first check after the first loss), not only at stop.
    await until('the loss was logged', () => run.output().includes('"msg":"Events lost."'), {
      timeoutMs: 20_000,
      detail: () => run.output(),
    });
    expect(run.output()).not.toContain('Stopping pipeline.');
    const finished = await stop(run);
    expect(finished.code, finished.stderr).toBe(0);

    const lost = logs(finished.stderr).filter((l) => l.msg === 'Events lost.');
    expect(lost[0]).toMatchObject({ level: 40, component: 'runtime', node: 'out', type: 'file' });
    expect(Object.keys(lost[0]?.lost as object)).toEqual(['retries_exhausted']);
    const stopped = logs(finished.stderr).find((l) => l.msg === 'Pipeline stopped.');
    const total = stopped?.lost as number;
    expect(total).toBeGreaterThan(0);
    // What the warnings counted adds up to what the run lost.
    expect(lost.reduce((n, l) => n + (l.events as number), 0)).toBe(total);
    // The table's lost column and the last line say the same.
    const row = finished.stderr.split('\n').find((line) => line.startsWith('out '));
    expect(row).toContain(`retries_exhausted=${total}`);
    // One lost event (a stop soon after the first loss) is said in the singular.
    expect(lastLine(finished.stderr)).toBe(
      `Lost ${total.toLocaleString('en-US')} event${total === 1 ? '' : 's'}: out retries_exhausted ${total.toLocaleString('en-US')}.`,
    );
  });

  it('exits 74 with --strict when promised events were lost', async () => {
    const dir = await project(pipeline('rate: max, count: 50', '/dev/full'));
    const finished = await chatflow(['run', '--quiet', '--strict'], { cwd: dir }).finished;
    expect(finished.code, finished.stderr).toBe(74);
    expect(lastLine(finished.stderr)).toBe('Lost 50 events: out retries_exhausted 50.');
    expect(logs(finished.stderr).filter((l) => l.msg === 'Events lost.').map((l) => l.lost)).toEqual([{ retries_exhausted: 50 }]);
  });

  it('exits 0 with --strict and says "Nothing lost." when everything was written', async () => {
    const dir = await project(pipeline('rate: max, count: 50', 'all.jsonl'));
    const finished = await chatflow(['run', '--quiet', '--strict'], { cwd: dir }).finished;
    expect(finished.code, finished.stderr).toBe(0);
    expect(lastLine(finished.stderr)).toBe('Nothing lost.');
    expect(finished.stderr).not.toContain('Events lost.');
    expect((await readFile(join(dir, 'all.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(50);
  });
});
