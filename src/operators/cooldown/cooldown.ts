import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscriber,
  type TeardownLogic,
} from 'rxjs';
import type { Routed } from '../../core/component.js';
import { type ChatflowEvent, chatOf, type Platform, type ReplyEvent, type Role } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { viewerOf } from '../../core/reply.js';
import { compileTemplate, type Template } from '../../core/template.js';
import { authorOf, GenerationMap, isExempt, keyOf } from '../shared/limits.js';
import type { OutcomeReporter } from '../../core/commandOutcomes.js';
import { type CooldownConfig, COOLING_PORT } from './config.js';
import type { CooldownAnswer, CooldownStore } from './redisStore.js';

/** Collaborators of {@link cooldown}. */
export interface CooldownDeps {
  /** Clock; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /**
   * A shared store (`scope: redis`), made per subscription; answers resolve in call order and
   * are emitted in arrival order. Default: local cooldowns.
   */
  readonly shared?: () => CooldownStore;
  /** Told of each redemption's command refused here (`COMMAND_OUTCOMES` in a pipeline). */
  readonly outcomes?: OutcomeReporter;
}

/** The cooldown of one key. */
interface Cooling {
  /** Scheduler time at which the key may pass again. */
  readonly until: number;
  replied: boolean;
}

/** What a reply template renders from. */
interface ReplyFields {
  readonly user: string;
  readonly login: string;
  readonly command: string;
  readonly left: number;
  readonly left_ms: number;
  readonly platform: Platform;
  readonly channel: string;
}

/**
 * Lets the first event of a key through and starts its cooldown; events of the key during the
 * cooldown are swallowed (counted as `cooling`), and a {@link ReplyEvent} saying how long is
 * left goes to the `_cooling` port.
 *
 * ```text
 * duration: 3s (a, b, d: !cv from one viewer; r: "@viewer, cv is cooling down (3s left).")
 * source:   -a-b 3s d|
 * result:   -a-r 3s d|
 * ```
 *
 * The cooldown runs from the event that passed; tries during it do not extend it. With
 * `reply_once` (the default) only the first swallowed event of a cooldown gets a reply, so a
 * user hammering a command cannot turn the bot into a spammer. Events that name no platform
 * and channel (control, metric) are swallowed without a reply. Authors with an `exempt_roles`
 * role pass without starting or meeting a cooldown.
 *
 * With a shared store (`scope: redis`) each event is acted on when the store answers, in
 * arrival order whatever order the answers come in (an exempt event waits its turn too); the
 * result completes once every pending answer is acted on. A source error, or an unsubscribe,
 * ends it at once: events still waiting for an answer are counted as `aborted`.
 *
 * @param config The parsed {@link CooldownConfig}.
 * @param deps Scheduler (clock), drop counter and shared store.
 * @see throttle
 */
export function cooldown(config: CooldownConfig, deps: CooldownDeps = {}): OperatorFunction<ChatflowEvent, Routed> {
  const { scheduler = asyncScheduler, drops = NO_DROPS, outcomes } = deps;
  const key = keyOf(config.per);
  const exempt = new Set(config.exempt_roles);
  const render = compileTemplate(config.reply);
  const { duration: durationMs, reply_once: replyOnce, max_keys: maxKeys } = config;

  return (source) =>
    new Observable<Routed>((subscriber) => {
      if (deps.shared) return sharedCooldown(source, subscriber, deps.shared(), config, key, exempt, render, drops, outcomes);
      // Per-subscription state: the cooling keys.
      const cooling = new GenerationMap<Cooling>(maxKeys);

      return source.subscribe({
        next: (event) => {
          let out: Routed | undefined;
          try {
            if (isExempt(event, exempt)) {
              out = { port: '', event };
            } else {
              const k = key(event);
              const now = scheduler.now();
              const entry = cooling.get(k);
              if (entry === undefined || entry.until <= now) {
                cooling.expire(now, durationMs);
                cooling.set(k, { until: now + durationMs, replied: false }, now);
                out = { port: '', event };
              } else {
                drops.drop('cooling');
                outcomes?.(event, 'refused', 'cooling');
                if (replyOnce && entry.replied) return;
                entry.replied = true;
                const reply = replyFor(event, entry.until - now, render);
                if (reply === undefined) return;
                out = { port: COOLING_PORT, event: reply };
              }
            }
          } catch {
            drops.drop('error', false);
            return;
          }
          subscriber.next(out);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * The `scope: redis` path: each event asks the shared store; answers are acted on in arrival
 * order (an exempt event behind pending answers waits its turn too).
 */
function sharedCooldown(
  source: Observable<ChatflowEvent>,
  subscriber: Subscriber<Routed>,
  store: CooldownStore,
  config: CooldownConfig,
  key: (event: ChatflowEvent) => string,
  exempt: ReadonlySet<Role>,
  render: Template,
  drops: DropCounter,
  outcomes: OutcomeReporter | undefined,
): TeardownLogic {
  const answers: { event: ChatflowEvent; answer: CooldownAnswer | 'down' | undefined }[] = [];
  let sourceDone = false;
  const flush = (): void => {
    while (answers.length > 0 && (answers[0] as (typeof answers)[number]).answer !== undefined) {
      const { event, answer } = answers.shift() as (typeof answers)[number];
      if (answer === 'down') {
        if (config.on_redis_down === 'deny') {
          drops.drop('redis_down', false);
          outcomes?.(event, 'refused', 'redis_down');
        } else subscriber.next({ port: '', event });
      } else if (answer !== undefined && answer.left === 0) {
        subscriber.next({ port: '', event });
      } else if (answer !== undefined) {
        drops.drop('cooling');
        outcomes?.(event, 'refused', 'cooling');
        const reply = answer.reply ? replyFor(event, answer.left, render) : undefined;
        if (reply) subscriber.next({ port: COOLING_PORT, event: reply });
      }
    }
    if (sourceDone && answers.length === 0) subscriber.complete();
  };
  const subscription = source.subscribe({
    next: (event) => {
      try {
        if (isExempt(event, exempt)) {
          answers.push({ event, answer: { left: 0, reply: false } });
          flush();
          return;
        }
        // Ask before queueing: an event whose key or store call throws must not stay at the
        // head of the queue unanswered, holding back every later event and completion.
        const pending = store.check(key(event), config.duration, config.reply_once);
        const entry: (typeof answers)[number] = { event, answer: undefined };
        answers.push(entry);
        pending.then(
          (answer) => {
            entry.answer = answer;
            flush();
          },
          () => {
            entry.answer = 'down';
            flush();
          },
        );
      } catch {
        drops.drop('error', false);
      }
    },
    error: (err: unknown) => subscriber.error(err),
    complete: () => {
      sourceDone = true;
      flush();
    },
  });
  return () => {
    subscription.unsubscribe();
    store.close();
    if (answers.length > 0) drops.drop('aborted', false, answers.length);
    answers.length = 0;
  };
}

function replyFor(event: ChatflowEvent, leftMs: number, render: Template): ReplyEvent | undefined {
  const chat = chatOf(event);
  const subject = chat ?? (event.kind === 'platform' ? event : undefined);
  if (subject === undefined) return undefined;
  const author = authorOf(event);
  const fields: ReplyFields = {
    user: author?.displayName ?? 'anonymous',
    login: author?.login ?? 'anonymous',
    command: event.kind === 'command' ? event.name : event.kind,
    left: Math.ceil(leftMs / 1000),
    left_ms: leftMs,
    platform: subject.platform,
    channel: subject.channel,
  };
  const reply: ReplyEvent = {
    kind: 'reply',
    platform: subject.platform,
    channel: subject.channel,
    text: render(fields),
    receivedAt: event.receivedAt,
    ...(chat === undefined ? {} : { replyTo: chat.id, viewer: viewerOf(chat) }),
  };
  return reply;
}
