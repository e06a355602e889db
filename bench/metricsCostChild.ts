/**
 * One side of `npm run bench metrics-cost`: the default graph (metrics on or off) in a process
 * of its own, running beside the other side (bench/metricsCost.ts). Started with the pipeline
 * text's file and the bench's Redis URL; says `ready` over IPC once running, then answers each
 * `mark` with the messages its source has emitted so far and its main thread's time on a core
 * (ns resolution, Linux; the process's CPU time elsewhere), and stops on `stop`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainThreadSchedStat } from './controlTimingMachine.js';
import { startGraph } from './defaultGraph.js';

export interface ChildMark {
  readonly emitted: number;
  /** Main thread's running time (Linux), else the process's user + system time, ms. */
  readonly cpuMs: number;
  /** performance.now() of this process. */
  readonly at: number;
}

export type ToChild = { readonly t: 'mark' } | { readonly t: 'stop' };
export type FromChild = { readonly t: 'ready' } | ({ readonly t: 'mark' } & ChildMark) | { readonly t: 'stopped' };

const [file, redisUrl] = process.argv.slice(2) as [string, string];
const send = (message: FromChild) => process.send?.(message);

const cpuMs = (): number => {
  const own = mainThreadSchedStat(process.pid);
  if (own) return own.runningMs;
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-metrics-child-'));
const running = await startGraph(await readFile(file, 'utf8'), {
  root,
  name: 'graph',
  storage: { resources: { redis: { url: redisUrl } } },
});
// The bench gone (killed, crashed): do not go on running at full speed.
process.on('disconnect', () => process.exit(1));
process.on('message', (message: ToChild) => {
  if (message.t === 'mark') {
    send({ t: 'mark', emitted: running.snapshot().get('demo')?.eventsOut[''] ?? 0, cpuMs: cpuMs(), at: performance.now() });
    return;
  }
  void running
    .stop()
    .then(() => rm(root, { recursive: true, force: true }))
    .then(() => {
      send({ t: 'stopped' });
      process.exit(0);
    });
});
send({ t: 'ready' });
