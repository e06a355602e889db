/**
 * Runs a whole pipeline in virtual time (issue 16): the real runtime, every real operator and
 * every sink's real driver, on a {@link VirtualScheduler}; sources replaced by the inputs given,
 * sinks by captures of what they would send (their definitions' `preview`). Nothing connects
 * anywhere. A 10-minute show runs in well under a second, and the same inputs give the same
 * result every time. docs/architecture.md, "Virtual time", tells how.
 */
import { BEAT_CLOCK, fixedClock } from '../core/beatClock.js';
import { dirname, resolve } from 'node:path';
import { Observable, type SchedulerAction, type Subscriber } from 'rxjs';
import type { Resources, SinkDefinition, SourceDefinition } from '../core/component.js';
import { PipelineError } from '../core/errors.js';
import type { ChatflowEvent, HistogramSummary } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { GraphNode, PipelineGraph } from '../core/pipelineGraph.js';
import { PROCESS_PROBE, type ProcessProbe } from '../core/processProbe.js';
import { type Provided, provide, Services } from '../core/services.js';
import { YOUTUBE_QUOTA, YoutubeQuota } from '../core/youtubeQuota.js';
import { PipelineRuntime } from '../pipelines/run.js';
import { type CapturedOutput, captureDefinition } from './captureSink.js';
import { DEFAULT_START_WALL_CLOCK } from './events.js';
import { VirtualScheduler } from './virtualScheduler.js';

export type { CapturedOutput } from './captureSink.js';

/** One event fed to the pipeline at a virtual time, in place of a source's output. */
export interface VirtualInput {
  /** Virtual ms from the start of the run. */
  readonly at: number;
  /** The source node it replaces; default: the graph's first enabled source. */
  readonly source?: string;
  /** `receivedAt` is overwritten with the virtual clock when it is fed. */
  readonly event: ChatflowEvent;
}

export interface VirtualRunOptions {
  /** A validated graph, built with `defaultRegistry()`. */
  readonly graph: PipelineGraph;
  /** Any order; fed in time order, stable for equal times. */
  readonly inputs: readonly VirtualInput[];
  /** Run until this virtual ms; default: the last input + `settleMs` (default 10_000). */
  readonly until?: number;
  readonly settleMs?: number;
  /** Epoch ms of virtual time 0 (ctx.wallClock); default 2026-01-01T00:00:00Z. */
  readonly startWallClock?: number;
  /** Ports to record besides sink outputs: node id + port ('' default). */
  readonly record?: readonly { readonly node: string; readonly port: string }[];
  /** Default silent. */
  readonly logger?: Logger;
}

export interface RecordedEvent {
  readonly at: number;
  readonly node: string;
  readonly port: string;
  readonly event: ChatflowEvent;
}

export interface VirtualRunResult {
  /** Every sink's outputs, in the order they were written (all sinks interleaved by time). */
  readonly outputs: readonly CapturedOutput[];
  /** Every event that left a recorded port, in order. */
  readonly recorded: readonly RecordedEvent[];
  /** Every node's counters at the end (in, out per port, drops by reason, errors). */
  readonly snapshot: readonly NodeMetricsSnapshot[];
  /** Virtual ms at which the run ended. */
  readonly endedAt: number;
  /** Virtual ms at which the sources were stopped (`until`); sinks drained after it. */
  readonly stoppedAt: number;
  /** Inputs later than `until`, which were not fed. */
  readonly inputsNotFed: number;
  /** How the run went on the scheduler: instants, actions, turns of the event loop. */
  readonly stats: { readonly instants: number; readonly actions: number; readonly settles: number };
}

/** Default quiet time after the last input, ms. */
export const DEFAULT_SETTLE_MS = 10_000;
/** How long after `until` the sinks may take to drain, in virtual ms, before the run fails. */
const STOP_GRACE_MS = 10 * 60_000;
/** Turns of the event loop with nothing scheduled before a stop that does not finish fails. */
const MAX_IDLE_TURNS = 1000;

const EMPTY_SUMMARY: HistogramSummary = { count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 };

/** The process as a virtual run reports it: all zeros, the same on every machine. */
function fixedProbe(): ProcessProbe {
  return {
    sample: () => ({ rssBytes: 0, heapUsedBytes: 0, cpuPercent: 0, eventLoopLagMs: EMPTY_SUMMARY, gcPauseMs: EMPTY_SUMMARY }),
    close: () => {},
  };
}

function invalid(message: string, node?: string): PipelineError {
  return new PipelineError('ERR_CONFIG_INVALID', 'config', message, node === undefined ? {} : { node });
}

/** The subscribers of the stand-in sources, by node id: what the feeder pushes inputs to. */
type Feeds = Map<string, Set<Subscriber<ChatflowEvent>>>;

/** A source that emits only what the run feeds it, and stays open until the run stops it. */
function standInSource(def: SourceDefinition, id: string, feeds: Feeds): SourceDefinition {
  return {
    ...def,
    create: (_config, ctx) =>
      new Observable<ChatflowEvent>((subscriber) => {
        ctx.setHealth('live');
        let set = feeds.get(id);
        if (set === undefined) {
          set = new Set();
          feeds.set(id, set);
        }
        set.add(subscriber);
        return () => set.delete(subscriber);
      }),
  };
}

/** Sorts the inputs by time, stably, and checks their times and sources. */
function orderInputs(graph: PipelineGraph, inputs: readonly VirtualInput[]): { at: number; source: string; event: ChatflowEvent }[] {
  const sources = graph.order.filter((id) => {
    const node = graph.nodes.get(id) as GraphNode;
    return node.kind === 'source' && node.enabled;
  });
  const first = sources[0];
  const ordered = inputs.map((input, index) => {
    if (!Number.isFinite(input.at) || input.at < 0) {
      throw invalid(`Input ${index + 1} is at ${input.at} ms; times must be finite and not negative.`);
    }
    const source = input.source ?? first;
    if (source === undefined) throw invalid('The pipeline has no enabled source to feed the inputs to.');
    if (!sources.includes(source)) {
      throw invalid(`Input ${index + 1} names source "${source}", which is not an enabled source of the pipeline.`, source);
    }
    return { at: input.at, source, event: input.event, index };
  });
  ordered.sort((a, b) => a.at - b.at || a.index - b.index);
  return ordered;
}

/**
 * Runs `options.graph` in virtual time on `options.inputs` and returns what every sink would
 * have sent, the recorded ports and every node's counts. Sources are stopped at `until`; sinks
 * then drain (their driver's flush, the osc defaults) in virtual time.
 *
 * @throws PipelineError (ERR_CONFIG_INVALID) for an input at a negative or non-finite time, an
 *   unknown source, a record of a port the graph lacks, or a sink without a `preview`.
 */
export async function runVirtual(options: VirtualRunOptions): Promise<VirtualRunResult> {
  const { graph } = options;
  const startWallClock = options.startWallClock ?? DEFAULT_START_WALL_CLOCK;
  // Scheduler time is epoch ms, as with asyncScheduler in a real run; `at` is relative to it.
  const scheduler = new VirtualScheduler(startWallClock);
  const at = () => scheduler.now() - startWallClock;
  const inputs = orderInputs(graph, options.inputs);
  const lastAt = inputs.at(-1)?.at ?? 0;
  const until = options.until ?? lastAt + (options.settleMs ?? DEFAULT_SETTLE_MS);
  const logger = options.logger ?? silentLogger();

  const outputs: CapturedOutput[] = [];
  const feeds: Feeds = new Map();
  const nodes = new Map<string, GraphNode>();
  for (const [id, node] of graph.nodes) {
    if (node.enabled && node.kind === 'source') {
      nodes.set(id, { ...node, definition: standInSource(node.definition as SourceDefinition, id, feeds) });
    } else if (node.enabled && node.kind === 'sink') {
      const definition = captureDefinition(node.definition as SinkDefinition, id, scheduler, at, (o) => outputs.push(o));
      nodes.set(id, { ...node, definition });
    } else {
      nodes.set(id, node);
    }
  }
  const virtualGraph: PipelineGraph = { ...graph, nodes };

  const provided: Provided[] = [];
  for (const node of graph.nodes.values()) {
    if (!node.enabled || !node.definition.prepare) continue;
    // No storage: what a node would read from it, it starts without (as when storage is off).
    const log = logger.child({ component: node.id, kind: node.kind, type: node.type });
    try {
      provided.push(...(await node.definition.prepare(node.config, { logger: log })));
    } catch (err) {
      log.warn({ err }, 'Preparing the node failed; it starts without what it would provide.');
    }
  }
  provided.push(provide(PROCESS_PROBE, fixedProbe));
  // YouTube's quota as `chatflow run` counts it, in memory and starting empty: previews of sends spend from it.
  provided.push(provide(YOUTUBE_QUOTA, new YoutubeQuota()));
  // A fixed clock runs in virtual time as in real time; a followed one hears no beats here, so
  // its `on_beat` changes apply at once, as in a real run before beats arrive.
  const clock = graph.settings.clock;
  if (clock?.bpm !== undefined) provided.push(provide(BEAT_CLOCK, fixedClock(clock.bpm, clock.beats_per_bar, scheduler)));
  const resources: Resources = {
    baseDir: dirname(resolve(graph.file)),
    instance: 'virtual',
    services: new Services(provided),
  };

  const runtime = new PipelineRuntime(virtualGraph, {
    logger,
    resources,
    scheduler,
    clock: at,
    wallClock: () => scheduler.now(),
    // A test touches no disk: a disk-buffered sink (postgres) buffers in memory only.
    diskBuffers: false,
  });
  const recorded: RecordedEvent[] = [];
  const taps = (options.record ?? []).map(({ node, port }) => {
    try {
      return runtime.tap(node, port, (event) => recorded.push({ at: at(), node, port, event }), {
        queueMax: Number.MAX_SAFE_INTEGER,
      });
    } catch (err) {
      throw invalid(`Cannot record "${port ? `${node}.${port}` : node}": ${(err as Error).message}.`, node);
    }
  });
  await runtime.start();

  // One feeder for every source: inputs of equal times go out in the order given.
  let next = 0;
  const fed = inputs.filter((input) => input.at <= until);
  if (fed.length > 0) {
    scheduler.schedule(
      function feed(this: SchedulerAction<unknown>) {
        const now = at();
        while (next < fed.length && (fed[next] as (typeof fed)[number]).at <= now) {
          const input = fed[next++] as (typeof fed)[number];
          const subscribers = feeds.get(input.source);
          if (subscribers === undefined || subscribers.size === 0) continue;
          const event = { ...input.event, receivedAt: now } as ChatflowEvent;
          for (const subscriber of subscribers) subscriber.next(event);
        }
        if (next < fed.length) this.schedule(undefined, (fed[next] as (typeof fed)[number]).at - now);
      },
      (fed[0] as (typeof fed)[number]).at,
    );
  }

  await scheduler.advance(startWallClock + until);
  const stoppedAt = at();
  await stopInVirtualTime(runtime, scheduler, startWallClock + until + STOP_GRACE_MS);
  for (const tap of taps) tap.close();
  return {
    outputs,
    recorded,
    snapshot: runtime.snapshot(),
    endedAt: at(),
    stoppedAt,
    inputsNotFed: inputs.length - fed.length,
    stats: { instants: scheduler.instants, actions: scheduler.actions, settles: scheduler.settles },
  };
}

/**
 * Stops the runtime (sources end, operators drain, sinks flush) and moves virtual time along
 * while it does, so the sinks' drain deadlines and an operator's last timers fire; a
 * self-rescheduling timer is cut off when its chain is unsubscribed at the end of the stop.
 */
async function stopInVirtualTime(runtime: PipelineRuntime, scheduler: VirtualScheduler, limit: number): Promise<void> {
  let stopped = false;
  let failure: unknown;
  runtime.stop().then(
    () => {
      stopped = true;
    },
    (err: unknown) => {
      stopped = true;
      failure = err;
    },
  );
  let idle = 0;
  while (!stopped) {
    await scheduler.yieldOnce();
    if (stopped) break;
    const due = scheduler.nextDue();
    if (due === undefined || scheduler.pending > 0) {
      if (++idle > MAX_IDLE_TURNS) throw new Error('The pipeline did not stop: nothing is scheduled and its stop never finished.');
      continue;
    }
    idle = 0;
    if (due > limit) throw new Error(`The pipeline did not stop within ${STOP_GRACE_MS} ms of virtual time.`);
    await scheduler.advance(due, () => stopped);
  }
  if (failure !== undefined) throw failure;
}
