/**
 * The per-key pacing behind the `osc` sink's `max_rate` (a class the sink drives directly, and
 * the same logic as an RxJS operator for marble tests). Which value waits is not decided here:
 * the newest value per key replaces the waiting one in core's {@link LatestPerKey}, the same
 * structure the sink driver's `latest_per_key` buffer uses; this file adds only the pace.
 */
import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { LatestPerKey } from '../../core/latestPerKey.js';


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

/** A key's pace; its waiting value, if any, is in the coalescer's {@link LatestPerKey}. */
interface KeyState {
  readonly key: string;
  /** Scheduler time of the last value let through; -Infinity before the first. */
  last: number;
  /** Releases the key's waiting value once its interval has passed. */
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
  readonly #keys = new Map<string, KeyState>();
  /** The newest value per key waiting for its pace. */
  readonly #pending: LatestPerKey<T>;
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
    this.#pending = new LatestPerKey<T>(superseded);
  }

  /** Values waiting for their key's pace. */
  get waiting(): number {
    return this.#pending.size;
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
      state = { key, last: Number.NEGATIVE_INFINITY, timer: undefined };
      this.#keys.set(key, state);
    }
    const pending = this.#pending;
    if (urgent || (!pending.has(key) && now - state.last >= this.#interval)) {
      if (pending.supersede(key)) {
        state.timer?.unsubscribe();
        state.timer = undefined;
      }
      state.last = now;
      this.#emit(value);
      return;
    }
    pending.hold(key, value);
    if (state.timer === undefined) {
      const s = state;
      // Clamped to one interval: a wall clock set back must not hold a value for long.
      const delay = Math.min(this.#interval, Math.max(0, s.last + this.#interval - now));
      s.timer = this.#scheduler.schedule(() => this.#release(s), delay);
    }
  }

  /** True while a value of `key` waits for its pace. */
  holds(key: string): boolean {
    return this.#pending.has(key);
  }

  /**
   * `key` last went out at `at` (scheduler time) another way: its next value is paced from
   * there. An earlier time than the one known changes nothing.
   */
  sentAt(key: string, at: number): void {
    if (this.#interval === 0) return;
    const state = this.#keys.get(key);
    if (state === undefined) {
      if (this.#keys.size >= PRUNE_AT) this.#prune(this.#scheduler.now());
      this.#keys.set(key, { key, last: at, timer: undefined });
    } else if (at > state.last) state.last = at;
  }

  /**
   * Drops the value waiting for `key`, if any (counted as superseded): something newer of the
   * key goes out another way (the output stage's slew). True when one waited.
   */
  drop(key: string): boolean {
    if (!this.#pending.supersede(key)) return false;
    const state = this.#keys.get(key);
    state?.timer?.unsubscribe();
    if (state) state.timer = undefined;
    return true;
  }

  /** Cancels every timer and forgets every key; returns the values that were waiting. */
  cancel(): T[] {
    for (const state of this.#keys.values()) {
      state.timer?.unsubscribe();
      state.timer = undefined;
    }
    this.#keys.clear();
    return this.#pending.clear();
  }

  #release(state: KeyState): void {
    state.timer = undefined;
    const pending = this.#pending;
    if (!pending.has(state.key)) return;
    const value = pending.take(state.key) as T;
    state.last = this.#scheduler.now();
    this.#emit(value);
    if (pending.size === 0) this.onIdle?.();
  }

  /** Forgets keys with nothing waiting whose interval has passed. */
  #prune(now: number): void {
    for (const [key, state] of this.#keys) {
      if (!this.#pending.has(key) && now - state.last >= this.#interval) this.#keys.delete(key);
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
