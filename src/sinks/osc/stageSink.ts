/**
 * The `osc` sink with its output stage off the main event loop (`thread: worker`, the default
 * in a real run): this side renders each event into a target (address, arguments, a slew to
 * run) and posts it to a worker thread, which paces, interpolates slews on its own step
 * clock, encodes and sends (stage/worker.ts). Counts, receiver states and send errors come
 * back from the worker and are reported here, as the main-thread sink reports them.
 *
 * **Direct sends.** A plain value (no slew, no beat, not a default, not held back by `max_rate`)
 * of a key the stage holds nothing of goes out from this thread at once, on sockets of its own
 * ({@link Links}): handing it to the stage would wake the stage's real-time thread, which
 * then runs on this thread's core until it has sent (measured: 0.1 ms per value at the median,
 * 0.5 ms at p99, against 0.016 / 0.15 ms for a thread of normal priority), so a burst of
 * commands waited for one another there. A key is the stage's from the moment a target of it
 * is posted until the stage says it holds nothing of it (`idle`, with the sequence number of
 * the newest target it had): until then its values go through the stage, in order, so a stale
 * value never goes out after a fresh one. `max_rate` paces both: the stage reports its last
 * send of a key, and a target posted because of the pace carries this side's last send. With
 * `timetag` or `bundle`, everything goes through the stage.
 *
 * An `on_beat` change that `control` announces before its beat (`DUE_CHANGES`) is posted at
 * once with its due time, moved onto this thread's `performance.now()` ({@link ClockMapper});
 * the stage sends it at that time on its own clock. When the same event reaches `write` at the
 * beat it adds nothing; a withdrawn one is withdrawn from the stage.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { setBounded } from '../../core/boundedMap.js';
import type { Sink } from '../../core/component.js';
import { NotConnectedError, toError } from '../../core/errors.js';
import type { DueChanges } from '../../core/dueChanges.js';
import type { ChatflowEvent, ControlEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { ClockMapper } from './clockOffset.js';
import { DEFAULT_TARGET, type OscConfig } from './config.js';
import { OscEncoder } from './encoding.js';
import type { OscMetrics } from './osc.js';
import { MessageRenderer } from './render.js';
import { type FromStage, STAGE_DROPS, type StageInit, type StageTarget, type ToStage } from './stage/protocol.js';
import type { StagePriority } from './stage/priority.js';
import { hrtimeAtPerfZero } from './stage/hrtimeOrigin.js';
import { type LinkEvents, Links } from './stage/links.js';
import { startStageWorker } from './stage/spawn.js';
import { type OscTarget, parseTarget } from './target.js';

/** Control origins whose value is the variable's default. */
const DEFAULT_ORIGINS: ReadonlySet<string> = new Set(['default', 'panic', 'reset']);
/** How long `stop` waits for the worker to confirm the defaults left, ms. */
const STOP_TIMEOUT_MS = 2000;
/** Most keys whose last direct send is remembered for `max_rate` (the oldest go). */
const MAX_PACED_KEYS = 10_000;

export interface OscStageDeps {
  /** Clock of slew bookkeeping (what is left of a slew); default {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  readonly metrics?: OscMetrics;
  readonly logger?: Logger;
  /** Epoch ms, for timetags (the context's wall clock). */
  readonly wallClock?: () => number;
  /** Changes announced before their beat (`DUE_CHANGES`); without it every change goes when it arrives. */
  readonly due?: DueChanges;
  /**
   * Whether control node `node`'s default port is an input of this sink (so its changes reach
   * `write` as they were announced); asked at each announcement, so a reload's rewiring counts.
   */
  readonly feeds?: (node: string) => boolean;
}

/** The output stage's thread, as it reported itself. */
export interface StageThread {
  readonly tid: number | undefined;
  readonly priority: StagePriority;
}

/** What the main side turns one event into, before sequencing; undefined when it adds nothing. */
export type TargetDraft = Omit<StageTarget, 'seq'>;

/**
 * Turns events into stage targets. A control event of a slew (it carries control's `ramp`)
 * becomes one target that runs the slew in the stage, and its later steps add nothing: the
 * stage interpolates at `control_rate` itself. Without a `{{ value }}` argument there is
 * nothing to interpolate, so each step goes out as it comes.
 */
export class TargetMaker {
  readonly renderer: MessageRenderer;
  readonly #stepMs: (variable: string) => number;
  readonly #scheduler: SchedulerLike;
  /** The slew each key is in, by ramp id. */
  readonly #ramps = new Map<string, string>();

  constructor(config: Pick<OscConfig, 'address' | 'args' | 'control_rate' | 'control_rates'>, scheduler: SchedulerLike) {
    this.renderer = new MessageRenderer(config);
    this.#scheduler = scheduler;
    const base = config.control_rate.periodMs / config.control_rate.count;
    const per = new Map(Object.entries(config.control_rates).map(([name, r]) => [name, r.periodMs / r.count]));
    this.#stepMs = (variable) => per.get(variable) ?? base;
  }

  /** The draft for `event`; `invalid` when an argument is not a number; `undefined` for a step of a running slew. */
  make(event: ChatflowEvent): TargetDraft | 'invalid' | undefined {
    const outgoing = this.renderer.build(event);
    if (outgoing === undefined) return 'invalid';
    const { key, message, urgent } = outgoing;
    const control = event.kind === 'control' ? (event as ControlEvent) : undefined;
    const defaults: StageTarget['defaults'] =
      control && DEFAULT_ORIGINS.has(control.origin) ? 'learn' : control?.origin === 'retired' ? 'forget' : undefined;
    const draft = { key, address: message.address, values: message.values, urgent, ...(defaults ? { defaults } : {}) };
    const ramp = control?.ramp;
    if (!ramp || this.renderer.valueIndexes.length === 0) {
      this.#ramps.delete(key);
      return draft;
    }
    if (this.#ramps.get(key) === ramp.id) return undefined;
    this.#ramps.set(key, ramp.id);
    const elapsed = Math.max(0, this.#scheduler.now() - ramp.startTs);
    return {
      ...draft,
      ramp: { id: ramp.id, from: ramp.from, to: ramp.to, ms: ramp.ms, elapsed, stepMs: this.#stepMs(control.variable) },
    };
  }
}

/**
 * The `osc` sink whose sending happens in a worker thread. Same config, drops, logs and
 * defaults-at-stop as {@link OscSink}; `stop()` resolves once the worker has sent every
 * default and its datagrams have left the sockets.
 */
export class OscStageSink implements Sink<ChatflowEvent> {
  readonly targets: readonly OscTarget[];
  readonly #id: string;
  readonly #config: OscConfig;
  readonly #metrics: OscMetrics;
  readonly #log: Logger;
  readonly #wallClock: () => number;
  readonly #maker: TargetMaker;
  readonly #wake = new SharedArrayBuffer(4);
  readonly #wakeView = new Int32Array(this.#wake);
  readonly #states: Array<'unknown' | 'answering' | 'absent'>;
  /** The worker, once started (undefined when it could not be). */
  #worker: Promise<Worker | undefined> | undefined;
  #port: MessagePort | undefined;
  #running = false;
  #seq = 0;
  #sent = 0;
  #sentDirect = 0;
  #failing = false;
  #stopping: Promise<void> | undefined;
  #onStopped: ((defaults: number) => void) | undefined;
  #stage: StageThread | undefined;
  readonly #due: DueChanges | undefined;
  readonly #feeds: (node: string) => boolean;
  readonly #clock: ClockMapper;
  /** Announced changes posted to the stage, with their key and sequence (for `write` and a withdrawal). */
  #early = new WeakMap<ControlEvent, { readonly key: string; readonly seq: number }>();
  #unlisten: (() => void) | undefined;
  /** Sockets of the direct sends; undefined until open, and with `timetag`/`bundle` (see above). */
  #direct: Links | undefined;
  #opening: Promise<void> | undefined;
  readonly #plain: boolean;
  readonly #intervalMs: number;
  readonly #encoder: OscEncoder;
  readonly #scheduler: SchedulerLike;
  /** Keys the stage holds something of, with the sequence number of the newest target posted. */
  readonly #busy = new Map<string, number>();
  /** `performance.now()` of each key's last send (this side's, or the stage's once idle), when paced. */
  readonly #lastSent = new Map<string, number>();

  constructor(id: string, config: OscConfig, deps: OscStageDeps = {}) {
    this.#id = id;
    this.#config = config;
    const scheduler = deps.scheduler ?? asyncScheduler;
    this.#metrics = deps.metrics ?? { drop: () => {}, error: () => {}, gauge: () => {} };
    this.#log = deps.logger ?? silentLogger();
    this.#wallClock = deps.wallClock ?? (() => scheduler.now());
    const texts = config.targets ?? [config.target ?? DEFAULT_TARGET];
    this.targets = [...new Set(texts.map((t) => t.trim()))].map((text) => parseTarget(text) as OscTarget);
    this.#states = this.targets.map(() => 'unknown');
    this.#maker = new TargetMaker(config, scheduler);
    this.#due = deps.due;
    this.#feeds = deps.feeds ?? (() => false);
    this.#clock = new ClockMapper(() => scheduler.now());
    this.#scheduler = scheduler;
    this.#plain = config.timetag === 'off' && config.bundle === undefined;
    this.#intervalMs = config.max_rate === 'off' ? 0 : config.max_rate.periodMs / config.max_rate.count;
    this.#encoder = new OscEncoder(this.#maker.renderer.types);
  }

  /** The stage's thread once it runs: its kernel id (Linux) and the scheduling it got (stage/priority.ts). */
  get stage(): StageThread | undefined {
    return this.#stage;
  }

  /** Datagrams the operating system accepted, as last reported by the stage, and those sent from this thread. */
  get sent(): number {
    return this.#sent;
  }

  /** Keys the stage holds something of (a slew, a held change, a paced value, or not yet said idle). */
  get heldByStage(): number {
    return this.#busy.size;
  }

  /** Of {@link sent}, the datagrams sent from this thread (see "Direct sends" above). */
  get sentDirect(): number {
    return this.#sentDirect;
  }

  /** What the stage knows of each target's receiver, in `targets` order. */
  receivers(): { readonly target: string; readonly state: 'unknown' | 'answering' | 'absent' }[] {
    return this.targets.map((t, i) => ({ target: targetName(t), state: this.#states[i] ?? 'unknown' }));
  }

  keyOf(event: ChatflowEvent): string {
    return this.#maker.renderer.build(event)?.key ?? `invalid:${event.kind}`;
  }

  /**
   * Starts the worker, which then opens its sockets. Resolves at once: values written before
   * the worker runs wait in its port, in order, so nothing is lost to the worker's start (a
   * default at start above all). A target the worker cannot reach (an unknown host) is
   * reported when it says so; the next write then throws {@link NotConnectedError}, and the
   * driver starts it again.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#stopping = undefined;
    this.#stage = undefined;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#running = true;
    port1.on('message', (m: FromStage) => this.#onMessage(m));
    this.#post({ t: 'start' });
    this.#worker = startStageWorker(this.#init(), port2).then(
      (worker) => {
        worker.on('error', (err) => this.#onWorkerGone(err));
        return worker;
      },
      (err: unknown) => {
        this.#onWorkerGone(toError(err));
        return undefined;
      },
    );
    this.#metrics.gauge('no_receiver', 0);
    // What a previous worker held died with it: those changes go as they arrive.
    this.#early = new WeakMap();
    this.#busy.clear();
    if (this.#plain && this.#direct === undefined) this.#opening ??= this.#openDirect();
    this.#unlisten?.();
    // Spent once here rather than on the hot path of the first change announced.
    if (this.#due !== undefined) this.#clock.measure();
    this.#unlisten = this.#due?.listen({
      due: (node, change, dueAt) => this.#announce(node, change, dueAt),
      withdrawn: (_node, change) => this.#withdraw(change),
    });
    this.#log.info({ targets: this.targets.map(targetName), thread: 'worker' }, 'Sending OSC.');
  }

  write(batch: readonly ChatflowEvent[]): void {
    if (!this.#running) throw new NotConnectedError(this.#id);
    const list: StageTarget[] = [];
    for (const event of batch) {
      // Already with the stage since it was announced, which sends it at its beat.
      if (event.kind === 'control' && this.#early.delete(event)) continue;
      const draft = this.#maker.make(event);
      if (draft === 'invalid') {
        this.#metrics.drop('invalid_argument', false);
        continue;
      }
      if (draft === undefined) continue;
      const seq = ++this.#seq;
      const now = performance.now();
      if (this.#sendsDirect(draft, now)) this.#sendDirect(draft, now);
      else list.push(this.#toStage(draft, seq));
    }
    if (list.length > 0) this.#post({ t: 'targets', list });
  }

  /** Whether `draft` goes out from here now (see "Direct sends" above). */
  #sendsDirect(draft: TargetDraft, now: number): boolean {
    if (this.#direct === undefined || draft.ramp !== undefined || draft.defaults !== undefined || this.#busy.has(draft.key)) {
      return false;
    }
    if (this.#intervalMs === 0 || draft.urgent) return true;
    const last = this.#lastSent.get(draft.key);
    return last === undefined || now - last >= this.#intervalMs;
  }

  #sendDirect(draft: TargetDraft, now: number): void {
    this.#direct?.send(this.#encoder.encode(draft.address, draft.values));
    if (this.#intervalMs > 0) this.#sentAt(draft.key, now);
  }

  /** The target for the stage; its key is the stage's until it says otherwise. */
  #toStage(draft: TargetDraft, seq: number, dueAt?: number): StageTarget {
    this.#busy.set(draft.key, seq);
    const sentAt = this.#intervalMs > 0 ? this.#lastSent.get(draft.key) : undefined;
    return { ...draft, seq, ...(dueAt === undefined ? {} : { dueAt }), ...(sentAt === undefined ? {} : { sentAt }) };
  }

  #sentAt(key: string, at: number): void {
    if (at > (this.#lastSent.get(key) ?? Number.NEGATIVE_INFINITY)) setBounded(this.#lastSent, key, at, MAX_PACED_KEYS);
  }

  async #openDirect(): Promise<void> {
    const events: LinkEvents = {
      sent: () => {
        this.#sentDirect += 1;
        this.#counted(1);
      },
      drop: (reason) => this.#metrics.drop(reason, STAGE_DROPS[reason] ?? false),
      sendError: (message, code) => this.#onMessage({ t: 'sendError', message, code }),
      receiver: (index, state) => this.#onMessage({ t: 'receiver', index, state }),
    };
    try {
      const links = await Links.open(this.targets, this.#scheduler, events);
      if (this.#running) this.#direct = links;
      else await links.close();
    } catch (err) {
      // The stage reports a target it cannot reach; meanwhile every value goes through it.
      this.#log.debug({ err }, 'OSC direct sockets not opened; values go through the output stage.');
    } finally {
      this.#opening = undefined;
    }
  }

  /** Posts an announced change with its due time, if it will reach this sink through its input. */
  #announce(node: string, change: ControlEvent, dueAt: number): void {
    if (!this.#running || !this.#feeds(node)) return;
    const draft = this.#maker.make(change);
    // Invalid: left to `write`, which counts it when it arrives.
    if (draft === 'invalid' || draft === undefined || draft.ramp !== undefined) return;
    const seq = ++this.#seq;
    this.#early.set(change, { key: draft.key, seq });
    this.#post({ t: 'targets', list: [this.#toStage(draft, seq, this.#clock.toPerf(dueAt))] });
  }

  #withdraw(change: ControlEvent): void {
    const early = this.#early.get(change);
    if (early === undefined) return;
    this.#early.delete(change);
    this.#post({ t: 'withdraw', key: early.key, seq: early.seq });
  }

  /** Sends every known default from the stage, waits until they left, then ends the worker. Idempotent. */
  stop(): Promise<void> {
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    // The defaults go from the stage after every value sent from here has left: no direct send
    // from now on (values written meanwhile go through the stage, before its defaults).
    const direct = this.#direct;
    this.#direct = undefined;
    await this.#opening;
    // Opened while stopping: closed unused.
    const late = this.#direct as Links | undefined;
    this.#direct = undefined;
    await direct?.settled();
    await Promise.all([direct?.close(), late?.close()]);
    const worker = await this.#worker;
    this.#worker = undefined;
    if (!worker || !this.#running) {
      this.#running = false;
      this.#port?.close();
      this.#port = undefined;
      await worker?.terminate();
      return;
    }
    this.#running = false;
    const stopped = new Promise<number>((resolve) => {
      this.#onStopped = resolve;
      const timer = setTimeout(() => resolve(-1), STOP_TIMEOUT_MS);
      timer.unref();
      // The worker posts `stopped` and exits at once: its exit may be seen before the message
      // is, so read what is still on the port first.
      worker.once('exit', () => {
        this.#drainPort();
        resolve(-1);
      });
    });
    this.#post({ t: 'stop' });
    const defaults = await stopped;
    if (defaults >= 0) this.#log.info({ defaults, targets: this.targets.map(targetName) }, 'Sent safe defaults.');
    else this.#log.warn({ targets: this.targets.map(targetName) }, 'OSC output stage did not confirm the safe defaults.');
    this.#port?.close();
    this.#port = undefined;
    await worker.terminate();
  }

  #post(message: ToStage): void {
    this.#port?.postMessage(message);
    // Wakes the stage if it is waiting for a step, so the value is not held back by the wait.
    Atomics.add(this.#wakeView, 0, 1);
    Atomics.notify(this.#wakeView, 0);
  }

  /** Datagrams sent (by the stage or from here); the first after failures says they recovered. */
  #counted(sent: number): void {
    this.#sent += sent;
    if (sent > 0 && this.#failing) {
      this.#failing = false;
      this.#log.info({ sent: this.#sent }, 'OSC sends recovered.');
    }
  }

  #onMessage(m: FromStage): void {
    switch (m.t) {
      case 'counts':
        for (const [reason, count] of Object.entries(m.drops)) {
          this.#metrics.drop(reason, STAGE_DROPS[reason] ?? false, count);
        }
        this.#counted(m.sent);
        return;
      case 'receiver': {
        // The stage's sockets and the direct ones watch the same receiver: each change once.
        if (this.#states[m.index] === m.state) return;
        this.#states[m.index] = m.state;
        this.#metrics.gauge('no_receiver', this.#states.filter((s) => s === 'absent').length);
        const target = targetName(this.targets[m.index] as OscTarget);
        if (m.state === 'absent') {
          this.#log.warn(
            { target },
            'No OSC receiver answers on the target (port unreachable); values are dropped until one does.',
          );
        } else this.#log.info({ target }, 'OSC receiver answering.');
        return;
      }
      case 'sendError':
        if (this.#failing) return;
        this.#failing = true;
        this.#metrics.error(Object.assign(new Error(m.message), { code: m.code }));
        this.#log.warn({ err: { message: m.message, code: m.code } }, 'OSC send failed; values are dropped, not retried.');
        return;
      case 'started':
        this.#stage = { tid: m.tid, priority: m.priority };
        this.#log.info({ priority: m.priority }, 'OSC output stage running.');
        return;
      case 'failed':
        // The worker could not open its sockets: the next write throws, the driver retries.
        this.#running = false;
        this.#log.warn({ err: { message: m.message, code: m.code }, targets: this.targets.map(targetName) }, 'OSC target cannot be reached; will retry.');
        void this.#retire();
        return;
      case 'stopped':
        this.#onStopped?.(m.defaults);
        return;
      case 'idle':
        if (this.#busy.get(m.key) !== m.seq) return;
        this.#busy.delete(m.key);
        if (m.sentAt !== undefined && this.#intervalMs > 0) this.#sentAt(m.key, m.sentAt);
        return;
      default:
        return;
    }
  }

  /** Handles, now, every message the stage posted that the event loop has not delivered yet. */
  #drainPort(): void {
    const port = this.#port;
    if (port === undefined) return;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) this.#onMessage(m.message as FromStage);
  }

  /** The worker died (a bug, out of memory): the next write throws, so the driver starts it again. */
  #onWorkerGone(err: Error): void {
    if (!this.#running) return;
    this.#running = false;
    this.#metrics.error(err);
    this.#log.error({ err }, 'OSC output stage failed; restarting it.');
    void this.#retire();
  }

  /** Ends a worker that is of no more use (its port closed, the thread terminated). */
  async #retire(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#port?.close();
    this.#port = undefined;
    await (await worker)?.terminate();
  }

  #init(): StageInit {
    const config = this.#config;
    const renderer = this.#maker.renderer;
    const configured = Object.entries(config.defaults).flatMap(([variable, value]) => {
      const event: ControlEvent = { kind: 'control', variable, value, previous: value, origin: 'default', ts: 0, receivedAt: 0 };
      const out = renderer.build(event);
      return out ? [{ key: out.key, address: out.message.address, values: out.message.values }] : [];
    });
    const hb = config.heartbeat;
    return {
      targets: this.targets,
      types: renderer.types,
      valueIndexes: renderer.valueIndexes,
      configured,
      intervalMs: config.max_rate === 'off' ? 0 : config.max_rate.periodMs / config.max_rate.count,
      timetagMs: config.timetag === 'off' ? 0 : config.timetag,
      bundleDelayMs: config.bundle?.delay,
      heartbeat: hb ? { address: hb.address, intervalMs: hb.interval } : undefined,
      wallAtMs: this.#wallClock() - performance.now(),
      hrtimeNs: hrtimeAtPerfZero(),
      wake: this.#wake,
    };
  }
}

/** `host:port`, `[v6]:port`. */
function targetName(t: OscTarget): string {
  return t.family === 'udp6' ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
