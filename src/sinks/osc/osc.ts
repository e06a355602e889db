/**
 * `osc`: control values to a synth (Max/MSP, Pure Data, VCV Rack) as OSC messages over UDP,
 * the newest value per address first, at a bounded rate, with safe defaults on panic and at
 * shutdown.
 */
import { createSocket, type Socket } from 'node:dgram';
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { setBounded } from '../../core/boundedMap.js';
import type { Sink } from '../../core/component.js';
import { NotConnectedError, toError } from '../../core/errors.js';
import type { ChatflowEvent, ControlEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { isRefused, ReceiverWatch } from './receiverWatch.js';
import { Coalescer } from './coalesce.js';
import { encodeBundle, groupForBundles, IMMEDIATELY, ntpTimeTag, OscEncoder, type OscMessage } from './encoding.js';
import { MessageRenderer, type Outgoing } from './render.js';
import { type OscTarget, parseTarget } from './target.js';
import { DEFAULT_TARGET, type OscConfig } from './config.js';


/** Where the sink counts drops, errors and gauges; a node's `NodeMetrics` fits. */
export interface OscMetrics extends DropCounter {
  error(err?: unknown): void;
  /** `no_receiver`: targets where nothing answers now. */
  gauge(name: string, value: number): void;
}

/** Collaborators of {@link OscSink}. */
export interface OscDeps {
  /** Clock and timers of `max_rate` and the heartbeat; default {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /**
   * Where `superseded`, `invalid_argument`, `no_receiver` and `send_failed` drops, real send
   * errors and the `no_receiver` gauge are counted.
   */
  readonly metrics?: OscMetrics;
  readonly logger?: Logger;
  /** Epoch milliseconds for bundle timetags (the context's wall clock); default the scheduler's `now()`. */
  readonly wallClock?: () => number;
  /** Makes one target's UDP socket; default `dgram.createSocket`. */
  readonly createSocket?: (family: 'udp4' | 'udp6') => Socket;
  /**
   * Preview mode (the definition's `preview`): every datagram the sink would send, once
   * (not once per target), is handed here instead, and no socket is ever opened.
   */
  readonly capture?: (packet: Buffer) => void;
}

/** Largest bundle: below a 1500-byte Ethernet MTU, so it is never fragmented. */
const MAX_BUNDLE_BYTES = 1400;
/** Most learned defaults kept (the oldest is forgotten past it). */
const MAX_DEFAULTS = 10_000;
/** After a failed send, sends count as recovered once none has failed for this long (ms). */
const RECOVERY_MS = 5000;
/**
 * A receiver counts as answering when no "port unreachable" came back this long after a
 * datagram (ms). Longer than a round trip, and than the gap between two ICMP errors of a host
 * that rate-limits them (Linux: about one a second per peer, loopback excepted), so a host
 * with nothing listening never reads as answering between two of its errors.
 */
const CONFIRM_MS = 3000;
/** Control origins whose value is the variable's default. */
const DEFAULT_ORIGINS: ReadonlySet<string> = new Set(['default', 'panic', 'reset']);


/** One target's connected socket, its name for logs and what it knows of the receiver. */
interface Link {
  readonly socket: Socket;
  readonly name: string;
  readonly watch: ReceiverWatch;
  /** The send callback of this socket, made once. */
  readonly onSent: (err: Error | null) => void;
}

/**
 * Sends each event as an OSC message to every target over connected UDP sockets: the address
 * and arguments are rendered from the event's fields, chat-provided values escaped. Per
 * address, the newest value wins at `max_rate` ({@link Coalescer}). The sink learns each
 * variable's safe value from `control` events of origin `default`, `panic` and `reset` (and
 * from `defaults`); `stop()` sends all of them and resolves only once every datagram has left
 * the socket, then closes it. `write` is synchronous: an idle sink sends in the same call
 * stack the event arrived in.
 *
 * Drops: `superseded` (intentional: a newer value of the address replaced it, or shutdown
 * did), `invalid_argument` (a numeric argument was not a number), `no_receiver` (intentional:
 * nothing listens on the target's port, which a show without its synth open allows; the
 * operating system said so with ICMP "port unreachable"), `send_failed` (any other refusal by
 * the operating system, counted as an error too). Never retried, since a late control value
 * is a stale one. Whether a receiver answers is said once per change, in one line, and in the
 * `no_receiver` gauge (targets without one); see {@link ReceiverWatch}.
 *
 * @see escapeAddressPart, OscEncoder, Coalescer
 */
export class OscSink implements Sink<ChatflowEvent> {
  /** The receivers. */
  readonly targets: readonly OscTarget[];
  readonly #id: string;
  readonly #config: OscConfig;
  readonly #scheduler: SchedulerLike;
  readonly #metrics: OscMetrics;
  readonly #log: Logger;
  readonly #wallClock: () => number;
  readonly #createSocket: (family: 'udp4' | 'udp6') => Socket;
  readonly #capture: ((packet: Buffer) => void) | undefined;
  /** Preview mode: started (the stand-in for having sockets). */
  #capturing = false;
  readonly #renderer: MessageRenderer;
  readonly #encoder: OscEncoder;
  readonly #coalescer: Coalescer<Outgoing>;
  readonly #learned = new Map<string, OscMessage>();
  readonly #configured = new Map<string, OscMessage>();
  #links: Link[] = [];
  #heartbeat: Subscription | undefined;
  #stopping: Promise<void> | undefined;
  /** While `write` runs with bundles on: the messages to bundle at its end. */
  #collecting: Buffer[] | undefined;
  #inFlight = 0;
  #idle: Array<() => void> = [];
  #failing = false;
  #lastErrorAt = Number.NEGATIVE_INFINITY;
  #sent = 0;
  #onSent(link: Link, err: Error | null): void {
    this.#inFlight -= 1;
    if (err && isRefused(err)) this.#onRefused(link);
    else if (err) this.#onSendError(err);
    else {
      this.#sent += 1;
      link.watch.sent();
      // A send the OS accepted proves little on UDP; recover after a quiet spell only.
      if (this.#failing && this.#scheduler.now() - this.#lastErrorAt >= RECOVERY_MS) {
        this.#failing = false;
        this.#log.info({ sent: this.#sent }, 'OSC sends recovered.');
      }
    }
    if (this.#inFlight === 0 && this.#idle.length > 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
  }

  constructor(id: string, config: OscConfig, deps: OscDeps = {}) {
    this.#id = id;
    this.#config = config;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#metrics = deps.metrics ?? { ...NO_DROPS, error: () => {}, gauge: () => {} };
    this.#log = deps.logger ?? silentLogger();
    this.#wallClock = deps.wallClock ?? (() => this.#scheduler.now());
    this.#createSocket = deps.createSocket ?? ((family) => createSocket(family));
    this.#capture = deps.capture;
    const texts = config.targets ?? [config.target ?? DEFAULT_TARGET];
    const unique = [...new Set(texts.map((t) => t.trim()))];
    this.targets = unique.map((text) => parseTarget(text) as OscTarget);
    this.#renderer = new MessageRenderer(config);
    this.#encoder = new OscEncoder(this.#renderer.types);
    const intervalMs = config.max_rate === 'off' ? 0 : config.max_rate.periodMs / config.max_rate.count;
    this.#coalescer = new Coalescer<Outgoing>(
      { intervalMs, keyOf: (o) => o.key, urgent: (o) => o.urgent },
      this.#scheduler,
      (o) => this.#emit(o.message),
      () => this.#metrics.drop('superseded', true),
    );
    for (const [variable, value] of Object.entries(config.defaults)) {
      const event: ControlEvent = {
        kind: 'control',
        variable,
        value,
        previous: value,
        origin: 'default',
        ts: 0,
        receivedAt: 0,
      };
      const outgoing = this.#build(event);
      if (outgoing) this.#configured.set(outgoing.key, outgoing.message);
    }
  }

  /** Datagrams the operating system accepted, over all targets. */
  get sent(): number {
    return this.#sent;
  }

  /** Messages waiting for their address's `max_rate`. */
  get waiting(): number {
    return this.#coalescer.waiting;
  }

  /** Opens one connected UDP socket per target (a hostname is resolved once, here). */
  async start(): Promise<void> {
    if (this.#links.length > 0 || this.#capturing) return;
    this.#stopping = undefined;
    if (this.#capture) {
      this.#capturing = true;
      const heartbeat = this.#config.heartbeat;
      if (heartbeat) this.#startHeartbeat(heartbeat.address, heartbeat.interval);
      return;
    }
    const links: Link[] = [];
    try {
      for (const t of this.targets) links.push(await this.#connect(t));
    } catch (err) {
      for (const link of links) {
        link.watch.close();
        link.socket.close();
      }
      this.#log.warn({ err, targets: this.#targetNames() }, 'OSC target cannot be reached; will retry.');
      throw new NotConnectedError(this.#id, { cause: err });
    }
    this.#links = links;
    this.#metrics.gauge('no_receiver', 0);
    this.#log.info({ targets: this.#targetNames() }, 'Sending OSC.');
    const heartbeat = this.#config.heartbeat;
    if (heartbeat) this.#startHeartbeat(heartbeat.address, heartbeat.interval);
  }

  write(batch: readonly ChatflowEvent[]): void {
    if (this.#links.length === 0 && !this.#capturing) throw new NotConnectedError(this.#id);
    const bundled = this.#config.bundle !== undefined && batch.length > 1;
    if (bundled) this.#collecting = [];
    try {
      for (const event of batch) {
        const outgoing = this.#build(event);
        if (outgoing === undefined) {
          this.#metrics.drop('invalid_argument', false);
          continue;
        }
        if (event.kind === 'control' && DEFAULT_ORIGINS.has(event.origin)) this.#learn(outgoing);
        // A variable a reload removed got its default now; at shutdown it is no longer there.
        if (event.kind === 'control' && event.origin === 'retired') this.#learned.delete(outgoing.key);
        this.#coalescer.offer(outgoing);
      }
    } finally {
      if (bundled) {
        const collected = this.#collecting ?? [];
        this.#collecting = undefined;
        if (collected.length > 0) this.#sendMessages(collected);
      }
    }
  }

  /**
   * Sends every known default (learned from `control`, then `defaults`, which wins), to every
   * target, once; waits until each datagram has left the socket, then closes the sockets.
   * Values still waiting for `max_rate` are dropped (`superseded`) first, so nothing older
   * can follow a default. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** The key of `latest_per_key` buffering: the address plus any string arguments. */
  keyOf(event: ChatflowEvent): string {
    return this.#build(event)?.key ?? `invalid:${event.kind}`;
  }

  async #stop(): Promise<void> {
    this.#heartbeat?.unsubscribe();
    this.#heartbeat = undefined;
    const dropped = this.#coalescer.cancel();
    if (dropped.length > 0) this.#metrics.drop('superseded', true, dropped.length);
    const links = this.#links;
    if (links.length === 0 && !this.#capturing) return;
    const defaults = new Map(this.#learned);
    for (const [key, message] of this.#configured) defaults.set(key, message);
    const encoded = [...defaults.values()].map((m) => this.#encoder.encode(m.address, m.values));
    if (encoded.length > 0) this.#sendMessages(encoded);
    await this.#settled();
    this.#log.info({ defaults: encoded.length, targets: this.#targetNames() }, 'Sent safe defaults.');
    this.#capturing = false;
    this.#links = [];
    for (const link of links) link.watch.close();
    await Promise.all(links.map((link) => new Promise<void>((resolve) => link.socket.close(() => resolve()))));
  }

  /** Renders an event's message; undefined when a numeric argument is not a number. */
  #build(event: ChatflowEvent): Outgoing | undefined {
    return this.#renderer.build(event);
  }

  #learn(outgoing: Outgoing): void {
    setBounded(this.#learned, outgoing.key, outgoing.message, MAX_DEFAULTS);
  }

  /** A message the coalescer let through: into the bundle being collected, or out now. */
  #emit(message: OscMessage): void {
    const encoded = this.#encoder.encode(message.address, message.values);
    if (this.#collecting) this.#collecting.push(encoded);
    else if (this.#config.bundle) this.#sendMessages([encoded]);
    else this.#sendPacket(encoded);
  }

  /** Sends encoded messages: as bundles when configured, else one datagram each. */
  #sendMessages(encoded: readonly Buffer[]): void {
    const bundle = this.#config.bundle;
    if (!bundle) {
      for (const packet of encoded) this.#sendPacket(packet);
      return;
    }
    const timeTag = bundle.delay > 0 ? ntpTimeTag(this.#wallClock() + bundle.delay) : IMMEDIATELY;
    for (const group of groupForBundles(encoded, MAX_BUNDLE_BYTES)) this.#sendPacket(encodeBundle(timeTag, group));
  }

  #sendPacket(packet: Buffer): void {
    if (this.#capture) {
      this.#sent += 1;
      this.#capture(packet);
      return;
    }
    const links = this.#links;
    for (let i = 0; i < links.length; i++) {
      const link = links[i] as Link;
      this.#inFlight += 1;
      try {
        link.socket.send(packet, link.onSent);
      } catch (err) {
        // A closed socket throws synchronously (ERR_SOCKET_DGRAM_NOT_RUNNING).
        link.onSent(toError(err));
      }
    }
  }

  /** The OS reported that a datagram to `link` reached no receiver. */
  #onRefused(link: Link): void {
    this.#metrics.drop('no_receiver', true);
    link.watch.refused();
  }

  /** A target's receiver appeared or went away: said once per change, without a stack. */
  #onReceiver(name: string, state: 'answering' | 'absent'): void {
    const absent = this.#links.reduce((n, link) => n + (link.watch.state === 'absent' ? 1 : 0), 0);
    this.#metrics.gauge('no_receiver', absent);
    if (state === 'absent') {
      this.#log.warn(
        { target: name },
        'No OSC receiver answers on the target (port unreachable); values are dropped until one does.',
      );
    } else {
      this.#log.info({ target: name }, 'OSC receiver answering.');
    }
  }

  /** What the sink knows of each target's receiver, in `targets` order. */
  receivers(): { readonly target: string; readonly state: 'unknown' | 'answering' | 'absent' }[] {
    const names = this.#targetNames();
    return names.map((target, i) => ({ target, state: this.#links[i]?.watch.state ?? 'unknown' }));
  }

  #onSendError(err: Error): void {
    this.#metrics.drop('send_failed', false);
    this.#lastErrorAt = this.#scheduler.now();
    if (this.#failing) return;
    this.#failing = true;
    this.#metrics.error(err);
    this.#log.warn(
      { err, targets: this.#targetNames() },
      'OSC send failed; values are dropped, not retried.',
    );
  }

  /** Resolves when no datagram is in flight. */
  #settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #connect(t: OscTarget): Promise<Link> {
    return new Promise<Link>((resolve, reject) => {
      const socket = this.#createSocket(t.family);
      const name = targetName(t);
      const onError = (err: Error) => {
        socket.removeListener('connect', onConnect);
        reject(err);
      };
      const onConnect = () => {
        socket.removeListener('error', onError);
        const watch = new ReceiverWatch(this.#scheduler, CONFIRM_MS, (state) => this.#onReceiver(name, state));
        // A connected socket reports ICMP "port unreachable" for an earlier datagram through the
        // next send's callback, or, when it comes in between, as an error event (from recvmsg).
        socket.on('error', (err) => (isRefused(err) ? this.#onRefused(link) : this.#onSendError(err)));
        const link: Link = { socket, name, watch, onSent: (err) => this.#onSent(link, err) };
        resolve(link);
      };
      socket.once('error', onError);
      socket.once('connect', onConnect);
      socket.connect(t.port, t.host);
    });
  }

  #startHeartbeat(address: string, intervalMs: number): void {
    const encoder = new OscEncoder(['i']);
    const sink = this;
    this.#heartbeat = this.#scheduler.schedule(
      function beat(this: SchedulerAction<number>, count = 0) {
        sink.#sendMessages([encoder.encode(address, [count])]);
        this.schedule((count + 1) | 0, intervalMs);
      },
      0,
      0,
    );
  }

  #targetNames(): string[] {
    return this.targets.map(targetName);
  }
}

/** `host:port`, `[v6]:port`. */
function targetName(t: OscTarget): string {
  return t.family === 'udp6' ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
