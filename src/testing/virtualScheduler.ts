/**
 * A scheduler whose clock is a number the run moves: {@link VirtualScheduler.advance} runs the
 * due actions one virtual instant at a time, in time order and, at equal times, in the order
 * they were scheduled, with no real timer. Between instants the run lets promise continuations
 * settle (only when something async is pending, so a synchronous graph pays no macrotask).
 */
import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';

/** One queued run of an action; stale once the action is rescheduled or unsubscribed. */
interface Entry {
  readonly due: number;
  readonly seq: number;
  readonly action: VirtualAction<unknown>;
  readonly version: number;
}

/** An RxJS action on the virtual clock: `this.schedule(state, delay)` from its work reschedules it. */
class VirtualAction<T> extends Subscription implements SchedulerAction<T> {
  state: T | undefined;
  /** Bumped on every (re)schedule; queue entries of older versions are skipped. */
  version = 0;
  queued = false;

  constructor(
    private readonly scheduler: VirtualScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.scheduler.enqueue(this as VirtualAction<unknown>, delay);
    return this;
  }

  execute(): void {
    this.queued = false;
    try {
      this.work.call(this, this.state);
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.queued = false;
    this.version += 1;
    super.unsubscribe();
  }
}

/** Why {@link VirtualScheduler.advance} stopped. */
export type AdvanceResult = 'reached' | 'stopped';

/**
 * The clock and timer queue of a virtual run. `now()` starts at 0 and moves only in
 * {@link advance}; `schedule` never touches a real timer.
 *
 * ```text
 * new VirtualScheduler(0); schedule(a, 10); schedule(b, 5); schedule(c, 10)
 * advance(20)  →  t=5: b  ·  t=10: a, c  ·  now() = 20
 * ```
 */
export class VirtualScheduler implements SchedulerLike {
  #now: number;
  #seq = 0;
  /** A binary min-heap by (due, seq). */
  readonly #heap: Entry[] = [];
  /** Promises in flight that the run must let settle before its next instant. */
  #pending = 0;
  /** Instants run so far (for the bench and tests). */
  instants = 0;
  /** Actions run so far. */
  actions = 0;
  /** Times the run yielded to the event loop so that promises could settle. */
  settles = 0;

  /**
   * @param start What `now()` reads before anything ran. A virtual run starts it at its wall
   *   clock's epoch ms, as `asyncScheduler.now()` reads in a real run, so a component that
   *   stamps a scheduler time as a date (a control change's `ts`) gets a real date.
   */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new VirtualAction<T>(this, work).schedule(state, delay);
  }

  /** @internal Queues (or requeues) `action` to run `delay` ms from now. */
  enqueue(action: VirtualAction<unknown>, delay: number): void {
    const wait = Number.isFinite(delay) && delay > 0 ? delay : 0;
    action.version += 1;
    action.queued = true;
    this.#push({ due: this.#now + wait, seq: this.#seq++, action, version: action.version });
  }

  /**
   * Tracks a promise the run must let settle before it moves on (a sink's asynchronous write).
   * Returns it.
   */
  track<T>(promise: PromiseLike<T>): PromiseLike<T> {
    this.#pending += 1;
    const done = () => {
      this.#pending -= 1;
    };
    promise.then(done, done);
    return promise;
  }

  /** Tracked promises not settled yet. */
  get pending(): number {
    return this.#pending;
  }

  /** The time of the next queued action, or undefined when nothing is queued. */
  nextDue(): number | undefined {
    return this.#peek()?.due;
  }

  /**
   * Runs every action due up to `until` (inclusive), an instant at a time, then sets the clock
   * to `until`. After each instant, while a tracked promise is pending, yields to the event
   * loop (`setImmediate`, after every microtask) until it settles. Stops early, at the end of
   * an instant, once `stop()` returns true.
   *
   * @throws when a tracked promise has not settled after `maxSettleTurns` turns of the event
   *   loop (a preview waiting on real I/O, which it must not do).
   */
  async advance(until: number, stop: () => boolean = () => false, maxSettleTurns = 10_000): Promise<AdvanceResult> {
    await this.settle(maxSettleTurns);
    for (;;) {
      if (stop()) return 'stopped';
      const next = this.#peek();
      if (next === undefined || next.due > until) break;
      this.#now = next.due;
      this.instants += 1;
      // Everything due now, including what these actions schedule with no delay.
      for (let e = this.#peek(); e !== undefined && e.due === this.#now; e = this.#peek()) {
        this.#pop();
        this.actions += 1;
        e.action.execute();
      }
      if (this.#pending > 0) await this.settle(maxSettleTurns);
    }
    if (until > this.#now) this.#now = until;
    return 'reached';
  }

  /** Yields to the event loop until no tracked promise is pending. */
  async settle(maxTurns = 10_000): Promise<void> {
    let turns = 0;
    while (this.#pending > 0) {
      if (turns++ >= maxTurns) {
        throw new Error(`A sink's asynchronous write did not settle within ${maxTurns} turns of the event loop.`);
      }
      this.settles += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Yields once to the event loop (every microtask queued so far runs first). */
  async yieldOnce(): Promise<void> {
    this.settles += 1;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  // --- the heap ------------------------------------------------------------------------------

  /** The earliest live entry, dropping stale ones on the way. */
  #peek(): Entry | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0] as Entry;
      if (top.action.queued && top.version === top.action.version && !top.action.closed) return top;
      this.#pop();
    }
    return undefined;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry)) break;
      heap[i] = heap[parent] as Entry;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r] as Entry, heap[l] as Entry) ? r : l;
      if (!before(heap[child] as Entry, last)) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
