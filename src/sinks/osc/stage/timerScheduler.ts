/**
 * The smallest `SchedulerLike` for the output stage's thread (pacing, receiver checks): plain
 * timers on the worker's monotonic clock, so the worker's bundle needs none of RxJS's runtime.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

export const timerScheduler: SchedulerLike = {
  now: () => performance.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const action = {
      get closed() {
        return closed;
      },
      unsubscribe() {
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      },
      schedule(next?: T, again = 0) {
        if (closed) return action;
        timer = setTimeout(() => {
          timer = undefined;
          work.call(action as unknown as SchedulerAction<T>, next);
        }, again);
        return action;
      },
    };
    action.schedule(state, delay);
    return action as unknown as Subscription;
  },
};
