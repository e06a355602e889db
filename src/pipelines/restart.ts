/**
 * Keeps an operator chain alive through errors: the error is reported and the chain
 * re-subscribed after the delay the caller returns. Its inputs are runtime-owned ports, so
 * re-subscribing is invisible upstream. The error trap lives in the chain's terminal
 * subscriber (a dispatcher or the link to a sink), so it costs no extra hop per event.
 */
import type { Observable, SchedulerLike, Subscriber } from 'rxjs';
import { Subscription } from 'rxjs';

/** What a terminal subscriber calls instead of passing an error or completion on. */
export interface ChainEnd {
  error(err: unknown): void;
  complete(): void;
}

/**
 * @param source$ The chain to keep alive.
 * @param terminal Makes the subscriber at the end of the chain, wired to `end`.
 * @param onError Reports an error (attempt counts from 1) and returns the delay before the retry.
 * @param onComplete Called once when the chain completes.
 * @returns The subscription that stops it all.
 */
export function keepAlive<T>(
  source$: Observable<T>,
  terminal: (end: ChainEnd) => Subscriber<T>,
  onError: (err: unknown, attempt: number) => number,
  scheduler: SchedulerLike,
  onComplete: () => void,
): Subscription {
  let failures = 0;
  let current: Subscription | undefined;
  let retry: Subscription | undefined;
  const handle = new Subscription(() => {
    retry?.unsubscribe();
    current?.unsubscribe();
  });
  const end: ChainEnd = {
    error: (err) => {
      current = undefined;
      failures += 1;
      const delayMs = onError(err, failures);
      if (handle.closed) return;
      retry = scheduler.schedule(() => {
        retry = undefined;
        subscribe();
      }, delayMs);
    },
    complete: () => {
      current = undefined;
      onComplete();
    },
  };
  const subscribe = (): void => {
    if (handle.closed) return;
    const sub = source$.subscribe(terminal(end));
    if (!sub.closed) current = sub;
  };
  subscribe();
  return handle;
}
