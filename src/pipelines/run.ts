/**
 * Compiles a validated {@link PipelineGraph} to running RxJS and owns its lifecycle:
 * sinks first, then operators, sources last (so nothing is emitted before it can be consumed);
 * at stop, the reverse: sources end, operators drain, sinks flush within their deadline.
 */
import { Observable, type OperatorFunction, type SchedulerLike, Subscription, asyncScheduler } from 'rxjs';
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
import { type Chain, planChains } from './chains.js';
import { RoutedDispatch, SingleDispatch, SourceDispatch } from './dispatch.js';
import { failedNode, LinkSubscriber, type LinkEnds, link } from './link.js';
import { ProcessingTimer, sinkInput } from './measure.js';
import { type InputWrapper, NodePorts, portsInput } from './ports.js';
import { keepAlive } from './restart.js';

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
}

export interface StopReport {
  /** Events still buffered in sinks when their flush deadline passed (counted as drops). */
  readonly lostAtShutdown: number;
  readonly durationMs: number;
}

interface RunningSink {
  readonly node: GraphNode;
  readonly driver: SinkDriver<ChatflowEvent>;
  readonly done: Promise<DrainResult>;
}

/** A pipeline compiled to RxJS. Create with {@link startPipeline}. */
export class PipelineRuntime {
  readonly metrics = new Map<string, NodeMetrics>();
  readonly #ports = new Map<string, NodePorts>();
  readonly #sourceSubs = new Map<string, Subscription>();
  readonly #operatorSubs = new Map<string, Subscription>();
  readonly #sinks: RunningSink[] = [];
  /** Each node's kept state, by node id: it outlives the node's restarts. */
  readonly #states = new Map<string, NodeState>();
  readonly #scheduler: SchedulerLike;
  readonly #clock: () => number;
  readonly #wallClock: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #log: Logger;
  /** The options' resources plus a read-only view of this runtime (`resources.pipeline`). */
  readonly #resources: Resources;
  /** `performance.now()` (the runtime's clock) when the pipeline was built. */
  readonly startedAt: number;
  #sourcesLeft = 0;
  #stopping: Promise<StopReport> | undefined;
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;

  constructor(
    readonly graph: PipelineGraph,
    private readonly options: RuntimeOptions,
  ) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#clock = options.clock ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? (() => this.#scheduler.now());
    this.#backoff = options.backoff ?? SOURCE_BACKOFF;
    this.#log = options.logger.child({ component: 'runtime' });
    this.startedAt = this.#clock();
    this.#resources = { ...options.resources, pipeline: this };
    this.#finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
    for (const node of graph.nodes.values()) {
      const metrics = new NodeMetrics(node.id, node.kind, node.type, node.definition.metricRoles);
      if (!node.enabled) metrics.status = 'disabled';
      this.metrics.set(node.id, metrics);
      this.#ports.set(node.id, new NodePorts(metrics, node.ports));
    }
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
      throw err;
    }
  }

  #start(): void {
    const nodes = this.graph.order.map((id) => this.graph.nodes.get(id) as GraphNode);
    const plan = planChains(this.graph, this.options.fuse ?? true);
    for (const node of plan.sinks) this.#startSink(node, this.#input(node, sinkInput(this.metrics.get(node.id) as NodeMetrics, this.#clock)));
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
    const lost = await this.#drainSinks();
    for (const sub of this.#operatorSubs.values()) sub.unsubscribe();
    this.#operatorSubs.clear();
    for (const metrics of this.metrics.values()) {
      if (metrics.status !== 'disabled' && metrics.status !== 'failed') metrics.status = 'stopped';
    }
    this.#resolveFinished();
    return { lostAtShutdown: lost, durationMs: this.#clock() - started };
  }

  #stateOf(id: string): NodeState {
    let state = this.#states.get(id);
    if (state === undefined) {
      state = new NodeState();
      this.#states.set(id, state);
    }
    return state;
  }

  /** @param onLive Called when a source reports `live` (its restart backoff starts over). */
  #context(node: GraphNode, metrics: NodeMetrics, onLive?: () => void): ComponentContext {
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
    };
  }

  /** The merged input of a node, each event passed through `wrap` (counting, timing). */
  #input(node: GraphNode, wrap: InputWrapper): Observable<ChatflowEvent> {
    const ports = node.inputs.map((ref) => (this.#ports.get(ref.node) as NodePorts).get(ref.port));
    return portsInput(ports, wrap);
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
    // A quiet source may deliver nothing after reconnecting: reporting `live` resets its
    // backoff too, so outages hours apart don't keep growing the delay.
    const ctx = this.#context(node, metrics, () => {
      failures = 0;
    });
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
      return { node, metrics, ctx, def, timer: new ProcessingTimer(metrics, this.#clock), operator: def.create(node.config, ctx) };
    });
    const first = stages[0] as (typeof stages)[number];
    let stream$: Observable<unknown> = this.#input(head, first.timer.wrapInput).pipe(
      first.operator as OperatorFunction<ChatflowEvent, ChatflowEvent>,
    );
    for (let i = 1; i < stages.length; i++) {
      const from = stages[i - 1] as (typeof stages)[number];
      const to = stages[i] as (typeof stages)[number];
      stream$ = (stream$ as Observable<ChatflowEvent>).pipe(
        link({ from: { id: from.node.id, timer: from.timer, out: from.metrics.out('') }, to, clock: this.#clock }),
        to.operator as OperatorFunction<ChatflowEvent, ChatflowEvent>,
      );
    }
    const end = stages.at(-1) as (typeof stages)[number];
    const ids = chain.operators.map((n) => n.id);
    const onComplete = (): void => {
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
        from: { id: end.node.id, timer: end.timer, out: end.metrics.out('') },
        to: { metrics: this.metrics.get(chain.sink.id) as NodeMetrics },
        clock: this.#clock,
      };
      const ops$ = stream$ as Observable<ChatflowEvent>;
      const input$ = new Observable<ChatflowEvent>((subscriber) =>
        keepAlive(ops$, (chainEnd) => new LinkSubscriber(subscriber, ends, chainEnd), onError, this.#scheduler, onComplete),
      );
      this.#startSink(chain.sink, input$);
      return;
    }
    const ports = this.#ports.get(last.id) as NodePorts;
    const mirror = end.def.ports !== undefined && end.def.mirrorToDefault === true;
    const sub =
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
            (chainEnd) => new RoutedDispatch(ports, mirror, end.metrics, end.timer, chainEnd),
            onError,
            this.#scheduler,
            onComplete,
          );
    for (const id of ids) this.#operatorSubs.set(id, sub);
  }

  #startSink(node: GraphNode, input$: Observable<ChatflowEvent>): void {
    const metrics = this.metrics.get(node.id) as NodeMetrics;
    const def = node.definition as SinkDefinition;
    const ctx = this.#context(node, metrics);
    const sink = def.create(node.config, ctx);
    const settings = resolveSinkDriver(node.driver ?? {}, def.driver);
    metrics.bufferCapacity = settings.bufferMax;
    const driver = writeBatches(sink, settings, {
      metrics,
      scheduler: this.#scheduler,
      clock: this.#clock,
      logger: ctx.logger,
      ...(sink.keyOf ? { keyOf: sink.keyOf.bind(sink) } : {}),
      ...(sink.deadLetter ? { onDeadLetter: sink.deadLetter.bind(sink) } : {}),
    });
    metrics.status = 'running';
    const done = driver.run(input$);
    this.#sinks.push({ node, driver, done });
  }

  /** Resolves when every sink has consumed its (completed) input and written it all. */
  async #whenSinksDone(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.done));
    await this.#drainSinks();
  }

  async #drainSinks(): Promise<number> {
    const results = await Promise.all(
      this.#sinks.map(async ({ node, driver }) => {
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

/** Compiles and starts a pipeline. */
export async function startPipeline(graph: PipelineGraph, options: RuntimeOptions): Promise<PipelineRuntime> {
  const runtime = new PipelineRuntime(graph, options);
  await runtime.start();
  return runtime;
}
