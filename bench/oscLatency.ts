/**
 * `npm run bench osc-latency` (issue 21): chat → OSC latency through the default graph with
 * every sink on (pipeline.yaml: console, osc, overlay, metrics, redis_state and postgres on
 * private servers), fed by its `simulate` source at 1,000 and 5,000 messages/s, into the real
 * `osc` sink over UDP. The figure the goals name is taken at a UDP receiver in another process
 * with the kernel's receive times where available (bench/controlTimingProbe.ts: SO_TIMESTAMPNS,
 * the time the datagram reached the receiving socket, so the receiver's own wake-up is not in
 * it; a userland receiver elsewhere, said in the result), on CLOCK_MONOTONIC (the clock behind
 * `performance.now()`), and maps the `receivedAt` the message carries (its last argument, a
 * float64) onto it with this process's offset, so no wall clocks are compared. In process, the same messages
 * are also timed at the sink's write (and at the socket's send with `thread: main`), to show
 * where the time goes. The osc sink runs as configured: its output stage on a worker thread.
 * In the same window, the machine's ceilings for the same work (bench/ceilingProcesses.ts),
 * each to its own socket of the receiver: the scenario's command path alone in a chatflow
 * process of its own, and a bare process sending each chat line's OSC at once; with the share
 * of the window each main thread was runnable but waiting for a core, they tell the machine's
 * part of the tail from the rest of the graph's.
 * Goals: p99 ≤ 0.5 ms at 1,000 messages/s and ≤ 1 ms at 5,000.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { defineSink } from '../src/core/component.js';
import type { HistogramSummary } from '../src/core/events.js';
import { Histogram } from '../src/core/histogram.js';
import { buildRegistry } from '../src/core/registry.js';
import { operatorComponents } from '../src/operators/index.js';
import { sinkComponents } from '../src/sinks/index.js';
import { OscSink, oscComponent } from '../src/sinks/osc/index.js';
import { sourceComponents } from '../src/sources/index.js';
import { hrtimeAtPerfZero } from '../src/sinks/osc/stage/hrtimeOrigin.js';
import { type BareCeiling, type SameWork, sameWorkPipeline, type SameWorkFigures, startBareCeiling, startSameWork, stopProcess } from './ceilingProcesses.js';
import { threadSchedStat, windowShares } from './controlTimingMachine.js';
import { startReceiver as startTimingReceiver, type TimingReceiver } from './controlTimingProbe.js';
import { againstCeiling, type Spread, spread } from './controlTimingStats.js';
import { type BenchStorage, defaultGraphText, losses, readDefaultPipeline, startBenchStorage, startGraph, sumOf } from './defaultGraph.js';
import { LoadSampler } from './load.js';
import { watchMainThread } from './mainThreadWatch.js';
import { writeResult } from './results.js';

const SECONDS = Number(process.env.BENCH_OSC_SECONDS ?? 5);
/** Messages before this much time has passed are warm-up (JIT, defaults at start). */
const WARMUP_MS = 1000;

export interface Scenario {
  readonly name: string;
  readonly rate: number;
  readonly maxRate: string;
  /** `default`: pipeline.yaml, every sink on; `operators`: its operators, the osc sink and `extraSinks`. */
  readonly graph: 'default' | 'operators';
  /** More sinks beside the osc sink (the storage sinks of the storage-osc bench). */
  readonly extraSinks?: Readonly<Record<string, unknown>>;
}

/** The receiver process, and a way to ask it things. */
export interface Receiver {
  readonly port: number;
  ask<T>(message: unknown): Promise<T>;
  exit(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const script = fileURLToPath(new URL('./oscLatencyReceiver.ts', import.meta.url));
  const child: ChildProcess = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(): Promise<T> => new Promise((resolve) => child.once('message', (m) => resolve(m as T)));
  const { port } = await next<{ port: number }>();
  return {
    port,
    ask: <T>(message: unknown) => {
      const answer = next<T>();
      child.send(message as object);
      return answer;
    },
    exit: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'exit' });
      await exited;
    },
  };
}

/**
 * This process's `process.hrtime.bigint()` at `performance.now() === 0`, in ns: both read
 * CLOCK_MONOTONIC; the tightest of many paired readings wins.
 */
export function hrtimeOffsetNs(): bigint {
  return hrtimeAtPerfZero(1000);
}

/**
 * The osc component as configured, its `write` wrapped to time each event's arrival at the
 * sink (`atWrite`); with `thread: main`, its sockets' `send` also wrapped to time each datagram
 * from its `receivedAt` (`atSend`). With `thread: worker` (the default) the sends happen on the
 * stage sink's own sockets (plain values from the main thread at once, the rest from the
 * stage's thread), out of reach: the receiver's figure covers them.
 */
function timedOscComponent(histogram: Histogram, atWrite: Histogram, since: { at: number }) {
  const timedSocket = (family: 'udp4' | 'udp6'): Socket => {
    const socket = createSocket(family);
    const send = socket.send.bind(socket) as (msg: Buffer, callback: (err: Error | null) => void) => void;
    const timed = (msg: Buffer, callback: (err: Error | null) => void): void => {
      const receivedAt = msg.readDoubleBE(msg.length - 8);
      send(msg, callback);
      const sentAt = performance.now();
      if (receivedAt >= since.at) histogram.record(sentAt - receivedAt);
    };
    (socket as unknown as { send: typeof timed }).send = timed;
    return socket;
  };
  return defineSink({
    ...oscComponent,
    create: (config, ctx) => {
      const sink =
        config.thread === 'worker'
          ? oscComponent.create(config, ctx)
          : new OscSink(ctx.id, config, {
              scheduler: ctx.scheduler,
              metrics: ctx.metrics,
              logger: ctx.logger,
              createSocket: timedSocket,
            });
      const write = sink.write.bind(sink);
      sink.write = (batch) => {
        const now = performance.now();
        for (const event of batch) if (event.receivedAt >= since.at) atWrite.record(now - event.receivedAt);
        write(batch);
      };
      return sink;
    },
  });
}

/** Commands only on variables without slew: every control event is a command's own (slew steps carry the step's time). */
const COMMANDS = ['!cv resonance {0.0..1.0}', '!pitch {note}'];
/** The receiver's socket for the osc sink (the receiver times `/cv/resonance` and `/cv/pitch`). */
const LANE = 'osc';
/** The receiver's sockets for the ceilings (osc-latency): the same-work process and the bare one. */
const SAME_WORK_LANE = 'sameWork';
const BARE_LANE = 'bare';

/**
 * A receiver with kernel receive times (userland where not available): one socket,
 * {@link LANE}, or with `ceilings` also one for each ceiling process.
 */
export function startLatencyReceiver(options: { readonly ceilings?: boolean } = {}): Promise<TimingReceiver> {
  return startTimingReceiver(options.ceilings ? [LANE, SAME_WORK_LANE, BARE_LANE] : [LANE]);
}

/**
 * The default graph (every sink on) with the osc sink's messages carrying `receivedAt`, or
 * (storage-osc) pipeline.yaml's operators with a command-only source, the osc sink and
 * `extraSinks`.
 */
export async function benchPipeline(scenario: Scenario, port: number, seed: number): Promise<string> {
  const source = await readDefaultPipeline();
  if (scenario.graph === 'default') {
    const text = defaultGraphText(source, {
      rate: scenario.rate,
      seed,
      users: 100_000,
      commands: COMMANDS,
      oscTarget: `127.0.0.1:${port}`,
      oscCarriesReceivedAt: true,
      metrics: true,
      postgres: 'on',
    });
    const doc = parse(text) as { sinks: Record<string, Record<string, unknown>> };
    (doc.sinks.synth as Record<string, unknown>).max_rate = scenario.maxRate;
    return stringify(doc);
  }
  const base = parse(source) as { operators: Record<string, unknown> };
  const pipeline = {
    version: 1,
    sources: {
      demo: {
        type: 'simulate',
        rate: `${scenario.rate}/s`,
        users: 1_000_000,
        seed,
        mix: { chat: 0, command: 1, emote: 0, link: 0, caps: 0, unicode: 0 },
        commands: COMMANDS,
        command_noise: 0,
      },
    },
    operators: base.operators,
    sinks: {
      synth: {
        type: 'osc',
        inputs: ['cv'],
        target: `127.0.0.1:${port}`,
        max_rate: scenario.maxRate,
        args: [
          { type: 'f', value: '{{ value }}' },
          { type: 'd', value: '{{ receivedAt }}' },
        ],
      },
      ...scenario.extraSinks,
    },
  };
  return stringify(pipeline);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function figuresOf(summary: HistogramSummary): Record<string, number> {
  return { count: summary.count, p50Ms: round(summary.p50), p99Ms: round(summary.p99), maxMs: round(summary.max) };
}

/** The machine's ceilings running beside a scenario, in the same window (osc-latency). */
interface Ceilings {
  readonly sameWork: SameWork;
  readonly bare: BareCeiling;
}

/**
 * The ceilings for a scenario's work: its command path alone in a chatflow process of its own
 * (bench/controlTimingSameWork.ts on {@link sameWorkPipeline} of the scenario's pipeline, the
 * same seed: the same chat), and a bare process sending each chat line's OSC at once at the
 * scenario's rate; each to its own socket of the receiver, on this process's clock.
 */
async function startCeilings(text: string, receiver: TimingReceiver, offsetNs: bigint, rate: number, root: string): Promise<Ceilings> {
  const port = (lane: string) => {
    const p = receiver.ports[lane];
    if (p === undefined) throw new Error(`The receiver has no socket ${lane}`);
    return p;
  };
  const file = join(root, 'same-work.yaml');
  await writeFile(file, sameWorkPipeline(text, port(SAME_WORK_LANE)));
  const sameWork = await startSameWork(file, offsetNs);
  try {
    return { sameWork, bare: await startBareCeiling('chat', port(BARE_LANE), offsetNs, '-', rate) };
  } catch (error) {
    await stopProcess(sameWork.child);
    throw error;
  }
}

export async function runScenario(
  scenario: Scenario,
  receiver: TimingReceiver,
  offsetNs: bigint,
  options: {
    readonly storage?: BenchStorage;
    readonly seed: number;
    /** Run the machine's ceilings beside it (the receiver needs their sockets: {@link startLatencyReceiver}). */
    readonly ceilings?: boolean;
  },
): Promise<Record<string, unknown>> {
  const atSend = new Histogram();
  const atWrite = new Histogram();
  const since = { at: Number.POSITIVE_INFINITY };
  const registry = buildRegistry(
    sourceComponents,
    operatorComponents,
    sinkComponents.map((c) => (c.type === 'osc' ? timedOscComponent(atSend, atWrite, since) : c)),
  );
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-osc-'));
  let ceilings: Ceilings | undefined;
  try {
    await options.storage?.truncate();
    const port = receiver.ports[LANE];
    if (port === undefined) throw new Error(`The receiver has no socket ${LANE}`);
    const text = await benchPipeline(scenario, port, options.seed);
    // Started first: they are warm when the window begins.
    if (options.ceilings) ceilings = await startCeilings(text, receiver, offsetNs, scenario.rate, root);
    const runtime = await startGraph(text, {
      root,
      name: 'osc-latency',
      registry,
      ...(options.storage ? { storage: options.storage } : {}),
    });
    const countFrom = performance.now() + WARMUP_MS;
    await receiver.start(offsetNs, countFrom);
    since.at = countFrom;
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    // What stalls the event loop (GC above all) explains the tail; measure it alongside, and
    // how long each main thread was runnable but waiting for a core.
    const mainThread = watchMainThread();
    const load = LoadSampler.start();
    const cpu = process.cpuUsage();
    const sched = threadSchedStat();
    const bareSched = ceilings?.bare.schedStat();
    ceilings?.sameWork.start();
    const windowStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    // One window for every lane: what arrives after it (shutdown's defaults) is not counted.
    const report = await receiver.report();
    const windowMs = performance.now() - windowStart;
    const shares = windowShares(sched, threadSchedStat(), windowMs);
    const bareShares = windowShares(bareSched, ceilings?.bare.schedStat(), windowMs);
    const used = process.cpuUsage(cpu);
    const sameWorkFigures: SameWorkFigures | undefined = await ceilings?.sameWork.report();
    const { loopDelayMs, gcPauses } = mainThread.stop();
    const loadInWindow = load.finish();
    // Stop counting before the defaults at shutdown (old receivedAt) go out.
    since.at = Number.POSITIVE_INFINITY;
    const measuredMs = performance.now() - countFrom;
    const nodes = runtime.snapshot();
    await runtime.stop();
    const lane = (name: string) => {
      const l = report.lanes[name];
      if (l === undefined) throw new Error(`The receiver reported no socket ${name}`);
      return l;
    };
    const synth = nodes.get('synth');
    const sinks = [...nodes.values()].filter((n) => n.kind === 'sink');
    const processCpuPercent = Math.round(((used.user + used.system) / 1000 / windowMs) * 1000) / 10;
    return {
      scenario: scenario.name,
      graph: scenario.graph,
      chatPerSec: scenario.rate,
      maxRate: scenario.maxRate,
      seed: options.seed,
      measuredSeconds: round(measuredMs / 1000),
      chatMessages: nodes.get('demo')?.eventsOut[''] ?? 0,
      controlEvents: synth?.eventsIn ?? 0,
      sinks: Object.fromEntries(
        sinks.map((n) => [n.id, { eventsIn: n.eventsIn, written: n.eventsOut[''] ?? 0, losses: losses(n), errors: n.errors }]),
      ),
      throttled: nodes.get('fair')?.dropped ?? {},
      atSinkWrite: figuresOf(atWrite.summary()),
      atUdpSend: figuresOf(atSend.summary()),
      atReceiverProcess: { ...spread(lane(LANE).latency), datagramsReceived: lane(LANE).received, receiverClock: receiver.clock },
      eventLoopDelay: { p99Ms: round(loopDelayMs.p99), maxMs: round(loopDelayMs.max) },
      gcPauses: {
        count: gcPauses.length,
        maxMs: round(Math.max(0, ...gcPauses)),
        totalMs: round(gcPauses.reduce((a, b) => a + b, 0)),
      },
      // % of one core over the window; `othersCpuPercent`: the rest of the machine (busy share of all cores less this process).
      processCpuPercent,
      othersCpuPercent:
        loadInWindow.busyPercent === null ? null : Math.round((loadInWindow.busyPercent * loadInWindow.cores - processCpuPercent) * 10) / 10,
      mainThreadRunningPercent: shares?.runningPercent ?? null,
      mainThreadWaitingForCorePercent: shares?.waitingForCorePercent ?? null,
      ...(ceilings && sameWorkFigures
        ? {
            ceilings: {
              sameWork: { atReceiverProcess: { ...spread(lane(SAME_WORK_LANE).latency), datagramsReceived: lane(SAME_WORK_LANE).received }, ...sameWorkFigures },
              bare: {
                atReceiverProcess: { ...spread(lane(BARE_LANE).latency), datagramsReceived: lane(BARE_LANE).received },
                mainThreadWaitingForCorePercent: bareShares?.waitingForCorePercent ?? null,
              },
            },
          }
        : {}),
      loadInWindow,
    };
  } finally {
    if (ceilings) await Promise.all([stopProcess(ceilings.sameWork.child), stopProcess(ceilings.bare.child)]);
    await rm(root, { recursive: true, force: true });
  }
}

/** Goals: chat → OSC p99 at the receiving process, every sink on. */
const GOALS: readonly { readonly rate: number; readonly p99Ms: number }[] = [
  { rate: 1000, p99Ms: 0.5 },
  { rate: 5000, p99Ms: 1 },
];

/** What {@link latencyVerdict} reads of a scenario's figures. */
export interface ScenarioFigures {
  readonly atReceiverProcess: Spread;
  readonly sinks: Readonly<Record<string, { readonly losses: Readonly<Record<string, number>> }>>;
  readonly mainThreadWaitingForCorePercent: number | null;
  readonly ceilings?: {
    readonly sameWork: { readonly atReceiverProcess: Spread; readonly mainThreadWaitingForCorePercent: number | null };
    readonly bare: { readonly atReceiverProcess: Spread; readonly mainThreadWaitingForCorePercent: number | null };
  };
}

/** A p99 meets a goal when there were samples and it is at most the goal (NaN, no samples, does not). */
const meets = (figure: Spread, goalMs: number): boolean => figure.count > 0 && figure.p99Ms <= goalMs;

/**
 * A scenario against its goal: `pass` (chatflow's p99, nothing lost), and beside it the
 * machine's ceilings of the same window: `sameWorkCeilingPasses` (the command path alone in a
 * process of its own meets the goal), `ceilingPasses` (the bare process does), how far
 * chatflow is from each, and each main thread's share of the window waiting for a core.
 */
export function latencyVerdict(goal: { readonly rate: number; readonly p99Ms: number }, r: ScenarioFigures) {
  const lost = Object.values(r.sinks).reduce((sum, s) => sum + sumOf(s.losses), 0);
  const sameWork = r.ceilings?.sameWork;
  const bare = r.ceilings?.bare;
  return {
    chatPerSec: goal.rate,
    goalP99Ms: goal.p99Ms,
    p99AtReceiverMs: r.atReceiverProcess.p99Ms,
    samples: r.atReceiverProcess.count,
    sinkLosses: lost,
    pass: lost === 0 && meets(r.atReceiverProcess, goal.p99Ms),
    sameWorkCeilingP99Ms: sameWork?.atReceiverProcess.p99Ms ?? null,
    bareCeilingP99Ms: bare?.atReceiverProcess.p99Ms ?? null,
    sameWorkCeilingPasses: sameWork ? meets(sameWork.atReceiverProcess, goal.p99Ms) : null,
    ceilingPasses: bare ? meets(bare.atReceiverProcess, goal.p99Ms) : null,
    againstSameWork: sameWork ? againstCeiling(r.atReceiverProcess.p99Ms, sameWork.atReceiverProcess.p99Ms) : null,
    againstBare: bare ? againstCeiling(r.atReceiverProcess.p99Ms, bare.atReceiverProcess.p99Ms) : null,
    mainThreadWaitingForCorePercent: {
      chatflow: r.mainThreadWaitingForCorePercent,
      sameWork: sameWork?.mainThreadWaitingForCorePercent ?? null,
      bare: bare?.mainThreadWaitingForCorePercent ?? null,
    },
  };
}

export async function oscLatency(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-osc-storage-'));
  await chmod(root, 0o711);
  const storage = await startBenchStorage(root);
  const receiver = await startLatencyReceiver({ ceilings: true });
  const offsetNs = hrtimeOffsetNs();
  const results: Record<string, unknown>[] = [];
  try {
    let seed = 100;
    for (const goal of GOALS) {
      results.push(
        await runScenario({ name: `${goal.rate / 1000}k/s`, rate: goal.rate, maxRate: 'off', graph: 'default' }, receiver, offsetNs, {
          storage,
          seed: seed++,
          ceilings: true,
        }),
      );
    }
  } finally {
    await receiver.close();
    await storage.stop();
    await rm(root, { recursive: true, force: true });
  }
  const verdicts = GOALS.map((goal, i) => latencyVerdict(goal, results[i] as unknown as ScenarioFigures));
  const figures = {
    method:
      'receivedAt (performance.now at the source) → arrival at a UDP receiver in another process (the kernel\'s receive time, SO_TIMESTAMPNS, moved onto CLOCK_MONOTONIC; `receiverClock` says when a userland receiver stamped on reading instead; receivedAt travels in the message as a float64); also → the osc sink’s write, in process (atUdpSend only with thread: main; with thread: worker, osc’s default, a plain value leaves from the main thread at once on the stage sink’s own sockets and the rest from the stage’s thread, neither wrapped here). Warm-up outside the window; the receiver reports at the window’s end (shutdown outside it). ' +
      "Ceilings, same window, each to its own socket of the receiver (`ceilings`): the same work, the scenario's command path alone (simulate → normalize → dedupe → parse_command → throttle, vote → control → osc with its output stage; no other sink, no metrics samplers, no storage; the same seed) in a chatflow process of its own (bench/controlTimingSameWork.ts); and a bare process with no chatflow code sending each chat line's /cv/resonance at once at the scenario's rate (bench/controlTimingCeiling.ts chat). " +
      'Waiting for a core: the main thread of each process runnable but not running, share of the window (/proc/<pid>/schedstat).',
    graph:
      "pipeline.yaml as it is, every sink on (console, osc → the receiver, overlay and metrics on a real HTTP server, redis_state and postgres on private servers, sample_metrics on), simulate at the scenario's rate with its default mix but commands only on variables without slew (!cv resonance, !pitch), 100,000 users, a fresh seed (fresh ids) per scenario; osc max_rate off (the pacing is intended delay, not latency) and args [f value, d receivedAt]",
    secondsPerScenario: SECONDS,
    goal: 'chat → OSC p99 at the receiving process ≤ 0.5 ms at 1,000 messages/s and ≤ 1 ms at 5,000 messages/s, every sink on, nothing lost',
    verdicts,
    pass: verdicts.every((v) => v.pass),
    ceilingPasses: verdicts.every((v) => v.ceilingPasses === true),
    sameWorkCeilingPasses: verdicts.every((v) => v.sameWorkCeilingPasses === true),
    scenarios: results,
  };
  await writeResult('osc-latency', figures);
  return figures;
}
