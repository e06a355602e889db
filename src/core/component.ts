/**
 * What a component is: its schema, its factory and its definition record (DESIGN.md §5).
 * `define…` functions only give the record its type; nothing registers itself.
 *
 * One clock story (STYLE.md §6, docs/architecture.md):
 * - **Anything that waits, times out or measures an interval reads `ctx.scheduler`**
 *   (`scheduler.now()`, `scheduler.schedule`, RxJS operators given the scheduler): virtual in
 *   marble tests, so time is a value the test sets, never a sleep.
 * - **Anything stored or shown as a date reads `ctx.wallClock()`** (epoch ms): the process's
 *   clock in a pipeline, the scheduler's in tests. `ctx.clock()` is the monotonic clock for
 *   `receivedAt` and latency only.
 * - **Nothing in src/ reads the system clock** (`Date.now`, `new Date()`) except the process
 *   edges: the CLI, which injects it, and the resources' watchdog process.
 *   `scripts/clockRule.test.ts` enforces it.
 */
import type { Observable, OperatorFunction, SchedulerLike } from 'rxjs';
import type { z } from 'zod';
import type { CommandFlowHooks } from './commandFlow.js';
import type { ChatflowEvent } from './events.js';
import type { SourceFlow } from './flow.js';
import type { HttpHost } from './http.js';
import type { Logger } from './logger.js';
import type { MetricRoles, NodeMetrics, SourceHealth } from './metrics.js';
import type { NodeState } from './nodeState.js';
import type { PipelineView } from './pipelineView.js';
import type { Provided, Services } from './services.js';
import type { SinkDriverSettings } from './sinkDriverConfig.js';
import type { TwitchScopeNeed } from './twitchAuth.js';
import type { VariableDeclaration } from './variables.js';

/** Shared, process-wide services a component may use (filled in by the runtime). */
export interface Resources {
  /** Directory of the pipeline file, against which relative paths resolve. */
  readonly baseDir: string;
  /** Instance id of this process, for metrics and registries. */
  readonly instance: string;
  /**
   * The process's one HTTP server (`server` of pipeline.yaml), not listening yet while
   * components are created: add routes in `create()`. Absent in unit tests and benchmarks.
   */
  readonly http?: HttpHost;
  /** PostgreSQL for history (`resources.postgres`); absent when off or unavailable. */
  readonly postgres?: { readonly url: string };
  /** Redis for state and shared limits (`resources.redis`); absent when off or unavailable. */
  readonly redis?: { readonly url: string };
  /**
   * The running pipeline, read-only (filled by the runtime): its graph and every node's live
   * metrics, for the dashboard's graph view and `/health`.
   */
  readonly pipeline?: PipelineView;
  /**
   * Services only some components use, by typed key (core/services.ts): e.g. `CONTROL_BUS`
   * (the dashboard's moderator actions) and `RESTORED_VARIABLES` (a definition's `prepare`),
   * both read by `control`.
   */
  readonly services?: Services;
  /**
   * Where readable output lines go (the `console` sink): in a terminal with a status line, the
   * CLI's terminal writer, so a line never shares the status line's row; default stdout.
   */
  readonly stdout?: NodeJS.WritableStream;
}

/** Everything a factory gets besides its parsed config. */
export interface ComponentContext {
  /** The node id from pipeline.yaml. */
  readonly id: string;
  /** `root.child({ component: id, kind, type })`. */
  readonly logger: Logger;
  /** Time for operators and timers; a TestScheduler in marble tests. */
  readonly scheduler: SchedulerLike;
  /** Monotonic clock in ms (performance.now) for `receivedAt` stamps. */
  readonly clock: () => number;
  /**
   * Wall time in epoch ms, for what is stored or shown as a date (a row's timestamp, an id's
   * stem): the process's clock in a pipeline, the scheduler's in tests. Never the system clock directly.
   */
  readonly wallClock: () => number;
  /** This node's metrics: count drops with `metrics.drop(reason, intentional)`. */
  readonly metrics: NodeMetrics;
  readonly resources: Resources;
  /** Sources report their connection state here. */
  readonly setHealth: (health: SourceHealth) => void;
  /**
   * State the runtime keeps for this node across restarts of its stream (`create` is called
   * again on each restart): `ctx.state.get(key, init)`.
   */
  readonly state: NodeState;
  /**
   * Sources whose definition is `pausable`: read `flow.paused` before each event and wait for
   * `flow.onResume` while it is set (core/flow.ts). Absent outside a pipeline and for other
   * nodes; a source treats absent as never paused.
   */
  readonly flow?: SourceFlow;
}

/** An event sent to a named output port; `port: ''` is the node's default output. */
export interface Routed {
  readonly port: string;
  readonly event: ChatflowEvent;
}

/** The object schema of a component's config (strict, every field described). */
// biome-ignore lint/suspicious/noExplicitAny: components' own config types vary.
export type ConfigSchema = z.ZodObject<any, z.core.$strict>;

/** A storage server (`resources.redis`, `resources.postgres`). */
export type ResourceKind = 'redis' | 'postgres';

/** What a definition's `prepare` gets: the storage servers that are available. */
export interface PrepareContext {
  readonly redis?: { readonly url: string };
  readonly postgres?: { readonly url: string };
  readonly logger: Logger;
}

interface DefinitionBase<S extends ConfigSchema> {
  /** YAML `type`, snake_case, written out literally. */
  readonly type: string;
  /** One sentence for the reference and `--help`. */
  readonly summary: string;
  /** Longer docs for the reference (Markdown). */
  readonly description?: string;
  readonly config: S;
  /** YAML snippets of the node's own keys; each must parse through `config`. */
  readonly examples: readonly string[];
  // Facts the runtime, the server and other components read instead of knowing type names:
  /** The storage servers a node with this config uses; a run starts or connects only those. */
  readonly needs?: (config: z.output<S>) => readonly ResourceKind[];
  /**
   * Runs once per enabled node when storage is up, before any component is created (they are
   * created synchronously): what it returns goes into `resources.services`.
   */
  readonly prepare?: (config: z.output<S>, ctx: PrepareContext) => Promise<readonly Provided[]>;
  /** What some of its counters mean (rate-limited drops, refused commands, command ports). */
  readonly metricRoles?: MetricRoles;
  /** The control variables a node with this config declares (shown by the overlay). */
  readonly variables?: (config: z.output<S>) => readonly VariableDeclaration[];
  /**
   * The Twitch scopes a node with this config needs (what it reads, what it sends), for
   * `chatflow auth twitch` and `--check`. A node that declares any gets the `TWITCH_AUTH`
   * service (core/twitchAuth.ts) in `resources.services`.
   */
  readonly scopes?: (config: z.output<S>) => readonly TwitchScopeNeed[];
}

export interface SourceDefinition<S extends ConfigSchema = ConfigSchema> extends DefinitionBase<S> {
  readonly kind: 'source';
  /**
   * The source can hold back without losing anything (synthetic or recorded chat, a queue it
   * reads at its own pace): the runtime pauses it through `ctx.flow` while a blocking sink it
   * feeds is congested. Live chat (Twitch, Kick) cannot wait and leaves this unset.
   */
  readonly pausable?: boolean;
  /**
   * Whether it may emit command events (a replayed recording's), which validate cannot know of:
   * a `control` it reaches is then never warned of variables nothing sets. Left out: chat and
   * platform events only.
   */
  readonly emitsCommands?: boolean;
  /** A cold Observable: connects on subscribe, cleans up on unsubscribe. */
  readonly create: (config: z.output<S>, ctx: ComponentContext) => Observable<ChatflowEvent>;
}

/** What every operator may declare besides its factory. */
interface OperatorBase<S extends ConfigSchema> extends DefinitionBase<S> {
  readonly kind: 'operator';
  /** What `validate` can know of the commands it emits and drops (see core/commandFlow.ts). */
  readonly commandFlow?: CommandFlowHooks<z.output<S>>;
}

export interface SingleOperatorDefinition<S extends ConfigSchema = ConfigSchema> extends OperatorBase<S> {
  readonly ports?: undefined;
  readonly create: (
    config: z.output<S>,
    ctx: ComponentContext,
  ) => OperatorFunction<ChatflowEvent, ChatflowEvent>;
}

export interface PortedOperatorDefinition<S extends ConfigSchema = ConfigSchema> extends OperatorBase<S> {
  /** The named output ports for a config (`_`-prefixed ones are side channels). */
  readonly ports: (config: z.output<S>) => readonly string[];
  /**
   * When true, every event sent to a named port that does not start with `_` also goes to the
   * default port, so `inputs: [cmds]` means "every command"; a list: only those ports' events do.
   */
  readonly mirrorToDefault?: boolean | readonly string[];
  /**
   * The side ports (`_…`) this config fills on purpose, each with what is lost when it is left
   * unread (a clause of validate's `dead_end_port` warning). Other side ports are optional.
   */
  readonly wantedPorts?: (config: z.output<S>) => readonly { readonly port: string; readonly lost: string }[];
  /** Named ports this config may leave unread without losing anything (a command its reply answers). */
  readonly optionalPorts?: (config: z.output<S>) => readonly string[];
  readonly create: (config: z.output<S>, ctx: ComponentContext) => OperatorFunction<ChatflowEvent, Routed>;
}

export type OperatorDefinition<S extends ConfigSchema = ConfigSchema> =
  | SingleOperatorDefinition<S>
  | PortedOperatorDefinition<S>;

/** An I/O object that knows nothing of RxJS; the sink driver batches, buffers and retries. */
export interface Sink<E = ChatflowEvent> {
  /** Connect. A throw is retried by the driver with backoff. */
  start?(): Promise<void>;
  /**
   * Write one batch. Throw `NotConnectedError` (or anything) to have the batch retried,
   * `SinkWriteError` to have it dropped at once. May return synchronously.
   */
  write(batch: readonly E[]): void | Promise<void>;
  /** Called at shutdown after the driver has written everything it held. */
  flush?(): Promise<void>;
  /** Disconnect; idempotent. */
  stop?(): Promise<void>;
  /** The key for `when_full: latest_per_key`; the driver's default keys by variable/metric. */
  keyOf?(event: E): string;
  /** Receives each batch the driver gives up on (after the retries), e.g. to a dead-letter file. */
  deadLetter?(batch: readonly E[], err: Error): void | Promise<void>;
}

/** One unit a sink sends (a datagram, a wire message, a row, a line), as JSON-able data. */
export type PreviewOutput = Readonly<Record<string, unknown>>;

/** How a preview hands over one unit it would send. */
export type PreviewEmit = (output: PreviewOutput) => void;

/**
 * What a sink would send, computed by the sink's own encoding code with no I/O: the `preview`
 * fact of a {@link SinkDefinition}. The virtual-time harness (src/testing/) gives it each batch
 * the sink driver writes; it calls `emit` once per unit the real sink would send, at the
 * moment it would send it (synchronously from `write`, or later from a timer on
 * `ctx.scheduler`, as `osc` does when `max_rate` holds a value back).
 */
export interface SinkPreview<E = ChatflowEvent> {
  /** Like {@link Sink.write}; may return a promise, which the harness settles in virtual time. */
  write(batch: readonly E[]): void | PromiseLike<void>;
  /** Shutdown: emits what the sink sends when it stops (osc: the safe defaults). */
  stop?(): void | PromiseLike<void>;
  /** The sink's `keyOf`, for `when_full: latest_per_key`. */
  keyOf?(event: E): string;
}

export interface SinkDefinition<S extends ConfigSchema = ConfigSchema> extends DefinitionBase<S> {
  readonly kind: 'sink';
  /** This sink's defaults for the driver's `buffer`, `batch`, `retry` and `flush_timeout`. */
  readonly driver?: Partial<SinkDriverSettings>;
  readonly create: (config: z.output<S>, ctx: ComponentContext) => Sink;
  /**
   * What the sink would send, without I/O (see {@link SinkPreview}): the same encoding as
   * `create`'s sink (osc: the address and arguments as encoded, after `max_rate` coalescing;
   * overlay: the wire messages; postgres: `{ table, row }`; …), each unit given to `emit`
   * as JSON-able data. It may count drops on `ctx.metrics` as the real sink would. Needs no
   * resource (`ctx.resources` has no HTTP server, Redis or PostgreSQL when it is called).
   * Every shipped sink has one (src/sinks/previews.test.ts); a sink without it cannot run in
   * virtual time.
   */
  readonly preview?: (config: z.output<S>, ctx: ComponentContext, emit: PreviewEmit) => SinkPreview;
}

export type ComponentDefinition = SourceDefinition | OperatorDefinition | SinkDefinition;

/**
 * Whether the events a ported operator sends to `port` also reach its default output, by its
 * `mirrorToDefault`: every port not starting with `_` (true), the ports listed, or none.
 */
export function mirrorsToDefault(mirrorToDefault: boolean | readonly string[] | undefined, port: string): boolean {
  if (mirrorToDefault === true) return port.charCodeAt(0) !== 95 /* _ */;
  return mirrorToDefault !== undefined && mirrorToDefault !== false && mirrorToDefault.includes(port);
}

export function defineSource<S extends ConfigSchema>(
  def: Omit<SourceDefinition<S>, 'kind'>,
): SourceDefinition<S> {
  return { kind: 'source', ...def };
}

export function defineOperator<S extends ConfigSchema>(
  def: Omit<SingleOperatorDefinition<S>, 'kind'>,
): SingleOperatorDefinition<S>;
export function defineOperator<S extends ConfigSchema>(
  def: Omit<PortedOperatorDefinition<S>, 'kind'>,
): PortedOperatorDefinition<S>;
export function defineOperator<S extends ConfigSchema>(
  def: Omit<SingleOperatorDefinition<S>, 'kind'> | Omit<PortedOperatorDefinition<S>, 'kind'>,
): OperatorDefinition<S> {
  return { kind: 'operator', ...def } as OperatorDefinition<S>;
}

export function defineSink<S extends ConfigSchema>(def: Omit<SinkDefinition<S>, 'kind'>): SinkDefinition<S> {
  return { kind: 'sink', ...def };
}
