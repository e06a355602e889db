/**
 * The control-timing bench's load without its ceiling processes, for profiling the main
 * thread (issue 20): `node [--cpu-prof] --import tsx bench/mainLoopLoad.ts [seconds]`.
 * pipeline.yaml as bench/controlTiming.ts sets it up (1,000 messages/s, every sink on, the
 * output stage and the main-loop osc sink to a kernel-timestamping receiver), 200 overlay
 * clients in another process and the dashboard in Chromium. Prints one JSON line: the main
 * thread's event-loop delay and utilisation, its GCs, chat → OSC at the receiver for both
 * sinks, and the CPU each process of the load took. Not a bench (no goal): a tool to compare
 * a change against its base on the same machine, run back to back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { asyncScheduler } from 'rxjs';
import { parseDocument } from 'yaml';
import { defaultRegistry } from '../src/components.js';
import { BEAT_CLOCK, fixedClock } from '../src/core/beatClock.js';
import { silentLogger } from '../src/core/logger.js';
import { provide, Services } from '../src/core/services.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { freePort } from '../src/resources/embedded.js';
import { openStorage } from '../src/resources/storage.js';
import { createHttpServer } from '../src/server/httpServer.js';
import { launchChromium } from '../test/support/browser.js';
import { benchPipeline } from './controlTiming.js';
import { startReceiver } from './controlTimingProbe.js';
import { spread } from './controlTimingStats.js';
import { hrtimeOffsetNs } from './oscLatency.js';
import { watchMainThread } from './mainThreadWatch.js';

const SECONDS = Number(process.argv[2] ?? 10);
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** utime + stime (clock ticks) of every process on the machine, with its command name. */
async function processTicks(): Promise<Map<number, { comm: string; ticks: number }>> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const close = text.lastIndexOf(')');
    if (close < 0) continue;
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    out.set(Number(name), { comm, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return out;
}

function cpuByGroup(
  before: Map<number, { comm: string; ticks: number }>,
  after: Map<number, { comm: string; ticks: number }>,
  group: (pid: number, comm: string) => string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, a] of after) {
    const ticks = a.ticks - (before.get(pid)?.ticks ?? 0);
    if (ticks <= 0) continue;
    const g = group(pid, a.comm);
    out[g] = (out[g] ?? 0) + ticks;
  }
  for (const k of Object.keys(out)) out[k] = Math.round(((out[k] ?? 0) / 100 / SECONDS) * 1000) / 10; // % of one core
  return out;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-mainloop-'));
  await chmod(root, 0o711);
  const receiver = await startReceiver(['worker', 'main', 'a', 'b']);
  const sweepFile = join(root, 'sweep.jsonl');
  await writeFile(sweepFile, '');
  const file = join(root, 'pipeline.yaml');
  const ports = receiver.ports as { worker: number; main: number };
  const doc = parseDocument(benchPipeline(await readFile(new URL('../pipeline.yaml', import.meta.url), 'utf8'), ports, sweepFile));
  // `sink.key=value` arguments set a sink's option (A/B: `overlay.frame_interval=0ms`).
  for (const arg of process.argv.slice(3)) {
    const [path, value] = arg.split('=') as [string, string];
    doc.setIn(['sinks', ...path.split('.')], value);
  }
  await writeFile(file, doc.toString());
  const httpPort = await freePort();
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: { CHATFLOW_LISTEN: `127.0.0.1:${httpPort}` } });
  const storage = await openStorage(graph, { baseDir: root, logger: silentLogger() });
  const logger = silentLogger();
  const http = createHttpServer(graph.settings.server, logger);
  let clients: ChildProcess | undefined;
  const browser = await launchChromium();
  try {
    const offsetNs = hrtimeOffsetNs();
    const runtime = await startPipeline(graph, {
      logger,
      resources: {
        baseDir: root,
        instance: 'bench',
        http,
        ...storage.resources,
        services: new Services([...storage.provided, provide(BEAT_CLOCK, fixedClock(120, 4, asyncScheduler))]),
      },
    });
    await http.listen();
    clients = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./overlayFanoutClients.ts', import.meta.url)), String(httpPort), '200', 'plain'], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => createInterface({ input: clients?.stdout as NodeJS.ReadableStream }).once('line', resolve));
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${httpPort}/dashboard`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await receiver.start(offsetNs, performance.now());
    const ticks0 = await processTicks();
    const mainThread = watchMainThread();
    const elu0 = performance.eventLoopUtilization();
    const load0 = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const elu = performance.eventLoopUtilization(elu0);
    const { loopDelayMs, gcPauses: gc } = mainThread.stop();
    const ticks1 = await processTicks();
    const report = await receiver.report();
    await runtime.stop();
    const mine = process.pid;
    const clientPid = clients.pid;
    const receiverPid = receiver.process.pid;
    const group = (pid: number, comm: string) =>
      pid === mine ? 'chatflow' : pid === clientPid ? 'overlayClients' : pid === receiverPid ? 'receiver' : /chrom/i.test(comm) ? 'chromium' : /postgres|redis/.test(comm) ? comm.replace(/:.*/, '') : 'other';
    console.log(
      JSON.stringify({
        seconds: SECONDS,
        options: process.argv.slice(3),
        load1Start: Number(load0),
        load1End: Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]),
        loopDelayMs,
        eluPercent: Math.round(elu.utilization * 1000) / 10,
        gc: { ...spread(gc), totalMs: Math.round(gc.reduce((a, b) => a + b, 0)) },
        chatToOscWorker: spread(report.lanes.worker?.latency ?? []),
        chatToOscMain: spread(report.lanes.main?.latency ?? []),
        cpuPercentOfOneCore: cpuByGroup(ticks0, ticks1, group),
      }),
    );
  } finally {
    await browser.close();
    clients?.kill('SIGTERM');
    await http.close();
    await storage.close();
    await receiver.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
