/**
 * The output stage's logic, free of threads and sockets: targets in, encoded datagrams out.
 * Per key (address plus string arguments): the newest target wins (sequence numbers), plain
 * values are paced by `max_rate` ({@link Coalescer}), slews are stepped on the
 * {@link StepLoop} (step k at the slew's start + k·step, value `from + (to − from)·k·step/ms`,
 * the same times and values as `control`'s own steps), and the safe defaults are learned and
 * sent at stop. A change announced before its beat (`dueAt`) is held and sent at its time on
 * the step loop ({@link StepLoop.once}), so it lands on the beat however late the main loop is.
 */
import type { SchedulerLike } from 'rxjs';
import { setBounded } from '../../../core/boundedMap.js';
import { Coalescer } from '../coalesce.js';
import { encodeBundle, groupForBundles, IMMEDIATELY, ntpTimeTag, OscEncoder, type OscValue } from '../encoding.js';
import type { StageInit, StageTarget } from './protocol.js';
import type { StepLoop } from './stepLoop.js';

/** Largest bundle: below a 1500-byte Ethernet MTU, so it is never fragmented. */
const MAX_BUNDLE_BYTES = 1400;
/** Most keys remembered (sequence, last value, learned default); the oldest are forgotten past it. */
const MAX_KEYS = 10_000;
/** Step-loop ids of held changes: the key after this (a key is an address, which starts with `/`). */
const DUE = 'due:';

interface Message {
  readonly key: string;
  readonly address: string;
  readonly values: readonly OscValue[];
  readonly urgent: boolean;
}

interface Slew {
  readonly id: string;
  readonly message: Message;
  readonly from: number;
  readonly to: number;
  /** Length of the whole slew and of a step, ms. */
  readonly ms: number;
  readonly stepMs: number;
}

export interface OutputStageDeps {
  /** Monotonic ms, the loop's clock. */
  readonly now: () => number;
  /** Epoch ms of a stage time (for timetags). */
  readonly epochOf: (t: number) => number;
  /** Timers of `max_rate` pacing. */
  readonly scheduler: SchedulerLike;
  readonly loop: StepLoop;
  /** Sends one datagram to every target. */
  readonly send: (packet: Buffer) => void;
  /** Counts a drop by reason. */
  readonly drop: (reason: string, count?: number) => void;
  /** Stage time of a main-thread `performance.now()` time (a held change's `dueAt`); default: the same. */
  readonly fromMain?: (t: number) => number;
  /**
   * Nothing of `key` is left here after target `seq` (its newest); `sentAt`: the stage time of
   * its last datagram. Absent: not reported.
   */
  readonly idle?: (key: string, seq: number, sentAt: number | undefined) => void;
}

type Init = Pick<StageInit, 'types' | 'valueIndexes' | 'configured' | 'intervalMs' | 'timetagMs' | 'bundleDelayMs'>;

export class OutputStage {
  readonly #init: Init;
  readonly #d: OutputStageDeps;
  readonly #encoder: OscEncoder;
  readonly #coalescer: Coalescer<Message>;
  /** Newest sequence number applied per key. */
  readonly #seq = new Map<string, number>();
  readonly #learned = new Map<string, Message>();
  readonly #slews = new Map<string, Slew>();
  /** Changes held for their beat, by key. */
  readonly #held = new Map<string, StageTarget>();
  /** Stage time of each key's last datagram (for the main side's pacing once the key is idle). */
  readonly #sentAt = new Map<string, number>();
  /** The sequence each key was last reported idle at (each is reported once). */
  readonly #reported = new Map<string, number>();
  #stopped = false;

  constructor(init: Init, deps: OutputStageDeps) {
    this.#init = init;
    this.#d = deps;
    this.#encoder = new OscEncoder(init.types);
    this.#coalescer = new Coalescer<Message>(
      { intervalMs: init.intervalMs, keyOf: (m) => m.key, urgent: (m) => m.urgent },
      deps.scheduler,
      (m) => {
        this.#sendNow([m], deps.now());
        this.#checkIdle(m.key);
      },
      () => deps.drop('superseded'),
    );
  }

  /** Slews running now. */
  get slewing(): number {
    return this.#slews.size;
  }

  /** Changes held for their beat now. */
  get holding(): number {
    return this.#held.size;
  }

  /** Drops the held change `seq` of `key` unsent (withdrawn by control; not a loss). */
  withdraw(key: string, seq: number): void {
    if (this.#held.get(key)?.seq !== seq) return;
    this.#unhold(key);
    this.#checkIdle(key);
  }

  /** Applies targets in order; an older one of a key than one applied is dropped (`superseded`). */
  apply(targets: readonly StageTarget[]): void {
    if (this.#stopped) return;
    for (const target of targets) {
      this.#apply(target);
      this.#checkIdle(target.key);
    }
  }

  #apply(target: StageTarget): void {
    const { key } = target;
    const last = this.#seq.get(key);
    if (last !== undefined && target.seq <= last) {
      this.#d.drop('superseded');
      return;
    }
    remember(this.#seq, key, target.seq);
    // A newer target of the key replaces a change held for its beat (panic and reset included).
    if (this.#held.has(key)) {
      this.#unhold(key);
      this.#d.drop('superseded');
    }
    if (target.dueAt !== undefined) {
      this.#held.set(key, target);
      this.#d.loop.once(DUE + key, (this.#d.fromMain ?? same)(target.dueAt));
      return;
    }
    this.#applyNow(target);
  }

  #unhold(key: string): void {
    this.#held.delete(key);
    this.#d.loop.remove(DUE + key);
  }

  /** Applies a target whose sequence was checked: a plain value (paced), or a slew to run. */
  #applyNow(target: StageTarget): void {
    const { key } = target;
    const message: Message = { key, address: target.address, values: target.values, urgent: target.urgent };
    if (target.sentAt !== undefined) this.#coalescer.sentAt(key, (this.#d.fromMain ?? same)(target.sentAt));
    if (target.defaults === 'learn') remember(this.#learned, key, message);
    else if (target.defaults === 'forget') this.#learned.delete(key);
    const ramp = target.ramp;
    const running = this.#slews.get(key);
    if (ramp && running?.id === ramp.id) return;
    if (running) this.#endSlew(running);
    if (ramp && ramp.elapsed < ramp.ms && this.#init.valueIndexes.length > 0) {
      // Whatever waits for the pace is older than this slew.
      this.#coalescer.drop(key);
      this.#slews.set(key, { id: ramp.id, message, from: ramp.from, to: ramp.to, ms: ramp.ms, stepMs: ramp.stepMs });
      this.#d.loop.add(key, this.#d.now() - ramp.elapsed, ramp.stepMs);
      return;
    }
    const values = ramp ? this.#withValue(message.values, ramp.to) : message.values;
    this.#coalescer.offer(values === message.values ? message : { ...message, values });
  }

  /** Step `k` of the slew of `key`, or a held change (`due:<key>`), due at stage time `at`. */
  tick(key: string, k: number, at: number): void {
    if (key.startsWith(DUE)) {
      const released = key.slice(DUE.length);
      this.#release(released);
      this.#checkIdle(released);
      return;
    }
    const slew = this.#slews.get(key);
    if (slew === undefined) return;
    // As control computes its steps, so the values are the same to the bit.
    const done = k * slew.stepMs >= slew.ms - 1e-3;
    const elapsed = done ? slew.ms : k * slew.stepMs;
    const value = done ? slew.to : slew.from + (slew.to - slew.from) * (elapsed / slew.ms);
    if (done) this.#endSlew(slew);
    this.#sendNow([{ ...slew.message, values: this.#withValue(slew.message.values, value) }], at);
    if (done) this.#checkIdle(key);
  }

  /** Tells the main side when nothing of `key` is left here (see {@link OutputStageDeps.idle}). */
  #checkIdle(key: string): void {
    const idle = this.#d.idle;
    if (idle === undefined || this.#stopped) return;
    if (this.#slews.has(key) || this.#held.has(key) || this.#coalescer.holds(key)) return;
    const seq = this.#seq.get(key);
    if (seq === undefined || this.#reported.get(key) === seq) return;
    remember(this.#reported, key, seq);
    idle(key, seq, this.#sentAt.get(key));
  }

  /** Sends the change held for `key` now, its time come: past any pace (it is due on the beat). */
  #release(key: string): void {
    const target = this.#held.get(key);
    this.#unhold(key);
    if (target !== undefined) this.#applyNow({ ...target, urgent: true });
  }

  /**
   * Stops every slew and pacing timer (values still waiting count as `superseded`), then sends
   * every known default once: learned ones, then configured ones, which win. Returns how many.
   */
  stop(): number {
    if (this.#stopped) return 0;
    this.#stopped = true;
    for (const slew of [...this.#slews.values()]) this.#endSlew(slew);
    // A change held for its beat never goes after the defaults.
    if (this.#held.size > 0) this.#d.drop('superseded', this.#held.size);
    this.#held.clear();
    this.#d.loop.stop();
    const dropped = this.#coalescer.cancel();
    if (dropped.length > 0) this.#d.drop('superseded', dropped.length);
    const defaults = new Map(this.#learned);
    for (const c of this.#init.configured) defaults.set(c.key, { ...c, urgent: true });
    const messages = [...defaults.values()];
    if (messages.length > 0) this.#sendNow(messages, this.#d.now(), true);
    return messages.length;
  }

  #endSlew(slew: Slew): void {
    this.#slews.delete(slew.message.key);
    this.#d.loop.remove(slew.message.key);
  }

  #withValue(values: readonly OscValue[], value: number): OscValue[] {
    const out = [...values];
    for (const i of this.#init.valueIndexes) out[i] = value;
    return out;
  }

  /**
   * Encodes and sends messages meant for stage time `at`: bare, or in bundles timetagged
   * `timetag` after `at` (or `bundle.delay` after now). `together`: the defaults at stop,
   * which share bundles when bundles are on.
   */
  #sendNow(messages: readonly Message[], at: number, together = false): void {
    const encoded = messages.map((m) => this.#encoder.encode(m.address, m.values));
    if (this.#d.idle !== undefined) for (const m of messages) remember(this.#sentAt, m.key, at);
    const { timetagMs, bundleDelayMs } = this.#init;
    if (timetagMs <= 0 && bundleDelayMs === undefined) {
      for (const packet of encoded) this.#d.send(packet);
      return;
    }
    const tag =
      timetagMs > 0
        ? ntpTimeTag(this.#d.epochOf(at) + timetagMs)
        : (bundleDelayMs ?? 0) > 0
          ? ntpTimeTag(this.#d.epochOf(this.#d.now()) + (bundleDelayMs ?? 0))
          : IMMEDIATELY;
    const groups = together || timetagMs > 0 ? groupForBundles(encoded, MAX_BUNDLE_BYTES) : encoded.map((e) => [e]);
    for (const group of groups) this.#d.send(encodeBundle(tag, group));
  }
}

const same = (t: number) => t;

/** Sets `key` in a map bounded at {@link MAX_KEYS} (the oldest key goes). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  setBounded(map, key, value, MAX_KEYS);
}
