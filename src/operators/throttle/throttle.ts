import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { OutcomeReporter } from '../../core/commandOutcomes.js';
import type { Routed } from '../../core/component.js';
import { type ChatflowEvent, chatOf } from '../../core/events.js';
import { replyToChat } from '../../core/reply.js';
import { compileTemplate } from '../../core/template.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { isExempt, keyOf } from '../shared/limits.js';
import { type AsyncBucketStore, type BucketLimits, type BucketStore, DENIED, LocalBucketStore } from './bucket.js';
import { LIMITED_PORT, REPLY_PORT, type ThrottleConfig } from './config.js';

/** An async store's answer when it could not be reached. */
const REDIS_DOWN = -2;

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
  readonly store?: (limits: BucketLimits) => BucketStore | AsyncBucketStore;
  /**
   * Told of each redemption's command refused here (`COMMAND_OUTCOMES` in a pipeline):
   * `throttled`, `delay_exceeded`, `queue_full`, `redis_down`. A rerouted one is not refused here.
   */
  readonly outcomes?: OutcomeReporter;
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
 * With an async store (`scope: redis`) each event is acted on when the store answers, in
 * arrival order whatever order the answers come in (an exempt event waits its turn too); a
 * delayed event's wait starts when the answer arrives, so store latency can only add to it.
 * Completion waits for pending answers; a source error or an unsubscribe does not, and counts
 * the events still waiting for an answer as `aborted`.
 *
 * @param config The parsed {@link ThrottleConfig}.
 * @param deps Scheduler (clock and timers), drop counter and bucket store.
 * @see cooldown
 */
export function throttle(config: ThrottleConfig, deps: ThrottleDeps = {}): OperatorFunction<ChatflowEvent, Routed> {
  const { scheduler = asyncScheduler, drops = NO_DROPS, outcomes } = deps;
  const createStore = deps.store ?? ((limits: BucketLimits) => new LocalBucketStore(limits));
  const limits: BucketLimits = { burst: config.burst, rate: config.rate, maxKeys: config.max_keys };
  const key = keyOf(config.per);
  const exempt = new Set(config.exempt_roles);
  const { on_limit: onLimit, max_delay: maxDelay, max_queue: maxQueue, on_redis_down: onRedisDown } = config;
  const render = config.reply === undefined ? undefined : compileTemplate(config.reply);

  return (source) =>
    new Observable<Routed>((subscriber) => {
      // Per-subscription state: buckets, events waiting for a token, and (with an async store)
      // events waiting for the store's answer, in arrival order.
      const store = createStore(limits);
      const waiting = new Set<Subscription>();
      const answers: { event: ChatflowEvent; full: boolean; result: number | undefined }[] = [];
      let sourceDone = false;
      /** Keys answered since they last passed an event (with `reply`): each is answered once. */
      const answered = new Set<string>();
      /** Answers a refused chat event once per limited spell of its key. */
      const answer = (event: ChatflowEvent): void => {
        if (render === undefined) return;
        const chat = chatOf(event);
        if (chat === undefined) return;
        const k = key(event);
        if (answered.has(k)) return;
        if (answered.size >= config.max_keys) answered.clear();
        answered.add(k);
        const fields = {
          user: chat.author.displayName,
          login: chat.author.login,
          command: event.kind === 'command' ? event.name : event.kind,
          platform: chat.platform,
          channel: chat.channel,
        };
        subscriber.next({ port: REPLY_PORT, event: replyToChat(chat, render(fields)) });
      };
      const maybeComplete = () => {
        if (sourceDone && waiting.size === 0 && answers.length === 0) subscriber.complete();
      };

      function release(this: SchedulerAction<ChatflowEvent>, event?: ChatflowEvent): void {
        waiting.delete(this);
        this.unsubscribe();
        if (event !== undefined) subscriber.next({ port: '', event });
        maybeComplete();
      }

      /** Acts on one answer of the store: pass, delay, reroute or drop. */
      const decide = (event: ChatflowEvent, wait: number, full: boolean): void => {
        if (wait === 0) {
          if (answered.size > 0) answered.delete(key(event));
          subscriber.next({ port: '', event });
        } else if (onLimit === 'delay') {
          if (wait === DENIED) {
            const reason = full ? 'queue_full' : 'delay_exceeded';
            drops.drop(reason);
            outcomes?.(event, 'refused', reason);
            answer(event);
          } else waiting.add(scheduler.schedule(release, wait, event));
        } else if (onLimit === 'reroute') {
          subscriber.next({ port: LIMITED_PORT, event });
        } else {
          drops.drop('throttled');
          outcomes?.(event, 'refused', 'throttled');
          answer(event);
        }
      };

      /** Emits the answered events at the head of the queue, keeping arrival order. */
      const flushAnswers = (): void => {
        while (answers.length > 0 && (answers[0] as (typeof answers)[number]).result !== undefined) {
          const head = answers.shift() as (typeof answers)[number];
          if (head.result === REDIS_DOWN) {
            if (onRedisDown === 'deny') {
              drops.drop('redis_down', false);
              outcomes?.(head.event, 'refused', 'redis_down');
            } else subscriber.next({ port: '', event: head.event });
          } else {
            decide(head.event, head.result as number, head.full);
          }
        }
        maybeComplete();
      };

      const subscription = source.subscribe({
        next: (event) => {
          try {
            if (isExempt(event, exempt) && answers.length === 0) {
              subscriber.next({ port: '', event });
              return;
            }
            const full = onLimit === 'delay' && waiting.size >= maxQueue;
            const maxWait = onLimit === 'delay' && !full ? maxDelay : 0;
            const result = isExempt(event, exempt) ? 0 : store.take(key(event), scheduler.now(), maxWait);
            if (typeof result === 'number' && answers.length === 0) {
              decide(event, result, full);
              return;
            }
            const entry = { event, full, result: typeof result === 'number' ? result : undefined };
            answers.push(entry);
            if (typeof result !== 'number') {
              result.then(
                (wait) => {
                  entry.result = wait;
                  flushAnswers();
                },
                () => {
                  entry.result = REDIS_DOWN;
                  flushAnswers();
                },
              );
            }
          } catch {
            drops.drop('error', false);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });

      return () => {
        subscription.unsubscribe();
        if ('close' in store) store.close();
        const left = waiting.size + answers.length;
        if (left > 0) {
          drops.drop('aborted', false, left);
          for (const action of waiting) action.unsubscribe();
          waiting.clear();
          answers.length = 0;
        }
      };
    });
}
