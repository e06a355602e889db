/**
 * A diagnostic for full-graph (not a bench of its own, no result file): the default graph with
 * every sink on at one offered rate, and what a message costs in CPU time: chatflow's main
 * thread, its whole process (the postgres writer thread, the osc stage, V8's helpers) and the
 * PostgreSQL server's processes. For paired A/B runs of a change to the postgres path, and for
 * `node --cpu-prof`:
 *
 *   node --import tsx bench/fullGraphCpu.ts [rate=95000] [seconds=15] [postgres|null]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/fullGraphCpu.ts 95000 15
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGraphText, readDefaultPipeline, startBenchStorage, startGraph } from './defaultGraph.js';
import { LoadSampler } from './load.js';
import { cpuUsPerMessage } from './machineCeiling.js';
import { startReceiver } from './oscLatency.js';
import { processTreeCpuMs } from './processCpu.js';
import { mainThreadCpuMs } from './threadCpu.js';

const rate = Number(process.argv[2] ?? 95_000);
const seconds = Number(process.argv[3] ?? 15);
const postgres = process.argv[4] === 'null' ? 'null' : 'on';

const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-cpu-'));
await chmod(root, 0o711);
const storage = await startBenchStorage(root);
const receiver = await startReceiver();
try {
  const text = defaultGraphText(await readDefaultPipeline(), {
    rate,
    seed: 7000 + Math.floor(Math.random() * 1e6),
    oscTarget: `127.0.0.1:${receiver.port}`,
    metrics: true,
    postgres,
  });
  await receiver.ask({ cmd: 'start', offsetNs: '0', since: Number.POSITIVE_INFINITY });
  const quiet = await LoadSampler.whenQuiet({ windowMs: 1000, maxWaitMs: 20_000 });
  const running = await startGraph(text, { root, name: 'full-graph-cpu', storage });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const pid = storage.postmasterPid();
  const before = running.snapshot();
  const main = mainThreadCpuMs();
  const server = processTreeCpuMs(pid);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(cpu);
  const mainAfter = mainThreadCpuMs();
  const serverAfter = processTreeCpuMs(pid);
  const windowMs = performance.now() - started;
  const after = running.snapshot();
  await running.stop();
  const emitted = (after.get('demo')?.eventsOut[''] ?? 0) - (before.get('demo')?.eventsOut[''] ?? 0);
  const history = after.get('history');
  const figures = {
    rate,
    seconds,
    postgres,
    emittedPerSec: Math.round((emitted / windowMs) * 1000),
    pausedMs: Math.round((after.get('demo')?.flow?.pausedMs ?? 0) - (before.get('demo')?.flow?.pausedMs ?? 0)),
    historyBacklog: [before.get('history')?.bufferDepth, history?.bufferDepth],
    cpuUsPerMessage: {
      mainThread: cpuUsPerMessage(main === null || mainAfter === null ? null : mainAfter - main, emitted),
      process: cpuUsPerMessage((used.user + used.system) / 1000, emitted),
      postgresServer: cpuUsPerMessage(server === null || serverAfter === null ? null : serverAfter - server, emitted),
    },
    load: quiet.sampler.finish(),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await receiver.exit();
  await storage.stop();
  await rm(root, { recursive: true, force: true });
}
