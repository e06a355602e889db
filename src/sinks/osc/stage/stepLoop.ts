/**
 * The output stage's step clock. Each slew is a clock of its own: step `k` is due at
 * `anchor + k·period`, the anchor being the moment the slew began, so steps never drift (each
 * is computed from the anchor, not from the previous one) and land where `control` puts them
 * (the same times and values as its own steps, which previews and `chatflow test` show). A
 * step that could not fire in time is skipped, never sent in a burst with the next ones: the
 * next fires on its own time again. The loop sleeps on a timer until `coarseMs` before the
 * next step, then waits out the rest on `Atomics.wait`, which the main side interrupts when it
 * posts (`drain` then reads the messages synchronously, so a value arriving meanwhile is not
 * held back by the wait).
 */

/** Timers of the loop: `setTimeout`/`clearTimeout` in the worker, fakes in a test. */
export interface LoopTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface StepLoopOptions {
  /** Monotonic ms (the worker's `performance.now()`). */
  readonly now: () => number;
  readonly timers: LoopTimers;
  /** Fires step `k` of clock `id`, due at `at` (its scheduled time, not the time it runs). */
  readonly tick: (id: string, k: number, at: number) => void;
  /** Waits at most `ms` or until woken. Absent: no precise wait (timers only, `coarseMs` 0). */
  readonly wait?: (ms: number) => void;
  /** Reads messages that arrived while waiting. */
  readonly drain?: () => void;
  /** Sleep on the timer until this long before a step, then wait precisely. Default 3 ms. */
  readonly coarseMs?: number;
}

interface Clock {
  readonly id: string;
  readonly anchor: number;
  readonly periodMs: number;
  /** The next step's number and due time. */
  k: number;
  next: number;
}

/** Step clocks that run until removed (a slew's end) or stopped. */
export class StepLoop {
  readonly #o: StepLoopOptions;
  readonly #coarse: number;
  readonly #clocks = new Map<string, Clock>();
  #timer: unknown;
  #firing = false;

  constructor(options: StepLoopOptions) {
    this.#o = options;
    // Without a precise wait (virtual time, a test), timers alone land on the step.
    this.#coarse = options.wait ? (options.coarseMs ?? 3) : 0;
  }

  /** Clocks running now. */
  get active(): number {
    return this.#clocks.size;
  }

  /**
   * Starts (or restarts) clock `id`: steps at `anchor + k·periodMs`. The first to fire is the
   * step whose time last passed (at once; step 1 at the earliest), so a slew that reaches the
   * stage a little after its step was due still sends that step now, and one that reaches it
   * late sends only its current step, not the missed ones.
   */
  add(id: string, anchor: number, periodMs: number): void {
    const k = Math.max(1, Math.floor((this.#o.now() - anchor) / periodMs));
    this.#clocks.set(id, { id, anchor, periodMs, k, next: anchor + k * periodMs });
    if (!this.#firing) this.#arm();
  }

  /**
   * Fires clock `id` once, as step 0 at `at` (at once when `at` has passed), with the same
   * precise wait as a step; it stays until removed (its next step is never due).
   */
  once(id: string, at: number): void {
    this.#clocks.set(id, { id, anchor: at, periodMs: Number.POSITIVE_INFINITY, k: 0, next: at });
    if (!this.#firing) this.#arm();
  }

  remove(id: string): void {
    this.#clocks.delete(id);
    if (this.#clocks.size === 0) this.#disarm();
  }

  stop(): void {
    this.#clocks.clear();
    this.#disarm();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#disarm();
    if (this.#clocks.size === 0) return;
    let due = Number.POSITIVE_INFINITY;
    for (const clock of this.#clocks.values()) due = Math.min(due, clock.next);
    const remaining = due - this.#o.now();
    if (remaining > this.#coarse) {
      this.#timer = this.#o.timers.set(() => {
        this.#timer = undefined;
        this.#arm();
      }, this.#coarse > 0 ? Math.floor(remaining - this.#coarse) : Math.ceil(remaining));
      return;
    }
    this.#fire(due);
  }

  /** Waits precisely for `due`, fires every clock due by then, then arms for the next step. */
  #fire(due: number): void {
    const { now, wait, drain } = this.#o;
    // A slew added by a message read while waiting joins this round instead of arming its own.
    this.#firing = true;
    try {
      if (wait) {
        for (let left = due - now(); left > 0; left = due - now()) {
          drain?.();
          wait(left);
        }
      }
      drain?.();
      const t = now();
      for (const clock of [...this.#clocks.values()]) {
        if (clock.next > t) continue;
        const { k, next: at } = clock;
        // The step after now, not after this one: a late step skips the missed ones.
        clock.k = Math.max(k + 1, Math.floor((t - clock.anchor) / clock.periodMs) + 1);
        clock.next = clock.anchor + clock.k * clock.periodMs;
        this.#o.tick(clock.id, k, at);
      }
    } finally {
      this.#firing = false;
    }
    if (this.#clocks.size === 0) return;
    // Yield to the event loop (socket callbacks, messages) before the next step.
    this.#timer = this.#o.timers.set(() => {
      this.#timer = undefined;
      this.#arm();
    }, 0);
  }
}
