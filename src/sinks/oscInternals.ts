/**
 * Internals of the `osc` sink: OSC 1.0 encoding (byte-identical to `osc.writePacket`, about
 * 2.5× faster), NTP timetags, the escaping that keeps chat-provided text out of OSC address
 * syntax, target parsing, and the per-key coalescing behind `max_rate` (a class the sink
 * drives directly, and the same logic as an RxJS operator for marble tests).
 */
import { isIPv6 } from 'node:net';
import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

// ---------------------------------------------------------------------------------------------
// Escaping.

/** Longest substituted address part, after escaping. */
export const MAX_ADDRESS_PART = 64;
/** Longest string argument, in UTF-16 code units, after sanitizing. */
export const MAX_STRING_ARG = 256;

/** `A–Z a–z 0–9 _ . -`: the only characters a substituted value keeps in an address. */
function isSafeAddressChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2d // -
  );
}

/**
 * Makes a value (a variable name, a login, anything from chat) safe inside an OSC address:
 * every character other than `A–Z a–z 0–9 _ . -` becomes `_`, one per code point, so OSC
 * pattern syntax (`# * , / ? [ ] { }`), spaces, control characters and non-ASCII can never
 * reach the address, and Max/Pd special characters (`; $ \ ,`) neither. An empty value becomes
 * `_`; the result is cut to {@link MAX_ADDRESS_PART} characters. Returns `value` itself when
 * it is already safe.
 *
 * @example escapeAddressPart('a b/#*') // 'a_b___'
 */
export function escapeAddressPart(value: string): string {
  const n = value.length;
  if (n === 0) return '_';
  let i = 0;
  while (i < n && isSafeAddressChar(value.charCodeAt(i))) i += 1;
  if (i === n && n <= MAX_ADDRESS_PART) return value;
  let out = value.slice(0, i);
  while (i < n && out.length < MAX_ADDRESS_PART) {
    const c = value.charCodeAt(i);
    if (isSafeAddressChar(c)) {
      out += value[i];
      i += 1;
    } else {
      out += '_';
      // A surrogate pair is one code point: one `_`.
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(value.charCodeAt(i + 1)) ? 2 : 1;
    }
  }
  return out.length > MAX_ADDRESS_PART ? out.slice(0, MAX_ADDRESS_PART) : out;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Fills empty segments of a rendered address (`/by/` when a field was missing, `/a//b`) with
 * `_`, so every address is well-formed. Returns `address` itself when there are none.
 */
export function fillEmptySegments(address: string): string {
  if (!address.endsWith('/') && !address.includes('//')) return address;
  let out = address.replace(/\/(?=\/)/g, '/_');
  if (out.endsWith('/')) out += '_';
  return out;
}

/**
 * Makes text safe as an OSC string argument: drops C0 and C1 control characters (a NUL would
 * end the string early) and cuts it to {@link MAX_STRING_ARG} code units without splitting a
 * surrogate pair. Unicode stays (sent as UTF-8, as `osc.writePacket` does).
 */
export function sanitizeStringArg(text: string): string {
  let out = text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(out)) out = out.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  if (out.length > MAX_STRING_ARG) {
    const cut = isLowSurrogate(out.charCodeAt(MAX_STRING_ARG)) ? MAX_STRING_ARG - 1 : MAX_STRING_ARG;
    out = out.slice(0, cut);
  }
  return out;
}

/** Characters a configured address may not contain outside its `{{ }}` placeholders. */
const ADDRESS_LITERAL_FORBIDDEN = /[\s#*,?[\]{}]/;

/**
 * Problems with the literal parts of an address template (what is left after removing its
 * placeholders): it must start with `/`, be printable ASCII and hold no OSC pattern syntax.
 */
export function checkAddressLiteral(template: string): string[] {
  const literal = template.replace(/\{\{[^}]*\}\}/g, 'x');
  const problems: string[] = [];
  if (!literal.startsWith('/')) problems.push('An OSC address starts with "/"');
  if (ADDRESS_LITERAL_FORBIDDEN.test(literal)) {
    problems.push('An OSC address may not contain spaces or any of # * , ? [ ] { } outside "{{ }}"');
  }
  if (/[^\u0021-\u007e]/.test(literal)) problems.push('An OSC address is printable ASCII');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/** The OSC argument types the sink writes: float32, float64, int32, string. */
export const OSC_ARG_TYPES = ['f', 'd', 'i', 's'] as const;
export type OscArgType = (typeof OSC_ARG_TYPES)[number];
export type OscValue = number | string;

/** One OSC message before encoding. */
export interface OscMessage {
  /** Printable ASCII, already escaped. */
  readonly address: string;
  /** One value per type of the encoder. */
  readonly values: readonly OscValue[];
}

/** Bytes of an OSC string of `byteLength` bytes: its NUL terminator, padded to 4. */
function paddedSize(byteLength: number): number {
  return (byteLength + 4) & ~3;
}

/** Largest and smallest int32. */
const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;
/** Most addresses whose header the encoder keeps. */
const HEADER_CACHE_MAX = 4096;

/**
 * Encodes OSC messages of a fixed argument signature. The padded address and type tags of each
 * address are cached, so a message is one allocation, one copy and the argument writes. The
 * output is byte-identical to `osc.writePacket({ address, args }, { metadata: true })` (ints
 * are rounded and clamped to int32 first).
 */
export class OscEncoder {
  readonly types: readonly OscArgType[];
  readonly #typeTags: string;
  readonly #typeTagSize: number;
  /** Size of the arguments when none is a string; -1 otherwise. */
  readonly #fixedArgsSize: number;
  readonly #headers = new Map<string, Buffer>();

  constructor(types: readonly OscArgType[]) {
    this.types = types;
    this.#typeTags = `,${types.join('')}`;
    this.#typeTagSize = paddedSize(this.#typeTags.length);
    this.#fixedArgsSize = types.includes('s') ? -1 : types.reduce((sum, t) => sum + (t === 'd' ? 8 : 4), 0);
  }

  /** Encodes one message; `values` must match the types (numbers finite). */
  encode(address: string, values: readonly OscValue[]): Buffer {
    const header = this.#header(address);
    const types = this.types;
    let size = header.length;
    if (this.#fixedArgsSize >= 0) size += this.#fixedArgsSize;
    else {
      for (let i = 0; i < types.length; i++) {
        const t = types[i];
        size += t === 'd' ? 8 : t === 's' ? paddedSize(Buffer.byteLength(values[i] as string, 'utf8')) : 4;
      }
    }
    const buf = Buffer.allocUnsafe(size);
    header.copy(buf, 0);
    let offset = header.length;
    for (let i = 0; i < types.length; i++) {
      const value = values[i] as OscValue;
      switch (types[i]) {
        case 'f':
          offset = buf.writeFloatBE(value as number, offset);
          break;
        case 'd':
          offset = buf.writeDoubleBE(value as number, offset);
          break;
        case 'i':
          offset = buf.writeInt32BE(toInt32(value as number), offset);
          break;
        default: {
          const written = buf.write(value as string, offset, 'utf8');
          const end = offset + paddedSize(written);
          buf.fill(0, offset + written, end);
          offset = end;
        }
      }
    }
    return buf;
  }

  /** The padded address and type tags of `address`, cached. */
  #header(address: string): Buffer {
    let header = this.#headers.get(address);
    if (header !== undefined) return header;
    const addressSize = paddedSize(address.length);
    header = Buffer.alloc(addressSize + this.#typeTagSize);
    header.write(address, 0, 'latin1');
    header.write(this.#typeTags, addressSize, 'latin1');
    if (this.#headers.size >= HEADER_CACHE_MAX) this.#headers.clear();
    this.#headers.set(address, header);
    return header;
  }
}

/** Rounds to the nearest integer and clamps to the int32 range. */
export function toInt32(value: number): number {
  const rounded = Math.round(value);
  return Math.min(INT32_MAX, Math.max(INT32_MIN, rounded));
}

/** An NTP timetag: seconds since 1900 and fractions of a second (units of 2^-32 s). */
export type TimeTag = readonly [seconds: number, fraction: number];

/** The timetag that means "now" (OSC 1.0: 63 zero bits then a one). */
export const IMMEDIATELY: TimeTag = [0, 1];
const SECS_1900_TO_1970 = 2_208_988_800;
const TWO_32 = 4_294_967_296;

/** The NTP timetag of an epoch time in milliseconds, as `osc.timeTag`/`osc.jsToNTPTime` compute it. */
export function ntpTimeTag(epochMs: number): TimeTag {
  const secs = epochMs / 1000;
  let whole = Math.floor(secs);
  let fraction = Math.round(TWO_32 * (secs - whole));
  if (fraction >= TWO_32) {
    whole += 1;
    fraction = 0;
  }
  return [whole + SECS_1900_TO_1970, fraction];
}

const BUNDLE_HEADER = Buffer.from('#bundle\0', 'latin1');

/** Encodes an OSC bundle of already-encoded messages, byte-identical to `osc.writePacket`. */
export function encodeBundle(timeTag: TimeTag, elements: readonly Buffer[]): Buffer {
  let size = 16;
  for (const element of elements) size += 4 + element.length;
  const buf = Buffer.allocUnsafe(size);
  BUNDLE_HEADER.copy(buf, 0);
  buf.writeUInt32BE(timeTag[0] >>> 0, 8);
  buf.writeUInt32BE(timeTag[1] >>> 0, 12);
  let offset = 16;
  for (const element of elements) {
    offset = buf.writeInt32BE(element.length, offset);
    offset += element.copy(buf, offset);
  }
  return buf;
}

/**
 * Splits encoded messages into groups whose bundle stays within `maxBytes` (one message per
 * group at least), so a bundle always fits one datagram.
 */
export function groupForBundles(elements: readonly Buffer[], maxBytes: number): Buffer[][] {
  const groups: Buffer[][] = [];
  let current: Buffer[] = [];
  let size = 16;
  for (const element of elements) {
    const add = 4 + element.length;
    if (current.length > 0 && size + add > maxBytes) {
      groups.push(current);
      current = [];
      size = 16;
    }
    current.push(element);
    size += add;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Targets.

/** One receiver: where the sink's connected UDP socket points. */
export interface OscTarget {
  readonly host: string;
  readonly port: number;
  readonly family: 'udp4' | 'udp6';
}

/** `host:port`, a hostname or IPv4 address, or `[v6]:port`. */
export const TARGET_PATTERN = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Parses `127.0.0.1:7400`, `synth.local:9000` or `[::1]:7400`; undefined when malformed. */
export function parseTarget(text: string): OscTarget | undefined {
  const m = TARGET_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) return undefined;
  const v6 = m[1];
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port, family: 'udp6' } : undefined;
  return { host: m[2] as string, port, family: 'udp4' };
}

// ---------------------------------------------------------------------------------------------
// Coalescing.

/** How {@link Coalescer} and {@link coalesceLatest} pace values. */
export interface CoalesceOptions<T> {
  /** Shortest time between two values of the same key, ms; 0: no pacing. */
  readonly intervalMs: number;
  /** The key whose latest value wins (for OSC: the address plus its string arguments). */
  readonly keyOf: (value: T) => string;
  /**
   * Values that go out at once whatever the pace (a panic), replacing a waiting value of their
   * key. Default: none.
   */
  readonly urgent?: (value: T) => boolean;
}

interface KeyState<T> {
  /** Scheduler time of the last value let through; -Infinity before the first. */
  last: number;
  /** The newest value waiting for the key's pace, if any. */
  pending: T | undefined;
  hasPending: boolean;
  timer: Subscription | undefined;
}

/** Idle keys are forgotten once this many keys are known (memory stays bounded). */
const PRUNE_AT = 10_000;

/**
 * Per-key pacing where the latest value wins: a value of a key that has been quiet for
 * `intervalMs` goes out at once; one that comes sooner waits until the interval has passed,
 * replacing (superseding) any value of its key still waiting. So a burst goes out as its first
 * value at once and its newest value one interval later; a stale value never goes out after a
 * fresh one, and nothing queues. Time comes from the scheduler.
 *
 * @see coalesceLatest, the same as an RxJS operator.
 */
export class Coalescer<T> {
  readonly #interval: number;
  readonly #keyOf: (value: T) => string;
  readonly #urgent: ((value: T) => boolean) | undefined;
  readonly #scheduler: SchedulerLike;
  readonly #emit: (value: T) => void;
  readonly #superseded: (value: T) => void;
  readonly #keys = new Map<string, KeyState<T>>();
  #waiting = 0;
  /** Called when the last waiting value has gone out. */
  onIdle: (() => void) | undefined;

  /**
   * @param options Pace, key and urgency.
   * @param scheduler Clock and timers.
   * @param emit Receives each value let through (synchronously from `offer` or from a timer).
   * @param superseded Receives each value replaced before it went out.
   */
  constructor(
    options: CoalesceOptions<T>,
    scheduler: SchedulerLike,
    emit: (value: T) => void,
    superseded: (value: T) => void = () => {},
  ) {
    this.#interval = Math.max(0, options.intervalMs);
    this.#keyOf = options.keyOf;
    this.#urgent = options.urgent;
    this.#scheduler = scheduler;
    this.#emit = emit;
    this.#superseded = superseded;
  }

  /** Values waiting for their key's pace. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Lets `value` through now, or holds it as its key's newest value. May throw from `keyOf`/`urgent`. */
  offer(value: T): void {
    if (this.#interval === 0) {
      this.#emit(value);
      return;
    }
    const key = this.#keyOf(value);
    const urgent = this.#urgent?.(value) === true;
    const now = this.#scheduler.now();
    let state = this.#keys.get(key);
    if (state === undefined) {
      if (this.#keys.size >= PRUNE_AT) this.#prune(now);
      state = { last: Number.NEGATIVE_INFINITY, pending: undefined, hasPending: false, timer: undefined };
      this.#keys.set(key, state);
    }
    if (urgent || (!state.hasPending && now - state.last >= this.#interval)) {
      if (state.hasPending) this.#dropPending(state);
      state.last = now;
      this.#emit(value);
      return;
    }
    if (state.hasPending) this.#superseded(state.pending as T);
    else this.#waiting += 1;
    state.pending = value;
    state.hasPending = true;
    if (state.timer === undefined) {
      const s = state;
      // Clamped to one interval: a wall clock set back must not hold a value for long.
      const delay = Math.min(this.#interval, Math.max(0, s.last + this.#interval - now));
      s.timer = this.#scheduler.schedule(() => this.#release(s), delay);
    }
  }

  /** Cancels every timer and forgets every key; returns the values that were waiting. */
  cancel(): T[] {
    const dropped: T[] = [];
    for (const state of this.#keys.values()) {
      state.timer?.unsubscribe();
      state.timer = undefined;
      if (state.hasPending) dropped.push(state.pending as T);
      state.pending = undefined;
      state.hasPending = false;
    }
    this.#keys.clear();
    this.#waiting = 0;
    return dropped;
  }

  #release(state: KeyState<T>): void {
    state.timer = undefined;
    if (!state.hasPending) return;
    const value = state.pending as T;
    state.pending = undefined;
    state.hasPending = false;
    state.last = this.#scheduler.now();
    this.#waiting -= 1;
    this.#emit(value);
    if (this.#waiting === 0) this.onIdle?.();
  }

  #dropPending(state: KeyState<T>): void {
    state.timer?.unsubscribe();
    state.timer = undefined;
    this.#superseded(state.pending as T);
    state.pending = undefined;
    state.hasPending = false;
    this.#waiting -= 1;
  }

  /** Forgets keys with nothing waiting whose interval has passed. */
  #prune(now: number): void {
    for (const [key, state] of this.#keys) {
      if (!state.hasPending && now - state.last >= this.#interval) this.#keys.delete(key);
    }
  }
}

/**
 * Paces values per key, the latest value winning: a value whose key has been quiet for
 * `intervalMs` passes at once; a sooner one waits out the interval, and a newer value of the
 * same key replaces it meanwhile. Completion waits for the values still waiting; an error
 * drops them. `urgent` values pass at once, replacing a waiting value of their key.
 *
 * ```text
 * intervalMs: 3, every value the same key
 * source:   -abc-----d--|
 * result:   -a--c----d--|
 * ```
 *
 * Why: a control value that is not the newest is worthless to a synth, so under a flood only
 * the newest value per address goes out, at most once per interval, and nothing queues.
 *
 * @param options Pace, key, urgency and a hook for superseded values.
 * @param scheduler Clock and timers; defaults to {@link asyncScheduler}.
 * @see Coalescer, which the `osc` sink drives directly.
 */
export function coalesceLatest<T>(
  options: CoalesceOptions<T> & { readonly onSuperseded?: (value: T) => void },
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      // Per-subscription state: each subscriber gets its own keys and timers.
      const coalescer = new Coalescer<T>(options, scheduler, (value) => subscriber.next(value), options.onSuperseded);
      let sourceDone = false;
      coalescer.onIdle = () => {
        if (sourceDone) subscriber.complete();
      };
      const subscription = source.subscribe({
        next: (value) => {
          try {
            coalescer.offer(value);
          } catch (err) {
            coalescer.cancel();
            subscriber.error(err);
          }
        },
        error: (err: unknown) => {
          coalescer.cancel();
          subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          if (coalescer.waiting === 0) subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        coalescer.cancel();
      };
    });
}
