/**
 * The machine's ceiling for chatflow's own chat → OSC work in the control-timing and
 * osc-latency benches (bench/ceilingProcesses.ts): the default pipeline's command path alone
 * (simulate → normalize → dedupe → parse_command → throttle, vote → control → osc with its
 * output stage), in a process of its own with none of the other sinks, the server or the
 * storage, run in the same window under the same load and sent to its own socket of the same
 * kernel-timestamped receiver. What is left between it and the full graph is what the rest of
 * the graph costs the command path on this machine.
 *
 * argv: the pipeline file, the bench process's `process.hrtime − performance.now()` offset
 * (ns): `receivedAt` is stamped on that process's `performance.now()` clock, so the receiver
 * times both lanes alike. stdin: `start` (a window begins), `report` (prints one JSON line: the
 * main thread's CPU and its time waiting for a core since `start`, Linux; null elsewhere).
 * stdout: one line when running. It stops on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { threadSchedStat } from './controlTimingMachine.js';

const [file = '', offsetText = '0'] = process.argv.slice(2);
const offsetNs = BigInt(offsetText);

const graph = loadPipeline(file, { registry: defaultRegistry(), env: process.env });
const runtime = await startPipeline(graph, {
  logger: silentLogger(),
  clock: () => Number(process.hrtime.bigint() - offsetNs) / 1e6,
  resources: { baseDir: process.cwd(), instance: 'bench-same-work' },
});
let since = threadSchedStat();
let cpu = process.cpuUsage();
let startedAt = performance.now();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'start') {
    since = threadSchedStat();
    cpu = process.cpuUsage();
    startedAt = performance.now();
  } else if (line === 'report') {
    const now = threadSchedStat();
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - startedAt;
    process.stdout.write(
      `${JSON.stringify({
        processCpuPercent: Math.round(((used.user + used.system) / 1000 / wallMs) * 1000) / 10,
        mainThreadWaitingForCorePercent:
          now && since ? Math.round(((now.waitingMs - since.waitingMs) / wallMs) * 10_000) / 100 : null,
      })}\n`,
    );
  }
});
process.once('SIGTERM', () => {
  void runtime.stop().finally(() => process.exit(0));
});
process.stdout.write('running\n');
