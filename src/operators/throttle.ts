import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { z } from 'zod';
import { defineOperator, type Routed } from '../core/component.js';
import type { ChatflowEvent } from '../core/events.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { duration, rate } from '../core/units.js';
import { exemptRolesField, isExempt, keyOf, maxKeysField, perField } from './limitInternals.js';
import { type BucketLimits, type BucketStore, DENIED, LocalBucketStore } from './throttleInternals.js';

export const ThrottleConfig = z
  .strictObject({
    rate: rate().describe('Tokens added back to each bucket, as `N/period` (`1/2s`, `20/m`).'),
    burst: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Tokens a full bucket holds: the most events a key can send at once.'),
    per: perField('user').describe(
      'What gets its own bucket: `global`, `user` (platform and login; `anonymous` without an author), `command` (the command name), `platform` or `channel`, or a list of them combined into one key (`[user, command]`).',
    ),
    on_limit: z
      .enum(['drop', 'delay', 'reroute'])
      .default('drop')
      .describe(
        'What happens to an event that finds its bucket empty: `drop` it (counted as `throttled`), `delay` it until a token arrives (within `max_delay` and `max_queue`), or `reroute` it to the `_limited` port.',
      ),
    max_delay: duration()
      .prefault('5s')
      .describe(
        'With `on_limit: delay`: the longest an event may wait for its token; an event that would wait longer is dropped (`delay_exceeded`).',
      ),
    max_queue: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe(
        'With `on_limit: delay`: the most events waiting at once, across all keys; an event that would wait beyond it is dropped (`queue_full`).',
      ),
    exempt_roles: exemptRolesField(),
    max_keys: maxKeysField(10_000, 'its bucket comes back full'),
  })
  .describe('Token-bucket rate limit.');
export type ThrottleConfig = z.output<typeof ThrottleConfig>;

/** The side port `on_limit: reroute` sends limited events to. */
export const LIMITED_PORT = '_limited';

/** Collaborators of {@link throttle}. */
export interface ThrottleDeps {
  /** Clock and timers; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /**
   * Makes the bucket store for one subscription; defaults to a {@link LocalBucketStore}, so
   * every subscription has its own buckets.
   */
  readonly store?: (limits: BucketLimits) => BucketStore;
}

/**
 * Rate-limits events with a token bucket per key: an event takes a token and passes on the
 * default port; without a token it is dropped, delayed or rerouted to `_limited`.
 *
 * ```text
 * rate: 1/1s, burst: 2, per: global
 * source:   -abc 1s d|
 * result:   -ab- 1s d|
 * ```
 *
 * A bucket holds `burst` tokens and gains `rate` of them back, so in any window of length `t`
 * a key passes at most `burst + rate·t` events, whatever the arrival pattern. With
 * `on_limit: delay` each waiting event reserves the next token of its key and is released when
 * that token arrives, so per key the order is kept and the bound still holds on the output.
 * Authors with an `exempt_roles` role pass without using a token. Events still waiting when
 * the subscription ends are counted as `aborted`; when the source completes they are released
 * first.
 *
 * @param config The parsed {@link ThrottleConfig}.
 * @param deps Scheduler (clock and timers), drop counter and bucket store.
 * @see cooldown
 */
export function throttle(config: ThrottleConfig, deps: ThrottleDeps = {}): OperatorFunction<ChatflowEvent, Routed> {
  const { scheduler = asyncScheduler, drops = NO_DROPS } = deps;
  const createStore = deps.store ?? ((limits: BucketLimits) => new LocalBucketStore(limits));
  const limits: BucketLimits = { burst: config.burst, rate: config.rate, maxKeys: config.max_keys };
  const key = keyOf(config.per);
  const exempt = new Set(config.exempt_roles);
  const { on_limit: onLimit, max_delay: maxDelay, max_queue: maxQueue } = config;

  return (source) =>
    new Observable<Routed>((subscriber) => {
      // Per-subscription state: buckets, and the events waiting for a token.
      const store = createStore(limits);
      const waiting = new Set<Subscription>();
      let sourceDone = false;

      function release(this: SchedulerAction<ChatflowEvent>, event?: ChatflowEvent): void {
        waiting.delete(this);
        this.unsubscribe();
        if (event !== undefined) subscriber.next({ port: '', event });
        if (sourceDone && waiting.size === 0) subscriber.complete();
      }

      const subscription = source.subscribe({
        next: (event) => {
          let out: Routed;
          try {
            if (isExempt(event, exempt)) {
              out = { port: '', event };
            } else if (onLimit === 'delay') {
              const full = waiting.size >= maxQueue;
              const wait = store.take(key(event), scheduler.now(), full ? 0 : maxDelay);
              if (wait === DENIED) {
                drops.drop(full ? 'queue_full' : 'delay_exceeded');
                return;
              }
              if (wait > 0) {
                waiting.add(scheduler.schedule(release, wait, event));
                return;
              }
              out = { port: '', event };
            } else if (store.take(key(event), scheduler.now(), 0) === 0) {
              out = { port: '', event };
            } else if (onLimit === 'reroute') {
              out = { port: LIMITED_PORT, event };
            } else {
              drops.drop('throttled');
              return;
            }
          } catch {
            drops.drop('error', false);
            return;
          }
          subscriber.next(out);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (waiting.size === 0) subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        if (waiting.size > 0) {
          drops.drop('aborted', false, waiting.size);
          for (const action of waiting) action.unsubscribe();
          waiting.clear();
        }
      };
    });
}

export const throttleComponent = defineOperator({
  type: 'throttle',
  summary: 'Rate-limits events with a token bucket per user, command, channel, platform or globally.',
  description:
    'Every key gets a bucket of `burst` tokens refilled at `rate`. An event without a token is dropped (`throttled`), delayed until one arrives (`on_limit: delay`; `delay_exceeded` and `queue_full` count what cannot wait), or sent to the `_limited` port (`on_limit: reroute`). Authors with an `exempt_roles` role are never limited.',
  config: ThrottleConfig,
  ports: (config) => (config.on_limit === 'reroute' ? [LIMITED_PORT] : []),
  examples: [
    'rate: 1/2s\nburst: 3\nper: user',
    'rate: 10/s\nburst: 20\nper: [user, command]\non_limit: delay\nmax_delay: 2s\nmax_queue: 500',
    'rate: 30/m\nper: global\non_limit: reroute\nexempt_roles: [broadcaster]',
  ],
  create: (config, ctx) => throttle(config, { scheduler: ctx.scheduler, drops: ctx.metrics }),
});
