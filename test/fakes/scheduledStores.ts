/**
 * Test doubles of the shared (`scope: redis`) stores of `throttle` and `cooldown`: in memory,
 * deciding when asked (as the Lua script does when the command reaches Redis) and answering
 * after a chosen delay on a scheduler, so marble tests drive the async paths in virtual time.
 * Not a Redis mock: the real Redis path is covered by test/integration/redis.int.test.ts.
 *
 * Answers are {@link ScheduledAnswer}s, `PromiseLike`s whose handlers run inside the
 * scheduler action that settles them, so what the operator emits then carries that frame.
 */
import type { SchedulerLike } from 'rxjs';
import type { CooldownAnswer, CooldownStore } from '../../src/operators/cooldown/redisStore.js';
import { type AsyncBucketStore, type BucketLimits, LocalBucketStore } from '../../src/operators/throttle/bucket.js';

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** A `PromiseLike` settled by hand, calling its handlers synchronously when it settles. */
export class ScheduledAnswer<T> implements PromiseLike<T> {
  #settled: Settled<T> | undefined;
  readonly #callbacks: Array<() => void> = [];

  resolve(value: T): void {
    this.#settle({ ok: true, value });
  }

  reject(error: unknown): void {
    this.#settle({ ok: false, error });
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, settled in virtual time.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    const next = new ScheduledAnswer<R1 | R2>();
    const run = (): void => {
      const settled = this.#settled as Settled<T>;
      try {
        if (settled.ok) next.resolve(onFulfilled ? (onFulfilled(settled.value) as R1) : (settled.value as unknown as R1));
        else if (onRejected) next.resolve(onRejected(settled.error) as R2);
        else next.reject(settled.error);
      } catch (err) {
        next.reject(err);
      }
    };
    if (this.#settled) run();
    else this.#callbacks.push(run);
    return next;
  }

  #settle(settled: Settled<T>): void {
    if (this.#settled) return;
    this.#settled = settled;
    for (const callback of this.#callbacks.splice(0)) callback();
  }
}

/** How the fake store answers the n-th call (0-based) for `key`. */
export interface FakeStoreBehaviour {
  /** Virtual ms until the answer arrives; default 0 (the next action at the same frame). */
  readonly delay?: (key: string, call: number) => number;
  /** `reject`: the answer is a rejection (store down); `throw`: the call itself throws. */
  readonly fail?: (key: string, call: number) => 'reject' | 'throw' | undefined;
}

/** One call of a fake store, with when it was made. */
export interface FakeCall {
  readonly key: string;
  readonly at: number;
}

/** Settles `answer` with `decide()` after `delay` virtual ms, or rejects it. */
function answerLater<T>(
  scheduler: SchedulerLike,
  delay: number,
  failure: 'reject' | undefined,
  decide: () => T,
): ScheduledAnswer<T> {
  const answer = new ScheduledAnswer<T>();
  // Decided now, as the script runs when the command arrives; only the reply is late.
  const value = failure === 'reject' ? undefined : decide();
  scheduler.schedule(() => {
    if (failure === 'reject') answer.reject(new Error('Redis is not connected.'));
    else answer.resolve(value as T);
  }, delay);
  return answer;
}

/** A token-bucket store answering later on `scheduler`: the shared `throttle` path. */
export class ScheduledBucketStore implements AsyncBucketStore {
  readonly calls: FakeCall[] = [];
  closed = false;
  readonly #local: LocalBucketStore;
  readonly #counts = new Map<string, number>();

  constructor(
    private readonly scheduler: SchedulerLike,
    limits: BucketLimits,
    private readonly behaviour: FakeStoreBehaviour = {},
  ) {
    this.#local = new LocalBucketStore(limits);
  }

  take(key: string, now: number, maxWaitMs: number): PromiseLike<number> {
    const call = this.#counts.get(key) ?? 0;
    this.#counts.set(key, call + 1);
    this.calls.push({ key, at: this.scheduler.now() });
    const failure = this.behaviour.fail?.(key, call);
    if (failure === 'throw') throw new Error('store threw');
    const delay = this.behaviour.delay?.(key, call) ?? 0;
    return answerLater(this.scheduler, delay, failure, () => this.#local.take(key, now, maxWaitMs));
  }

  close(): void {
    this.closed = true;
  }
}

/** A cooldown store answering later on `scheduler`: the shared `cooldown` path. */
export class ScheduledCooldownStore implements CooldownStore {
  readonly calls: FakeCall[] = [];
  closed = false;
  readonly #cooling = new Map<string, { until: number; replied: boolean }>();
  readonly #counts = new Map<string, number>();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly behaviour: FakeStoreBehaviour = {},
  ) {}

  check(key: string, durationMs: number, replyOnce: boolean): PromiseLike<CooldownAnswer> {
    const call = this.#counts.get(key) ?? 0;
    this.#counts.set(key, call + 1);
    const now = this.scheduler.now();
    this.calls.push({ key, at: now });
    const failure = this.behaviour.fail?.(key, call);
    if (failure === 'throw') throw new Error('store threw');
    const delay = this.behaviour.delay?.(key, call) ?? 0;
    return answerLater(this.scheduler, delay, failure, () => {
      const entry = this.#cooling.get(key);
      if (entry === undefined || entry.until <= now) {
        this.#cooling.set(key, { until: now + durationMs, replied: false });
        return { left: 0, reply: false };
      }
      const reply = !(replyOnce && entry.replied);
      entry.replied = true;
      return { left: entry.until - now, reply };
    });
  }

  close(): void {
    this.closed = true;
  }
}
