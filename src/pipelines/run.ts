/**
 * Compiles a validated {@link PipelineGraph} to running RxJS and owns its lifecycle:
 * sinks first, then operators, sources last (so nothing is emitted before it can be consumed);
 * at stop, the reverse: sources end, operators drain, sinks flush within their deadline.
 */
import { join } from 'node:path';
import { type Observable, type OperatorFunction, type SchedulerLike, Subscription, asyncScheduler } from 'rxjs';
import type {
  ComponentContext,
  OperatorDefinition,
  Resources,
  Routed,
  SinkDefinition,
  SourceDefinition,
} from '../core/component.js';
import { SourceFatalError, toError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { NodeMetrics, type NodeMetricsSnapshot } from '../core/metrics.js';
import { NodeState } from '../core/nodeState.js';
import { resolveSinkDriver } from '../core/sinkDriverConfig.js';
import { type DrainResult, type SinkDriver, writeBatches } from './sinkDriver/writeBatches.js';
import { type BackoffPolicy, SOURCE_BACKOFF, backoffDelay } from '../core/backoff.js';
import type { GraphNode, PipelineGraph } from '../core/pipelineGraph.js';
import type { RuntimeAlerts } from '../core/pipelineView.js';
import { type Chain, planChains } from './chains.js';
import { RoutedDispatch, SingleDispatch, SourceDispatch } from './dispatch.js';
import { failedNode, LinkSubscriber, type LinkEnds, link, NodeFailure } from './link.js';
import { ProcessingTimer, sinkInput } from './measure.js';
import { NodePorts, type OutputPort } from './ports.js';
import { type ReloadFailure, type ReloadReport, reloadReport } from './reloadReport.js';
import { type GraphDiff, diffGraphs } from './reloadDiff.js';
import { type Tap, type TapListener, type TapOptions, TapRegistry } from './tap.js';
import { keepAlive } from './restart.js';
import { type LossReport, LossMonitor } from './lossMonitor.js';
import { FlowControl, type FlowSource } from './flow/flowControl.js';
import type { SourceGate } from './flow/sourceGate.js';
import { SinkRelay, SwitchInput } from './switchInput.js';

export interface RuntimeOptions {
  readonly logger: Logger;
  readonly resources: Resources;
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock for `receivedAt` and latency; defaults to `performance.now`. */
  readonly clock?: () => number;
  /**
   * Wall time in epoch ms for components (`ctx.wallClock`); the CLI passes `Date.now`. Defaults
   * to the scheduler's time, so a test on a virtual scheduler gets virtual wall time too.
   */
  readonly wallClock?: () => number;
  /** Restart policy of failed sources and operators. */
  readonly backoff?: BackoffPolicy;
  /** Fuse runs of single-output operators into one pipe (default true; off to compare). */
  readonly fuse?: boolean;
  /**
   * Whether sinks with `buffer.type: disk` get their directory under `.chatflow/buffers/`
   * (default true); false keeps every buffer in memory, for runs that must touch no disk
   * (`chatflow test`).
   */
  readonly diskBuffers?: boolean;
}

export interface StopReport {
  /** Events still buffered in sinks when their flush deadline passed (counted as drops). */
  readonly lostAtShutdown: number;
  /**
   * Everything lost since start (every unintentional drop, shutdown included), by node and
   * reason, nodes a reload removed included.
   */
  readonly lost: LossReport;
  readonly durationMs: number;
}

interface RunningSink {
  readonly node: GraphNode;
  readonly driver: SinkDriver<ChatflowEvent>;
  readonly done: Promise<DrainResult>;
  /** What the driver is subscribed to for its whole life; its feed changes under it on reload. */
  readonly relay: SinkRelay;
  /** Its input when it reads from ports (not fused onto a chain). */
  portInput: SwitchInput | undefined;
}

interface RunningChain {
  readonly chain: Chain;
  /** The head's merged input, re-pointed when the head is rewired. */
  readonly input: SwitchInput;
  sub: Subscription;
  /** Its input completed (every upstream ended, or was disabled at start). */
  ended: boolean;
}

/** Identifies a chain by its members, so a reload can tell whether a planned chain runs already. */
const chainKey = (chain: Chain): string =>
  `${chain.operators.map((n) => n.id).join('\u0000')}>${chain.sink?.id ?? ''}`;

/** A pipeline compiled to RxJS. Create with {@link startPipeline}. */
export class PipelineRuntime {
  readonly metrics = new Map<string, NodeMetrics>();
  readonly #ports = new Map<string, NodePorts>();
  readonly #sourceSubs = new Map<string, Subscription>();
  readonly #chains = new Map<string, RunningChain>();
  readonly #sinks = new Map<string, RunningSink>();
  /** Drains of sinks a reload removed or rebuilt; stop waits for them too. */
  readonly #retiring = new Set<Promise<number>>();
  /** The drain of a retiring sink, by node id, that its successor's disk buffer waits for. */
  readonly #diskHandoff = new Map<string, Promise<number>>();
  #graph: PipelineGraph;
  #reloads: Promise<unknown> = Promise.resolve();
  readonly #taps: TapRegistry;
  /** Backpressure: congested sinks and the pausable sources they hold back. */
  readonly #flow: FlowControl;
  /** Each node's kept state, by node id: it outlives the node's restarts. */
  readonly #states = new Map<string, NodeState>();
  readonly #scheduler: SchedulerLike;
  readonly #clock: () => number;
  readonly #wallClock: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #log: Logger;
  /** Makes every unintentional drop loud: log, dashboard alert, the stop report's ledger. */
  readonly #loss: LossMonitor;
  /** The options' resources plus a read-only view of this runtime (`resources.pipeline`). */
  readonly #resources: Resources;
  /** `performance.now()` (the runtime's clock) when the pipeline was built. */
  readonly startedAt: number;
  #sourcesLeft = 0;
  #stopping: Promise<StopReport> | undefined;
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;

  constructor(
    graph: PipelineGraph,
    private readonly options: RuntimeOptions,
  ) {
    this.#graph = graph;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#clock = options.clock ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? (() => this.#scheduler.now());
    this.#backoff = options.backoff ?? SOURCE_BACKOFF;
    this.#taps = new TapRegistry(this.#scheduler);
    this.#log = options.logger.child({ component: 'runtime' });
    this.#loss = new LossMonitor({
      scheduler: this.#scheduler,
      wallClock: this.#wallClock,
      clock: this.#clock,
      logger: this.#log,
      instance: options.resources.instance,
    });
    this.#flow = new FlowControl(graph, this.#scheduler, this.#log);
    this.startedAt = this.#clock();
    this.#resources = { ...options.resources, pipeline: this };
    this.#finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
    for (const node of graph.nodes.values()) this.#addNode(node);
  }

  /** The runtime's own alerts: a node losing events (`data_loss:<node>`, src/pipelines/lossMonitor.ts). */
  get alerts(): RuntimeAlerts {
    return this.#loss;
  }

  /** The running graph; a reload replaces it. */
  get graph(): PipelineGraph {
    return this.#graph;
  }

  #addNode(node: GraphNode): void {
    const metrics = new NodeMetrics(node.id, node.kind, node.type, node.definition.metricRoles);
    if (!node.enabled) metrics.status = 'disabled';
    this.metrics.set(node.id, metrics);
    this.#loss.watch(metrics);
    this.#ports.set(node.id, new NodePorts(metrics, node.ports));
  }

  /**
   * Watches what leaves `node`'s `port` ('' is the default one) without consuming it. The tap
   * follows the node through reloads (src/pipelines/tap.ts). Throws for a node or port the
   * running graph does not have.
   */
  tap(node: string, port: string, listener: TapListener, options?: TapOptions): Tap {
    if (this.#ports.get(node)?.find(port) === undefined) {
      throw new Error(`Node "${node}" has no port "${port}"`);
    }
    const tap = this.#taps.add(node, port, listener, options);
    this.#attachTaps();
    return tap;
  }

  #defaultPort(node: string): OutputPort {
    return (this.#ports.get(node) as NodePorts).get('');
  }

  #attachTaps(): void {
    this.#taps.attach((node, port) => this.#ports.get(node)?.find(port));
  }

  /** Resolves when every source has ended by itself and the sinks have written everything. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  snapshot(): NodeMetricsSnapshot[] {
    return this.graph.order.map((id) => (this.metrics.get(id) as NodeMetrics).snapshot());
  }

  /** Starts sinks, then operators, then sources; if any fails to start, stops what did. */
  async start(): Promise<void> {
    try {
      this.#start();
    } catch (err) {
      await this.stop();
      // What the component threw, not the runtime's note of which node threw it.
      throw err instanceof NodeFailure ? err.cause : err;
    }
  }

  #start(): void {
    const nodes = this.graph.order.map((id) => this.graph.nodes.get(id) as GraphNode);
    const plan = planChains(this.graph, this.options.fuse ?? true);
    for (const node of nodes) if (node.kind === 'sink' && node.enabled) this.#startSink(node);
    for (const node of plan.sinks) this.#feedFromPorts(node);
    // Chains subscribe downstream-first so an upstream's output has its consumers attached.
    for (const chain of [...plan.chains].reverse()) this.#startChain(chain);
    for (const node of nodes) {
      if (!node.enabled) this.#ports.get(node.id)?.completeAll();
    }
    const sources = nodes.filter((n) => n.kind === 'source' && n.enabled);
    this.#sourcesLeft = sources.length;
    for (const node of sources) this.#startSource(node);
    if (sources.length === 0) void this.#whenSinksDone().then(this.#resolveFinished);
  }

  /**
   * Stops sources, lets operators drain, and gives every sink until its `flush_timeout` to write
   * what it holds. Idempotent.
   */
  stop(): Promise<StopReport> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopReport> {
    const started = this.#clock();
    this.#log.info({ sources: this.#sourceSubs.size }, 'Stopping pipeline.');
    for (const [id, sub] of this.#sourceSubs) {
      sub.unsubscribe();
      this.#endSource(id, 'stopped');
    }
    this.#sourceSubs.clear();
    const lost = (await this.#drainSinks()) + (await this.#retired());
    for (const running of this.#chains.values()) running.sub.unsubscribe();
    this.#chains.clear();
    for (const metrics of this.metrics.values()) {
      if (metrics.status !== 'disabled' && metrics.status !== 'failed') metrics.status = 'stopped';
    }
    this.#resolveFinished();
    return { lostAtShutdown: lost, lost: this.#loss.stop(), durationMs: this.#clock() - started };
  }

  /**
   * Applies `next` to the running pipeline, node by node (src/pipelines/reloadDiff.ts):
   * unchanged nodes keep running untouched (a source stays connected); a changed node is stopped
   * and rebuilt with the same `ctx.state` and metrics, on the same output ports, so its consumers
   * keep receiving without re-subscribing; a rewired node's input is re-pointed; removed nodes
   * stop (a removed sink drains through its driver) and leave the metrics; added ones start.
   * Chains are re-planned for `next`: an unchanged operator fused with a changed one is
   * re-subscribed with it (listed in `restarted`). The wiring swaps synchronously, so no event
   * between unchanged nodes is lost or duplicated; a rebuilt node loses only what it held in
   * its stream. Settings that apply only at start are reported in `needsRestart`.
   * Reloads run one after another; `runtime.graph` is `next` once this resolves.
   *
   * @param next A validated graph (build it with the same registry).
   * @param options.rebuild Nodes to rebuild even when their config is unchanged (a file they
   *   read at start changed on disk).
   */
  reload(next: PipelineGraph, options: { readonly rebuild?: ReadonlySet<string> } = {}): Promise<ReloadReport> {
    const run = this.#reloads.then(() => this.#reload(next, options.rebuild));
    this.#reloads = run.catch(() => undefined);
    return run;
  }

  async #reload(next: PipelineGraph, rebuild: ReadonlySet<string> | undefined): Promise<ReloadReport> {
    const started = this.#clock();
    const diff = diffGraphs(this.#graph, next, rebuild);
    if (this.#stopping) {
      return reloadReport(diff, { applied: false, restarted: [], failed: [], lostInRetiredSinks: 0, durationMs: 0 });
    }
    const retiring: Promise<number>[] = [];
    const failed: ReloadFailure[] = [];
    const restarted = this.#swap(next, diff, retiring, failed);
    const lost = (await Promise.all(retiring)).reduce((a, b) => a + b, 0);
    const report = reloadReport(diff, {
      applied: true,
      restarted,
      failed,
      lostInRetiredSinks: lost,
      durationMs: this.#clock() - started,
    });
    this.#log.info(
      {
        changed: report.changed,
        rewired: report.rewired,
        added: report.added,
        removed: report.removed,
        restarted: report.restarted,
        failed: report.failed.map((f) => f.node),
        needsRestart: report.needsRestart.map((c) => c.setting),
      },
      'Pipeline reloaded.',
    );
    return report;
  }

  /**
   * The synchronous part of a reload: stop what goes, move what stays, start what comes, in an
   * order where every consumer is attached before its producer starts. Returns the nodes whose
   * stream was (re)started; pushes the drains of retired sinks onto `retiring`.
   */
  #swap(next: PipelineGraph, diff: GraphDiff, retiring: Promise<number>[], failed: ReloadFailure[]): string[] {
    const old = this.#graph;
    const change = (id: string) => diff.nodes.get(id);
    const touched = (id: string) => {
      const c = change(id);
      return c === 'changed' || c === 'added' || c === 'removed';
    };
    const plan = planChains(next, this.options.fuse ?? true);
    const kept = new Set<string>();
    for (const chain of plan.chains) {
      const key = chainKey(chain);
      const members = [...chain.operators, ...(chain.sink ? [chain.sink] : [])];
      if (this.#chains.has(key) && !members.some((n) => touched(n.id))) kept.add(key);
    }
    const restarted = new Set<string>();
    /** A node that fails to build is reported and left stopped; the rest of the reload goes on. */
    const build = (nodes: readonly GraphNode[], start: () => void): boolean => {
      try {
        start();
        for (const node of nodes) restarted.add(node.id);
        return true;
      } catch (err) {
        const cause = failedNode(err, (nodes[0] as GraphNode).id);
        const message = toError(cause.cause).message;
        for (const node of nodes) {
          const metrics = this.metrics.get(node.id) as NodeMetrics;
          metrics.status = 'failed';
          if (node.id === cause.node) {
            metrics.error(cause.cause);
            failed.push({ node: node.id, error: message });
          } else {
            failed.push({ node: node.id, error: `Fused with "${cause.node}", which failed to start: ${message}` });
          }
        }
        this.#log.error({ err: toError(cause.cause), nodes: nodes.map((n) => n.id) }, 'Node failed to start on reload.');
        return false;
      }
    };

    // 1. Stop what goes: chains not kept, changed and removed sources, changed and removed sinks.
    for (const [key, running] of this.#chains) {
      if (kept.has(key)) continue;
      running.sub.unsubscribe();
      this.#chains.delete(key);
    }
    for (const [id, sub] of [...this.#sourceSubs]) {
      if (change(id) !== 'changed' && change(id) !== 'removed') continue;
      this.#sourceSubs.delete(id);
      sub.unsubscribe();
      this.#sourcesLeft -= 1;
    }
    /** Drains of the sinks retired here, by node: a node's old metrics are watched until it ends. */
    const drains = new Map<string, Promise<number>>();
    for (const [id, running] of [...this.#sinks]) {
      if (change(id) !== 'changed' && change(id) !== 'removed') continue;
      running.relay.detach();
      this.#sinks.delete(id);
      const drain = this.#retire(running);
      drains.set(id, drain);
      retiring.push(drain);
    }

    // 2. Nodes: forget removed ones, make added ones, keep a changed one's metrics, ports and
    // state unless its type changed. Ports that go are completed only once nobody reads them.
    this.#graph = next;
    const goneports: OutputPort[] = [];
    for (const [id, c] of diff.nodes) {
      if (c === 'removed') {
        goneports.push(...(this.#ports.get(id) as NodePorts).all());
        this.#ports.delete(id);
        this.#loss.unwatch(this.metrics.get(id) as NodeMetrics, drains.get(id));
        this.metrics.delete(id);
        this.#states.get(id)?.clear();
        this.#states.delete(id);
        continue;
      }
      const node = next.nodes.get(id) as GraphNode;
      if (c === 'added') {
        this.#addNode(node);
        continue;
      }
      if (c !== 'changed') continue;
      const was = old.nodes.get(id) as GraphNode;
      const ports = this.#ports.get(id) as NodePorts;
      if (was.type !== node.type || was.kind !== node.kind) {
        // Another component: its counters and its state would mean something else.
        goneports.push(...ports.all());
        this.#loss.unwatch(this.metrics.get(id) as NodeMetrics, drains.get(id));
        this.#states.get(id)?.clear();
        this.#states.delete(id);
        this.#addNode(node);
        continue;
      }
      const metrics = this.metrics.get(id) as NodeMetrics;
      metrics.status = node.enabled ? 'starting' : 'disabled';
      if (ports.ended) {
        goneports.push(...ports.all());
        this.#ports.set(id, new NodePorts(metrics, node.ports));
      } else {
        goneports.push(...ports.reshape(metrics, node.ports));
      }
    }

    // 2b. What ended (its input completed: a node disabled at start, sources that finished)
    // starts again when the new graph gives it an open input; in node order, so that a node
    // brought back gives its consumers an open input in turn. A node that starts with ended
    // ports gets fresh ones (same metrics), which its consumers move to below.
    const keptByHead = new Map<string, string>();
    for (const key of kept) keptByHead.set((this.#chains.get(key) as RunningChain).chain.operators[0]?.id as string, key);
    const starting = new Set<string>();
    for (const chain of plan.chains) {
      if (!kept.has(chainKey(chain))) for (const node of chain.operators) starting.add(node.id);
    }
    const hasOpenInput = (node: GraphNode) => this.#inputPorts(node).some((port) => !port.completed);
    for (const id of next.order) {
      const node = next.nodes.get(id) as GraphNode;
      if (!node.enabled) continue;
      const sink = this.#sinks.get(id);
      if (sink && !sink.relay.open && hasOpenInput(node)) {
        this.#sinks.delete(id);
        retiring.push(this.#retire(sink));
      }
      const key = keptByHead.get(id);
      const chain = key === undefined ? undefined : this.#chains.get(key);
      if (key !== undefined && chain?.ended && hasOpenInput(node)) {
        kept.delete(key);
        this.#chains.delete(key);
        chain.sub.unsubscribe();
        for (const member of chain.chain.operators) starting.add(member.id);
      }
      const ports = this.#ports.get(id) as NodePorts;
      if (ports.ended && (starting.has(id) || (node.kind === 'source' && touched(id)))) {
        this.#ports.set(id, new NodePorts(this.metrics.get(id) as NodeMetrics, node.ports));
      }
    }

    // 3. Move what stays onto the current ports, then start sinks and chains, consumers first.
    for (const key of kept) {
      const running = this.#chains.get(key) as RunningChain;
      const head = next.nodes.get(running.chain.operators[0]?.id as string) as GraphNode;
      running.input.setPorts(this.#inputPorts(head));
    }
    for (const id of next.order) {
      const node = next.nodes.get(id) as GraphNode;
      if (node.kind !== 'sink' || !node.enabled || this.#sinks.has(id)) continue;
      build([node], () => this.#startSink(node));
    }
    for (const node of plan.sinks) if (this.#sinks.has(node.id)) this.#feedFromPorts(node);
    for (const chain of [...plan.chains].reverse()) {
      if (kept.has(chainKey(chain))) continue;
      if (chain.sink && !this.#sinks.has(chain.sink.id)) {
        // Its sink failed to start: run the operators on their own ports instead.
        build(chain.operators, () => this.#startChain({ operators: chain.operators, sink: undefined }));
        continue;
      }
      build(chain.operators, () => this.#startChain(chain));
    }
    // A node disabled by a reload keeps its ports open (unlike one disabled at start): its
    // consumers go quiet rather than end, and hear it again once it is enabled again.
    for (const port of goneports) port.complete();
    this.#attachTaps();
    // Who feeds whom changed: a source no longer feeding a congested sink resumes, one newly
    // wired to it pauses, before any source starts.
    this.#flow.rewire(next, flowSources(next));

    // 4. Sources last, so that what they emit at once has somewhere to go.
    for (const id of next.order) {
      const node = next.nodes.get(id) as GraphNode;
      if (node.kind !== 'source' || !node.enabled || !touched(id)) continue;
      this.#sourcesLeft += 1;
      this.#startSource(node);
      restarted.add(id);
    }
    if (this.#sourcesLeft === 0) void this.#whenSinksDone().then(this.#resolveFinished);
    return [...restarted];
  }

  #stateOf(id: string): NodeState {
    let state = this.#states.get(id);
    if (state === undefined) {
      state = new NodeState();
      this.#states.set(id, state);
    }
    return state;
  }

  /**
   * @param onLive Called when a source reports `live` (its restart backoff starts over).
   * @param gate A pausable source's flow.
   */
  #context(node: GraphNode, metrics: NodeMetrics, onLive?: () => void, gate?: SourceGate): ComponentContext {
    return {
      id: node.id,
      logger: this.options.logger.child({ component: node.id, kind: node.kind, type: node.type }),
      scheduler: this.#scheduler,
      clock: this.#clock,
      wallClock: this.#wallClock,
      metrics,
      resources: this.#resources,
      setHealth: (health) => {
        metrics.status = health;
        if (health === 'live') onLive?.();
      },
      state: this.#stateOf(node.id),
      ...(gate === undefined ? {} : { flow: gate }),
    };
  }

  /** The ports a node reads from, as the runtime holds them now. */
  #inputPorts(node: GraphNode): OutputPort[] {
    return node.inputs.map((ref) => (this.#ports.get(ref.node) as NodePorts).get(ref.port));
  }

  /**
   * Subscribes a source and keeps it running: a failure restarts it after a capped exponential
   * backoff (reset once it delivers again), a {@link SourceFatalError} marks it failed.
   * Written by hand rather than with `retry()` so the per-event path is one call to the port.
   */
  #startSource(node: GraphNode): void {
    const metrics = this.metrics.get(node.id) as NodeMetrics;
    const def = node.definition as SourceDefinition;
    let failures = 0;
    const gate = this.#flow.gateOf(flowSource(node));
    metrics.flow = gate;
    // A quiet source may deliver nothing after reconnecting: reporting `live` resets its
    // backoff too, so outages hours apart don't keep growing the delay.
    const ctx = this.#context(
      node,
      metrics,
      () => {
        failures = 0;
      },
      gate,
    );
    const out = (this.#ports.get(node.id) as NodePorts).get('');
    const log = ctx.logger;
    let current: Subscription | undefined;
    let restart: Subscription | undefined;
    const handle = new Subscription(() => {
      restart?.unsubscribe();
      current?.unsubscribe();
    });

    const onFirst = (): void => {
      failures = 0;
      if (metrics.status === 'connecting' || metrics.status === 'reconnecting') metrics.status = 'live';
    };
    const onError = (err: unknown): void => {
      current = undefined;
      metrics.error(err);
      if (err instanceof SourceFatalError) {
        metrics.status = 'failed';
        log.error({ err }, 'Source failed and will not be restarted.');
        this.#onSourceEnded(node.id, handle);
        return;
      }
      failures += 1;
      const delayMs = backoffDelay(this.#backoff, failures);
      metrics.status = 'reconnecting';
      log.warn({ err, attempt: failures, delayMs }, 'Source failed; restarting after backoff.');
      restart = this.#scheduler.schedule(() => {
        restart = undefined;
        connect();
      }, delayMs);
    };
    const connect = (): void => {
      if (handle.closed) return;
      if (metrics.status !== 'reconnecting') metrics.status = 'connecting';
      let source$: Observable<ChatflowEvent>;
      try {
        source$ = def.create(node.config, ctx);
      } catch (err) {
        onError(err);
        return;
      }
      const sub = source$.subscribe(
        new SourceDispatch(out, onFirst, {
          error: onError,
          complete: () => {
            current = undefined;
            this.#onSourceEnded(node.id, handle);
          },
        }),
      );
      if (!sub.closed) current = sub;
    };
    this.#sourceSubs.set(node.id, handle);
    connect();
  }

  /** A source completed by itself (or failed for good): end its ports; maybe the run is over. */
  #onSourceEnded(id: string, handle: Subscription): void {
    if (this.#sourceSubs.get(id) !== handle) return;
    this.#sourceSubs.delete(id);
    const metrics = this.metrics.get(id) as NodeMetrics;
    this.#endSource(id, metrics.status === 'failed' ? 'failed' : 'stopped');
    if (this.#sourcesLeft === 0 && !this.#stopping) void this.#whenSinksDone().then(this.#resolveFinished);
  }

  #endSource(id: string, status: 'stopped' | 'failed'): void {
    const metrics = this.metrics.get(id) as NodeMetrics;
    if (metrics.status !== 'failed') metrics.status = status;
    this.#sourcesLeft -= 1;
    (this.#ports.get(id) as NodePorts).completeAll();
  }

  /**
   * Compiles a chain of operators (one, or several fused: src/pipelines/chains.ts) into one
   * pipe, kept alive through operator errors, ending in its last node's ports or in a sink.
   */
  #startChain(chain: Chain): void {
    const head = chain.operators[0] as GraphNode;
    const last = chain.operators.at(-1) as GraphNode;
    const stages = chain.operators.map((node) => {
      const metrics = this.metrics.get(node.id) as NodeMetrics;
      const ctx = this.#context(node, metrics);
      const def = node.definition as OperatorDefinition;
      metrics.status = 'running';
      let operator: OperatorFunction<ChatflowEvent, unknown>;
      try {
        operator = def.create(node.config, ctx);
      } catch (err) {
        throw new NodeFailure(node.id, err);
      }
      return { node, metrics, ctx, def, timer: new ProcessingTimer(metrics, this.#clock), operator };
    });
    const first = stages[0] as (typeof stages)[number];
    const input = new SwitchInput(this.#inputPorts(head), first.timer.wrapInput);
    const entry: RunningChain = { chain, input, sub: Subscription.EMPTY, ended: false };
    let stream$: Observable<unknown> = input.events$.pipe(
      first.operator as OperatorFunction<ChatflowEvent, ChatflowEvent>,
    );
    for (let i = 1; i < stages.length; i++) {
      const from = stages[i - 1] as (typeof stages)[number];
      const to = stages[i] as (typeof stages)[number];
      stream$ = (stream$ as Observable<ChatflowEvent>).pipe(
        link({
          from: { id: from.node.id, timer: from.timer, out: from.metrics.out(''), port: this.#defaultPort(from.node.id) },
          to,
          clock: this.#clock,
        }),
        to.operator as OperatorFunction<ChatflowEvent, ChatflowEvent>,
      );
    }
    const end = stages.at(-1) as (typeof stages)[number];
    const ids = chain.operators.map((n) => n.id);
    const onComplete = (): void => {
      entry.ended = true;
      for (const stage of stages) {
        stage.metrics.status = 'stopped';
        (this.#ports.get(stage.node.id) as NodePorts).completeAll();
      }
    };
    const onError = (err: unknown, attempt: number): number => {
      const failure = failedNode(err, last.id);
      (this.metrics.get(failure.node) as NodeMetrics).error(failure.cause);
      const stage = stages.find((s) => s.node.id === failure.node) ?? end;
      stage.ctx.logger.error({ err: failure.cause, attempt, chain: ids }, 'Operator failed; restarting it.');
      return backoffDelay(this.#backoff, attempt);
    };
    if (chain.sink) {
      const ends: LinkEnds = {
        from: { id: end.node.id, timer: end.timer, out: end.metrics.out(''), port: this.#defaultPort(end.node.id) },
        to: { metrics: this.metrics.get(chain.sink.id) as NodeMetrics },
        clock: this.#clock,
      };
      const ops$ = stream$ as Observable<ChatflowEvent>;
      const running = this.#sinks.get(chain.sink.id) as RunningSink;
      running.portInput = undefined;
      entry.sub = running.relay.attach((subscriber) =>
        keepAlive(ops$, (chainEnd) => new LinkSubscriber(subscriber, ends, chainEnd), onError, this.#scheduler, onComplete),
      );
      this.#chains.set(chainKey(chain), entry);
      return;
    }
    const ports = this.#ports.get(last.id) as NodePorts;
    entry.sub =
      end.def.ports === undefined
        ? keepAlive(
            stream$ as Observable<ChatflowEvent>,
            (chainEnd) => new SingleDispatch(ports.get(''), end.timer, chainEnd),
            onError,
            this.#scheduler,
            onComplete,
          )
        : keepAlive(
            stream$ as Observable<Routed>,
            (chainEnd) => new RoutedDispatch(ports, 'mirrorToDefault' in end.def ? end.def.mirrorToDefault : undefined, end.metrics, end.timer, chainEnd),
            onError,
            this.#scheduler,
            onComplete,
          );
    this.#chains.set(chainKey(chain), entry);
  }

  /** Feeds a sink from its input ports (attaching them, or re-pointing the ones it reads). */
  #feedFromPorts(node: GraphNode): void {
    const running = this.#sinks.get(node.id) as RunningSink;
    const ports = this.#inputPorts(node);
    if (running.portInput) {
      running.portInput.setPorts(ports);
      return;
    }
    const input = new SwitchInput(ports, sinkInput(this.metrics.get(node.id) as NodeMetrics, this.#clock));
    running.portInput = input;
    running.relay.attach((subscriber) => input.attach(subscriber));
  }

  /** Starts a sink's driver on its relay, which feeds it nothing until a chain or its ports attach. */
  #startSink(node: GraphNode): void {
    const metrics = this.metrics.get(node.id) as NodeMetrics;
    const def = node.definition as SinkDefinition;
    const ctx = this.#context(node, metrics);
    const sink = def.create(node.config, ctx);
    const settings = resolveSinkDriver(node.driver ?? {}, def.driver);
    metrics.bufferCapacity = settings.bufferMax;
    // A retired driver (the sink was removed or rebuilt) no longer speaks for this node id.
    const onCongestion = (congested: boolean): void => {
      if (this.#sinks.get(node.id)?.driver === driver) this.#flow.setCongested(node.id, congested);
    };
    const diskAfter = this.#diskHandoff.get(node.id);
    const driver: SinkDriver<ChatflowEvent> = writeBatches(sink, settings, {
      metrics,
      scheduler: this.#scheduler,
      clock: this.#clock,
      logger: ctx.logger,
      ...(sink.keyOf ? { keyOf: sink.keyOf.bind(sink) } : {}),
      ...(sink.deadLetter ? { onDeadLetter: sink.deadLetter.bind(sink) } : {}),
      onCongestion,
      ...(this.options.diskBuffers === false
        ? {}
        : { diskDir: join(this.#resources.baseDir, '.chatflow', 'buffers', node.id) }),
      ...(diskAfter ? { diskAfter } : {}),
    });
    metrics.status = 'running';
    const relay = new SinkRelay();
    const done = driver.run(relay.events$);
    this.#sinks.set(node.id, { node, driver, done, relay, portInput: undefined });
  }

  /** Resolves when every sink has consumed its (completed) input and written it all. */
  async #whenSinksDone(): Promise<void> {
    await Promise.all([...this.#sinks.values()].map((s) => s.done));
    await this.#drainSinks();
  }

  async #retired(): Promise<number> {
    const results = await Promise.all(this.#retiring);
    return results.reduce((a, b) => a + b, 0);
  }

  /** Drains one sink taken out of the pipeline; resolves with the events it dropped. */
  #retire(running: RunningSink): Promise<number> {
    this.#flow.setCongested(running.node.id, false);
    const done = running.driver.drain().then(
      (result) => result.dropped,
      (err: unknown) => {
        this.#log.error({ err: toError(err), node: running.node.id }, 'Sink failed to drain.');
        return 0;
      },
    );
    this.#retiring.add(done);
    // A sink rebuilt by a reload opens its disk buffer only after this drain has closed it.
    const id = running.node.id;
    this.#diskHandoff.set(id, done);
    void done.then(() => {
      this.#retiring.delete(done);
      if (this.#diskHandoff.get(id) === done) this.#diskHandoff.delete(id);
    });
    return done;
  }

  async #drainSinks(): Promise<number> {
    const results = await Promise.all(
      [...this.#sinks.values()].map(async ({ node, driver }) => {
        try {
          return (await driver.drain()).dropped;
        } catch (err) {
          this.#log.error({ err: toError(err), node: node.id }, 'Sink failed to drain.');
          return 0;
        }
      }),
    );
    return results.reduce((a, b) => a + b, 0);
  }
}

function flowSource(node: GraphNode): FlowSource {
  return { id: node.id, pausable: (node.definition as SourceDefinition).pausable === true };
}

function flowSources(graph: PipelineGraph): FlowSource[] {
  return [...graph.nodes.values()].filter((n) => n.kind === 'source').map(flowSource);
}

/** Compiles and starts a pipeline. */
export async function startPipeline(graph: PipelineGraph, options: RuntimeOptions): Promise<PipelineRuntime> {
  const runtime = new PipelineRuntime(graph, options);
  await runtime.start();
  return runtime;
}
