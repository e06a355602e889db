/**
 * `npm run bench control-timing` (issue 20): what a synth receives, timed by a receiver in
 * another process with the kernel's receive times (SO_TIMESTAMPNS, bench/controlTimingReceiver.py;
 * a userland receiver where that is not available). The default pipeline.yaml at 1,000
 * messages/s with every sink on (console, overlay, redis_state and postgres on private
 * embedded servers, metrics), the dashboard open in Chromium and 200 overlay WebSocket clients
 * (bench/overlayFanoutClients.ts, another process), and a fixed 120 BPM clock. In the same
 * window, to their own receiver sockets:
 * - `synth`: the osc sink with its output stage on a worker thread (the default);
 * - `synth_main`: the same sink on the main event loop (the design before it: the baseline);
 * - the machine's ceiling for the same work (bench/controlTimingCeiling.ts, bare processes
 *   with no chatflow code): a 10 ms step loop with the stage's timer + `Atomics.wait`
 *   technique and the scheduling the stage's thread got (real-time where allowed), and a
 *   process that sends each chat line's OSC at once;
 * - the ceiling for chatflow's own chat → OSC work: the graph's command path alone in a
 *   chatflow process of its own (bench/controlTimingSameWork.ts). With the share of the window
 *   each main thread was runnable but waiting for a core, it tells the machine's part of the
 *   chat → OSC tail from the rest of the graph's.
 * A variable `sweep` slews from 0 to 1 over the whole run (one `!cv sweep 1` at the start), so
 * every interval between two of its datagrams is a step interval. `cutoff` has `on_beat: 1/16`
 * (every 125 ms) and no slew, so its datagrams time the landing on the beat.
 * Goals: step interval jitter p99 (|interval − 10 ms|) ≤ 2 ms, no gap over 20 ms, chat → OSC
 * p99 ≤ 1 ms (resonance and pitch, whose changes are not slewed; `max_rate: off` on both
 * sinks so that no value waits for its pace on purpose).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncScheduler } from 'rxjs';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { launchChromium } from '../test/support/browser.js';
import { defaultRegistry } from '../src/components.js';
import { BEAT_CLOCK, fixedClock } from '../src/core/beatClock.js';
import { DUE_CHANGES, DueChanges } from '../src/core/dueChanges.js';
import { silentLogger } from '../src/core/logger.js';
import { provide, Services } from '../src/core/services.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { freePort } from '../src/resources/embedded.js';
import { openStorage } from '../src/resources/storage.js';
import { createHttpServer } from '../src/server/httpServer.js';
import { sameWorkPipeline, startBareCeiling, started, startSameWork } from './ceilingProcesses.js';
import { raisedThreads, threadSchedStat, watchMachine } from './controlTimingMachine.js';
import { startReceiver } from './controlTimingProbe.js';
import { againstCeiling, landingErrors, lateness, spread, stepTiming } from './controlTimingStats.js';
import { hrtimeOffsetNs } from './oscLatency.js';
import { watchMainThread } from './mainThreadWatch.js';
import { writeResult } from './results.js';

const SECONDS = Number(process.env.BENCH_TIMING_SECONDS ?? 20);
const WARMUP_MS = 3000;
const CEILING_WARMUP_MS = 1000;
const CLIENTS = 200;
const RATE = 1000;
const NOMINAL_MS = 10;
const BPM = 120;
const ON_BEAT = '1/16';
/** Grid of `on_beat: 1/16` at {@link BPM}: a quarter beat. */
const GRID_MS = 60_000 / BPM / 4;
const GOALS = { jitterP99MsAtMost: 2, gapsOver2xNominal: 0, chatToOscP99MsAtMost: 1 } as const;
const REPO = fileURLToPath(new URL('..', import.meta.url));
const LANES = ['worker', 'main', 'ceilingStep', 'ceilingChat', 'sameWork'] as const;

/** pipeline.yaml at RATE/s, a `sweep` variable and its one command, `cutoff` on the beat, two osc sinks to the receiver. */
export function benchPipeline(source: string, ports: { worker: number; main: number }, sweepFile: string): string {
  const doc = parseDocument(source);
  const map = (path: string[]) => doc.getIn(path) as YAMLMap<unknown, unknown>;
  map(['sources', 'demo']).set('rate', `${RATE}/s`);
  map(['sources']).set('sweeper', doc.createNode({ type: 'replay', path: sweepFile }));
  const once = map(['operators', 'clean']);
  once.set('inputs', doc.createNode(['demo', 'sweeper']));
  const variables = map(['operators', 'cv', 'variables']);
  variables.set('sweep', doc.createNode({ range: [0, 1], default: 0, slew: `${SECONDS + 30}s` }));
  const cutoff = map(['operators', 'cv', 'variables', 'cutoff']);
  cutoff.delete('slew');
  cutoff.set('on_beat', ON_BEAT);
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
  // The baseline right after `synth`, as today's design has it (before overlay, storage and
  // metrics, which get each change after both osc sinks): sinks receive an event in order.
  sinks.set('synth_main', osc(ports.main, 'main'));
  const items = sinks.items;
  const main = items.pop();
  const at = items.findIndex((pair) => String(pair.key) === 'synth') + 1;
  if (main) items.splice(at, 0, main);
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
  await started(child, 'overlay clients');
  return child;
}

/** Date.now() − performance.now(): Date.now() is whole ms, so the largest of many readings is the offset. */
function wallMinusPerf(): number {
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 20_000; i++) best = Math.max(best, Date.now() - performance.now());
  return best;
}

export async function controlTiming(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-timing-'));
  await chmod(root, 0o711);
  const receiver = await startReceiver(LANES);
  const ports = receiver.ports as Record<(typeof LANES)[number], number>;
  const sweepFile = join(root, 'sweep.jsonl');
  await writeFile(sweepFile, sweepCommand());
  const file = join(root, 'pipeline.yaml');
  await writeFile(file, benchPipeline(await readFile(new URL('../pipeline.yaml', import.meta.url), 'utf8'), ports, sweepFile));
  const httpPort = await freePort();
  const graph = loadPipeline(file, { registry: defaultRegistry(), env: { CHATFLOW_LISTEN: `127.0.0.1:${httpPort}` } });
  const storage = await openStorage(graph, { baseDir: root, logger: silentLogger() });
  const logger = silentLogger();
  const http = createHttpServer(graph.settings.server, logger);
  const children: ChildProcess[] = [];
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const offsetNs = hrtimeOffsetNs();
    const clock = fixedClock(BPM, 4, asyncScheduler);
    const runtime = await startPipeline(graph, {
      logger,
      resources: {
        baseDir: root,
        instance: 'bench',
        http,
        ...storage.resources,
        // As `chatflow run` with a clock: on_beat changes announced early, the stage lands them.
        services: new Services([...storage.provided, provide(BEAT_CLOCK, clock), provide(DUE_CHANGES, new DueChanges())]),
      },
    });
    await http.listen();
    children.push(await overlayClients(httpPort));
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${httpPort}/dashboard`);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    // Is the stage's raised priority applied? The ceiling's step loop gets the same.
    const raised = raisedThreads();
    const stageThread = raised?.find((t) => t.policy === 1) ?? raised?.find((t) => t.nice < 0);
    const stageScheduling =
      stageThread === undefined ? '-' : stageThread.policy === 1 ? `fifo:${stageThread.rtPriority}` : `nice:${stageThread.nice}`;
    const step = await startBareCeiling('step', ports.ceilingStep, offsetNs, stageScheduling);
    const chat = await startBareCeiling('chat', ports.ceilingChat, offsetNs, '-', RATE);
    const sameWorkFile = join(root, 'same-work.yaml');
    await writeFile(sameWorkFile, sameWorkPipeline(await readFile(file, 'utf8'), ports.sameWork));
    const same = await startSameWork(sameWorkFile, offsetNs);
    children.push(step.child, chat.child, same.child);
    await new Promise((resolve) => setTimeout(resolve, CEILING_WARMUP_MS));
    const since = performance.now();
    await receiver.start(offsetNs, since);
    const machine = watchMachine();
    const mainThread = watchMainThread();
    const cpu = process.cpuUsage();
    const sched = threadSchedStat();
    same.start();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const report = await receiver.report();
    const schedEnd = threadSchedStat();
    const sameFigures = await same.report();
    const window = machine.end();
    const { loopDelayMs, gcPauses: gc } = mainThread.stop();
    const used = process.cpuUsage(cpu);
    const nodes = runtime.snapshot();
    await runtime.stop();
    const node = (id: string) => nodes.find((n) => n.id === id);
    const grid = clock.grid();
    if (!grid) throw new Error('The fixed clock has no grid');
    const anchor = grid.anchorAt - wallMinusPerf();
    const lane = (name: (typeof LANES)[number]) => {
      const l = report.lanes[name];
      if (!l) throw new Error(`The receiver reported no lane ${name}`);
      return l;
    };
    const sinkLane = (name: 'worker' | 'main', id: string) => {
      const l = lane(name);
      const sinkLatency = node(id)?.latencyMs;
      return {
        ...stepTiming(l.steps, NOMINAL_MS),
        chatToOsc: spread(l.latency),
        onBeatLanding: spread(landingErrors(l.landed, anchor, GRID_MS)),
        chatToSinkInputSinceStart: sinkLatency
          ? { count: sinkLatency.count, p50Ms: sinkLatency.p50, p99Ms: sinkLatency.p99, maxMs: sinkLatency.max }
          : null,
        received: l.received,
      };
    };
    const worker = sinkLane('worker', 'synth');
    const main = sinkLane('main', 'synth_main');
    const ceilingSteps = lane('ceilingStep');
    const ceilingFigures = {
      ...stepTiming(ceilingSteps.steps, NOMINAL_MS),
      stepLateness: spread(lateness(ceilingSteps)),
      chatToOsc: spread(lane('ceilingChat').latency),
      stepLoopScheduling: step.scheduling,
    };
    const sameWorkFigures = { chatToOsc: spread(lane('sameWork').latency), ...sameFigures };
    const goals = {
      jitterP99: {
        goalMsAtMost: GOALS.jitterP99MsAtMost,
        outputStage: worker.jitterP99Ms,
        mainLoopBaseline: main.jitterP99Ms,
        ceiling: ceilingFigures.jitterP99Ms,
        pass: worker.jitterP99Ms <= GOALS.jitterP99MsAtMost,
        ceilingPasses: ceilingFigures.jitterP99Ms <= GOALS.jitterP99MsAtMost,
        stageAgainstCeiling: againstCeiling(worker.jitterP99Ms, ceilingFigures.jitterP99Ms),
      },
      gapsOver2xNominal: {
        goalAtMost: GOALS.gapsOver2xNominal,
        outputStage: worker.gapsOver2xNominal,
        mainLoopBaseline: main.gapsOver2xNominal,
        ceiling: ceilingFigures.gapsOver2xNominal,
        pass: worker.gapsOver2xNominal <= GOALS.gapsOver2xNominal,
        ceilingPasses: ceilingFigures.gapsOver2xNominal <= GOALS.gapsOver2xNominal,
      },
      chatToOscP99: {
        goalMsAtMost: GOALS.chatToOscP99MsAtMost,
        outputStage: worker.chatToOsc.p99Ms,
        mainLoopBaseline: main.chatToOsc.p99Ms,
        ceiling: ceilingFigures.chatToOsc.p99Ms,
        pass: worker.chatToOsc.p99Ms <= GOALS.chatToOscP99MsAtMost,
        ceilingPasses: ceilingFigures.chatToOsc.p99Ms <= GOALS.chatToOscP99MsAtMost,
        stageAgainstCeiling: againstCeiling(worker.chatToOsc.p99Ms, ceilingFigures.chatToOsc.p99Ms),
        sameWorkCeiling: sameWorkFigures.chatToOsc.p99Ms,
        sameWorkCeilingPasses: sameWorkFigures.chatToOsc.p99Ms <= GOALS.chatToOscP99MsAtMost,
        againstSameWork: againstCeiling(worker.chatToOsc.p99Ms, sameWorkFigures.chatToOsc.p99Ms),
      },
    };
    const figures = {
      method:
        `Receiver: another process, one UDP socket per lane; arrival = ${receiver.clock === 'kernel' ? "the kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME moved onto CLOCK_MONOTONIC), so the receiver's own wake-up is not in the figures" : "process.hrtime when the receiver reads (its own wake-up is in the figures)"}. ` +
        'Step jitter: |interval − 10 ms| between consecutive datagrams of /cv/sweep, slewing 0→1 over the whole run (control_rate 100/s). ' +
        'Chat → OSC: receivedAt (performance.now() at the source, carried as a float64 argument) → arrival, for /cv/resonance and /cv/pitch. ' +
        `On-beat landing: arrival of /cv/cutoff (on_beat ${ON_BEAT}, ${BPM} BPM fixed clock) − its grid point. ` +
        'Ceiling: bare processes in the same window (bench/controlTimingCeiling.ts): a 10 ms step loop (timer + Atomics.wait, the scheduling of the stage thread) and 1,000 chat lines/s each sent at once. ' +
        "Same-work ceiling: the graph's command path alone (simulate → … → control → osc with its stage, no other sink) in a process of its own, same window (bench/controlTimingSameWork.ts). " +
        'Waiting for a core: the main thread runnable but not running, share of the window (/proc/thread-self/schedstat).',
      receiverClock: receiver.clock,
      receiverClockDriftUs: report.clockDriftUs,
      unstamped: Object.values(report.lanes).reduce((n, l) => n + l.unstamped, 0),
      machine: window,
      load: {
        chatPerSec: RATE,
        seconds: SECONDS,
        sinks: [...graph.nodes.values()].filter((n) => n.kind === 'sink' && n.enabled).map((n) => `${n.id}: ${n.type}`),
        overlayClients: CLIENTS,
        dashboardInChromium: true,
        storage: { redis: storage.resources.redis !== undefined, postgres: storage.resources.postgres !== undefined },
        chatMessages: node('demo')?.eventsOut[''] ?? 0,
        controlEvents: node('synth')?.eventsIn ?? 0,
        mainLoopDelay: { p99Ms: Math.round(loopDelayMs.p99 * 1e3) / 1e3, maxMs: Math.round(loopDelayMs.max * 1e3) / 1e3 },
        mainThreadGc: { ...spread(gc), totalMs: Math.round(gc.reduce((a, b) => a + b, 0)) },
        mainProcessCpuPercent: Math.round(((used.user + used.system) / 1000 / (SECONDS * 1000)) * 1000) / 10,
        mainThreadWaitingForCorePercent:
          sched && schedEnd ? Math.round(((schedEnd.waitingMs - sched.waitingMs) / (SECONDS * 1000)) * 10_000) / 100 : null,
        stageThreadScheduling: stageScheduling,
        raisedThreads: raised,
      },
      outputStage: worker,
      mainLoopBaseline: main,
      ceiling: ceilingFigures,
      sameWorkCeiling: sameWorkFigures,
      goals,
      pass: goals.jitterP99.pass && goals.gapsOver2xNominal.pass && goals.chatToOscP99.pass,
    };
    await writeResult('control-timing', figures);
    return figures;
  } finally {
    await browser?.close();
    for (const child of children) child.kill('SIGTERM');
    await http.close();
    await storage.close();
    await receiver.close();
    await rm(root, { recursive: true, force: true });
  }
}
