/**
 * The output stage's step clock: one grid per step period, anchored once, so steps land on
 * `anchor + k·period` however late one of them fired (no drift, no catch-up burst: a tick
 * that could not fire in time is skipped, the next one lands on the grid again). It sleeps
 * on a timer until `coarseMs` (3 ms) before the next step, then waits out the rest on
 * `Atomics.wait`, which the main side interrupts when it posts (`drain` then reads the
 * messages synchronously, so a value arriving meanwhile is not held back by the wait).
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
  /** Fires the steps of one grid at its scheduled time `at` (not the time it runs). */
  readonly tick: (periodMs: number, at: number) => void;
  /** Waits at most `ms` or until woken; returns at once when `wake` is absent (a test). */
  readonly wait?: (ms: number) => void;
  /** Reads messages that arrived while waiting. */
  readonly drain?: () => void;
  /** Sleep on the timer until this long before a step, then wait precisely. Default 3 ms. */
  readonly coarseMs?: number;
}

interface Grid {
  readonly periodMs: number;
  /** Scheduled time of its next step. */
  next: number;
}

/**
 * Step grids that run while someone needs them: `activate(period)` before a slew starts,
 * `deactivate(period)` when the last one of that period ends.
 */
export class StepLoop {
  readonly #o: StepLoopOptions;
  readonly #anchor: number;
  readonly #coarse: number;
  readonly #grids = new Map<number, Grid>();
  #timer: unknown;
  #firing = false;

  constructor(options: StepLoopOptions) {
    this.#o = options;
    this.#anchor = options.now();
    this.#coarse = options.coarseMs ?? 3;
  }

  /** Grids running now. */
  get active(): number {
    return this.#grids.size;
  }

  /** Starts the grid of `periodMs` (its next step after now, on the anchored grid). */
  activate(periodMs: number): void {
    if (this.#grids.has(periodMs)) return;
    this.#grids.set(periodMs, { periodMs, next: this.#nextAfter(periodMs, this.#o.now()) });
    if (!this.#firing) this.#arm();
  }

  deactivate(periodMs: number): void {
    this.#grids.delete(periodMs);
    if (this.#grids.size === 0) this.#disarm();
  }

  stop(): void {
    this.#grids.clear();
    this.#disarm();
  }

  /** The first grid point of `periodMs` strictly after `t`. */
  #nextAfter(periodMs: number, t: number): number {
    return this.#anchor + (Math.floor((t - this.#anchor) / periodMs) + 1) * periodMs;
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#disarm();
    if (this.#grids.size === 0) return;
    let due = Number.POSITIVE_INFINITY;
    for (const grid of this.#grids.values()) due = Math.min(due, grid.next);
    const remaining = due - this.#o.now();
    if (remaining > this.#coarse) {
      this.#timer = this.#o.timers.set(() => {
        this.#timer = undefined;
        this.#arm();
      }, Math.floor(remaining - this.#coarse));
      return;
    }
    this.#fire(due);
  }

  /** Waits precisely for `due`, fires every grid due by then, then arms for the next. */
  #fire(due: number): void {
    const { now, wait, drain } = this.#o;
    for (let left = due - now(); left > 0; left = due - now()) {
      drain?.();
      if (!wait) break;
      wait(left);
    }
    drain?.();
    this.#firing = true;
    try {
      const t = now();
      for (const grid of [...this.#grids.values()]) {
        if (grid.next > t) continue;
        const at = grid.next;
        // The next point after now, not after `at`: a late tick skips, never bursts.
        grid.next = this.#nextAfter(grid.periodMs, Math.max(t, at));
        this.#o.tick(grid.periodMs, at);
      }
    } finally {
      this.#firing = false;
    }
    // Yield to the event loop (socket callbacks, messages) before the next step.
    this.#timer = this.#o.timers.set(() => {
      this.#timer = undefined;
      this.#arm();
    }, 0);
  }
}
