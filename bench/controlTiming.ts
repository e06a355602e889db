/**
 * `npm run bench control-timing` (issue 20): what a synth receives, timed by a receiver in
 * another process (bench/controlTimingReceiver.ts). The default pipeline.yaml at 1,000
 * messages/s with every sink on (console, overlay, redis_state and postgres on private
 * embedded servers, metrics), the dashboard open in Chromium and 200 overlay WebSocket clients
 * (bench/overlayFanoutClients.ts, another process). Two osc sinks in the same run, to two
 * receiver sockets: `synth` with the output stage on its worker thread (the default) and
 * `synth_main` on the main event loop (the design before it: the baseline). A variable `sweep`
 * slews from 0 to 1 over the whole run (one `!cv sweep 1` at the start), so every interval
 * between two of its datagrams is a step interval.
 * Goals: step interval jitter p99 (|interval − 10 ms|) ≤ 2 ms, no gap over 20 ms, chat → OSC
 * p99 ≤ 1 ms (resonance and pitch, whose changes are not slewed; `max_rate: off` on both
 * sinks so that no value waits for its pace on purpose).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { launchChromium } from '../test/support/browser.js';
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { freePort } from '../src/resources/embedded.js';
import { openStorage } from '../src/resources/storage.js';
import { createHttpServer } from '../src/server/httpServer.js';
import { hrtimeOffsetNs } from './oscLatency.js';
import { writeResult } from './results.js';

const SECONDS = Number(process.env.BENCH_TIMING_SECONDS ?? 20);
const WARMUP_MS = 3000;
const CLIENTS = 200;
const RATE = 1000;
const NOMINAL_MS = 10;
const REPO = fileURLToPath(new URL('..', import.meta.url));

interface LaneReport {
  readonly steps: number[];
  readonly latency: number[];
  readonly received: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Step intervals of one lane: jitter percentiles, gaps, and the worst. */
function timing(lane: LaneReport) {
  const intervals = lane.steps.slice(1).map((t, i) => t - (lane.steps[i] as number));
  const jitter = intervals.map((x) => Math.abs(x - NOMINAL_MS)).sort((a, b) => a - b);
  const latency = [...lane.latency].sort((a, b) => a - b);
  return {
    steps: lane.steps.length,
    jitterP50Ms: round(percentile(jitter, 50)),
    jitterP99Ms: round(percentile(jitter, 99)),
    jitterMaxMs: round(jitter.at(-1) ?? Number.NaN),
    intervalMaxMs: round(Math.max(...intervals)),
    gapsOver2xNominal: intervals.filter((x) => x > 2 * NOMINAL_MS).length,
    chatToOsc: {
      count: latency.length,
      p50Ms: round(percentile(latency, 50)),
      p99Ms: round(percentile(latency, 99)),
      maxMs: round(latency.at(-1) ?? Number.NaN),
    },
  };
}

/** pipeline.yaml at RATE/s, a `sweep` variable and its one command, two osc sinks to the receiver. */
function benchPipeline(source: string, ports: { worker: number; main: number }, sweepFile: string): string {
  const doc = parseDocument(source);
  const map = (path: string[]) => doc.getIn(path) as YAMLMap<unknown, unknown>;
  map(['sources', 'demo']).set('rate', `${RATE}/s`);
  map(['sources']).set('sweeper', doc.createNode({ type: 'replay', path: sweepFile }));
  const once = map(['operators', 'clean']);
  once.set('inputs', doc.createNode(['demo', 'sweeper']));
  const variables = map(['operators', 'cv', 'variables']);
  variables.set('sweep', doc.createNode({ range: [0, 1], default: 0, slew: `${SECONDS + 30}s` }));
  const osc = (port: number, thread: string) =>
    doc.createNode({
      type: 'osc',
      inputs: ['cv'],
      target: `127.0.0.1:${port}`,
      address: '/cv/{{ variable }}',
      max_rate: 'off',
      thread,
      args: [
        { type: 'f', value: '{{ value }}' },
        { type: 'd', value: '{{ receivedAt }}' },
      ],
    });
  const sinks = map(['sinks']);
  if (!isMap(sinks)) throw new Error('pipeline.yaml has no sinks');
  sinks.set('synth', osc(ports.worker, 'worker'));
  sinks.set('synth_main', osc(ports.main, 'main'));
  return doc.toString();
}

function sweepCommand(): string {
  return `${JSON.stringify({
    kind: 'chat',
    id: 'sweep-1',
    platform: 'twitch',
    channel: 'bench',
    author: { id: 'b', login: 'bench', displayName: 'bench', roles: ['broadcaster'], badges: {} },
    text: '!cv sweep 1',
    emotes: [],
    ts: 1718000000000,
    action: false,
    firstMessage: false,
    receivedAt: 0,
  })}\n`;
}

async function overlayClients(port: number): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./overlayFanoutClients.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(port), String(CLIENTS), 'plain'], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    lines.once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`overlay clients exited (${code})`)));
  });
  return child;
}

export async function controlTiming(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-timing-'));
  await chmod(root, 0o711);
  const receiver = fork(fileURLToPath(new URL('./controlTimingReceiver.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() => new Promise<T>((resolve) => receiver.once('message', (m) => resolve(m as T)));
  const { ports } = await next<{ ports: { worker: number; main: number } }>();
  const sweepFile = join(root, 'sweep.jsonl');
  await writeFile(sweepFile, sweepCommand());
  const file = join(root, 'pipeline.yaml');
  await writeFile(file, benchPipeline(await readFile(new URL('../pipeline.yaml', import.meta.url), 'utf8'), ports, sweepFile));
  const httpPort = await freePort();
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: { CHATFLOW_LISTEN: `127.0.0.1:${httpPort}` } });
  const storage = await openStorage(graph, { baseDir: root, logger: silentLogger() });
  const logger = silentLogger();
  const http = createHttpServer(graph.settings.server, logger);
  let clients: ChildProcess | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const offsetNs = hrtimeOffsetNs();
    const runtime = await startPipeline(graph, { logger, resources: { baseDir: root, instance: 'bench', http, ...storage.resources } });
    await http.listen();
    clients = await overlayClients(httpPort);
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${httpPort}/dashboard`);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const since = performance.now();
    receiver.send({ cmd: 'start', offsetNs: String(offsetNs), since });
    await next();
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const cpu = process.cpuUsage();
    const loadBefore = loadavg().map((n) => round(n));
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    receiver.send({ cmd: 'report' });
    const report = await next<{ worker: LaneReport; main: LaneReport }>();
    loopDelay.disable();
    const used = process.cpuUsage(cpu);
    const nodes = runtime.snapshot();
    await runtime.stop();
    const node = (id: string) => nodes.find((n) => n.id === id);
    const worker = timing(report.worker);
    const main = timing(report.main);
    const figures = {
      method:
        'Receiver: another process, two UDP sockets (one per osc sink), arrival = process.hrtime (CLOCK_MONOTONIC). Step jitter: |interval − 10 ms| between consecutive datagrams of /cv/sweep, a variable slewing 0→1 over the whole run (control_rate 100/s). Chat → OSC: receivedAt (performance.now() at the source, carried as a float64 argument) → arrival, for /cv/resonance and /cv/pitch. Both sinks in the same run, under the same load.',
      load: {
        chatPerSec: RATE,
        seconds: SECONDS,
        sinks: [...graph.nodes.values()].filter((n) => n.kind === 'sink' && n.enabled).map((n) => `${n.id}: ${n.type}`),
        overlayClients: CLIENTS,
        dashboardInChromium: true,
        storage: { redis: storage.resources.redis !== undefined, postgres: storage.resources.postgres !== undefined },
        chatMessages: node('demo')?.eventsOut[''] ?? 0,
        controlEvents: node('synth')?.eventsIn ?? 0,
        loadavgBefore: loadBefore,
        loadavgAfter: loadavg().map((n) => round(n)),
        mainLoopDelay: { p99Ms: round(loopDelay.percentile(99) / 1e6), maxMs: round(loopDelay.max / 1e6) },
        mainProcessCpuPercent: round(((used.user + used.system) / 1000 / (SECONDS * 1000)) * 100),
      },
      outputStage: worker,
      mainLoopBaseline: main,
      goals: { jitterP99MsAtMost: 2, gapsOver2xNominal: 0, chatToOscP99MsAtMost: 1 },
      pass:
        worker.jitterP99Ms <= 2 && worker.gapsOver2xNominal === 0 && worker.chatToOsc.p99Ms <= 1,
    };
    await writeResult('control-timing', figures);
    return figures;
  } finally {
    await browser?.close();
    clients?.kill('SIGTERM');
    await http.close();
    await storage.close();
    receiver.send({ cmd: 'exit' });
    await rm(root, { recursive: true, force: true });
  }
}
