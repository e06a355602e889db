/**
 * The {@link SourceFlow} of one pausable source: paused while any sink it feeds is congested.
 * It outlives the source's restarts and reloads (the runtime keeps one per node id), so a
 * source rebuilt while congestion lasts starts paused.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { SourceFlow } from '../../core/flow.js';
import type { FlowReporter, FlowSnapshot } from '../../core/metrics.js';

interface Waiter {
  readonly listener: () => void;
  /** Its call, once scheduled. */
  call: Subscription | undefined;
  cancelled: boolean;
}

export class SourceGate implements SourceFlow, FlowReporter {
  /** A plain field: the source reads it before every event. */
  paused = false;
  #by: readonly string[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #scheduler: SchedulerLike;
  #pausedSince = 0;
  #pausedMs = 0;
  #pauses = 0;

  /** @param scheduler Runs resume callbacks and times the pauses. */
  constructor(scheduler: SchedulerLike) {
    this.#scheduler = scheduler;
  }

  /** The congested sinks this source feeds now: pauses on the first, resumes after the last. */
  set(by: readonly string[]): void {
    this.#by = by;
    if (by.length > 0 && !this.paused) {
      this.paused = true;
      this.#pauses += 1;
      this.#pausedSince = this.#scheduler.now();
    } else if (by.length === 0 && this.paused) {
      this.paused = false;
      this.#pausedMs += this.#scheduler.now() - this.#pausedSince;
      for (const waiter of this.#waiters) this.#schedule(waiter);
    }
  }

  onResume(listener: () => void): () => void {
    const waiter: Waiter = { listener, call: undefined, cancelled: false };
    this.#waiters.add(waiter);
    if (!this.paused) this.#schedule(waiter);
    return () => {
      waiter.cancelled = true;
      waiter.call?.unsubscribe();
      this.#waiters.delete(waiter);
    };
  }

  /** How many sources wait for a resume (a source unsubscribed while paused leaves none). */
  get waiting(): number {
    return this.#waiters.size;
  }

  flowSnapshot(): FlowSnapshot {
    const current = this.paused ? this.#scheduler.now() - this.#pausedSince : 0;
    return { paused: this.paused, pausedBy: this.#by, pausedMs: this.#pausedMs + current, pauses: this.#pauses };
  }

  /** Calls the waiter on the scheduler: never inside the sink driver's stack that cleared it. */
  #schedule(waiter: Waiter): void {
    this.#waiters.delete(waiter);
    waiter.call = this.#scheduler.schedule(() => {
      if (!waiter.cancelled) waiter.listener();
    });
  }
}
