import { defer, NEVER, Subscriber, throwError, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../core/backoff.js';
import { keepAlive } from './restart.js';

const POLICY = { initialMs: 100, maxMs: 1000, jitter: 0 };

describe('keepAlive', () => {
  it('counts attempts up across consecutive failures, so the backoff grows to its cap', () => {
    const scheduler = new VirtualTimeScheduler();
    const subscribedAt: number[] = [];
    const attempts: number[] = [];
    const chain$ = defer(() => {
      subscribedAt.push(scheduler.now());
      return subscribedAt.length <= 6 ? throwError(() => new Error('bug')) : NEVER;
    });
    const handle = keepAlive(
      chain$,
      (end) => new Subscriber({ next: () => {}, error: (err: unknown) => end.error(err), complete: () => end.complete() }),
      (_err, attempt) => {
        attempts.push(attempt);
        return backoffDelay(POLICY, attempt);
      },
      scheduler,
      () => {},
    );
    scheduler.flush();
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6]);
    // Delays 100, 200, 400, 800, then capped at 1000.
    expect(subscribedAt).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
    handle.unsubscribe();
  });

  it('stops retrying once unsubscribed', () => {
    const scheduler = new VirtualTimeScheduler();
    let subscriptions = 0;
    const handle = keepAlive(
      defer(() => {
        subscriptions += 1;
        return throwError(() => new Error('bug'));
      }),
      (end) => new Subscriber({ next: () => {}, error: (err: unknown) => end.error(err), complete: () => end.complete() }),
      () => 100,
      scheduler,
      () => {},
    );
    handle.unsubscribe();
    scheduler.flush();
    expect(subscriptions).toBe(1);
  });
});
