/**
 * The chat sink's scheduling, as an RxJS operator so it can be marble-tested: replies in, what
 * happened to each out (sent, refused, dropped), at the scheduler time it happened. One outbox
 * per platform channel: a fair queue (fairQueue.ts), a sliding window of sends and the texts
 * sent lately (limits.ts), the platform's standing for the bot, and a back-off after a 429.
 * One message is in flight per channel at a time, so sends stay in order.
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Platform, ReplyEvent } from '../../core/events.js';
import { replyPriority } from '../../core/reply.js';
import { FairQueue, type QueueDropReason, type Queued } from './fairQueue.js';
import { RecentTexts, SendWindow } from './limits.js';
import type { ChannelStanding, ChatSender, SendOutcome } from './sender.js';
import { fitReply, type LongMode } from './text.js';

export interface PacerOptions {
  readonly scheduler: SchedulerLike;
  /** The sender for a platform, or undefined when the sink does not send there. */
  readonly senderFor: (platform: Platform) => ChatSender | undefined;
  /** Per platform, the channel to answer in instead of the reply's own. */
  readonly channelFor?: (reply: ReplyEvent) => string;
  readonly queue: { readonly max: number; readonly perViewer: number };
  /** A reply still queued this long after it arrived is dropped as `stale`. */
  readonly maxAgeMs: number;
  readonly long: LongMode;
  readonly maxParts: number;
  /** How long a channel's standing (moderator or not) is trusted before it is read again. */
  readonly standingTtlMs: number;
  /** Attempts of one message that fails or is asked to wait, before it is dropped. */
  readonly maxAttempts: number;
  /** Wait after a failed send (no answer, 5xx), doubled per attempt. */
  readonly retryDelayMs: number;
}

/** What happened to a reply (or one of its parts). */
export type Delivery =
  | {
      readonly kind: 'sent';
      readonly reply: ReplyEvent;
      readonly text: string;
      readonly part: number;
      /** The reply's last message: it is done. */
      readonly last: boolean;
      readonly id?: string;
    }
  | {
      readonly kind: 'refused';
      readonly reply: ReplyEvent;
      readonly reason: string;
      readonly detail?: string;
      readonly retry: boolean;
      /** The channel sends nothing for this long (the platform's reset header, a failed call's backoff). */
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'dropped'; readonly reply: ReplyEvent; readonly reason: DropReason; readonly detail?: string }
  | { readonly kind: 'standing'; readonly platform: Platform; readonly channel: string; readonly standing: ChannelStanding }
  | { readonly kind: 'standing_failed'; readonly platform: Platform; readonly channel: string; readonly error: Error };

export type DropReason =
  | QueueDropReason
  | 'empty'
  | 'no_sender'
  | 'refused'
  | 'send_failed'
  | 'shutdown';

interface Pending {
  readonly reply: ReplyEvent;
  readonly parts: readonly string[];
  next: number;
  attempts: number;
}

/** Lane of the bot's own messages (a reply answering no viewer). */
export const BOT_LANE = '\u0000bot';

class Outbox {
  readonly queue: FairQueue<Pending>;
  readonly window = new SendWindow({ perWindow: 1, windowMs: 30_000 });
  recent = new RecentTexts(0);
  standing: ChannelStanding | undefined;
  standingAt = 0;
  backoffUntil = 0;
  busy = false;
  timer: Subscription | undefined;

  constructor(
    readonly platform: Platform,
    readonly channel: string,
    readonly channelId: string | undefined,
    readonly sender: ChatSender,
    options: PacerOptions,
  ) {
    this.queue = new FairQueue({ max: options.queue.max, perLane: options.queue.perViewer });
  }
}

/**
 * Paces replies to each platform's limits. Emits a {@link Delivery} for everything that
 * happens; completes when the source completed and every outbox is empty.
 */
export function paceReplies(options: PacerOptions): OperatorFunction<ReplyEvent, Delivery> {
  const { scheduler } = options;
  return (source) =>
    new Observable<Delivery>((subscriber) => {
      const outboxes = new Map<string, Outbox>();
      let sourceDone = false;
      let closed = false;

      const idle = () => [...outboxes.values()].every((o) => !o.busy && o.queue.size === 0);
      const maybeComplete = () => {
        if (sourceDone && idle() && !closed) subscriber.complete();
      };

      const wake = (box: Outbox, at: number) => {
        box.timer?.unsubscribe();
        box.timer = scheduler.schedule(() => {
          box.timer = undefined;
          pump(box);
        }, Math.max(0, at - scheduler.now()));
      };

      const readStanding = (box: Outbox) => {
        box.busy = true;
        settle(
          () => box.sender.standing(box.channel, box.channelId),
          (standing) => {
            box.busy = false;
            box.standing = standing;
            box.standingAt = scheduler.now();
            box.window.limits = standing.limits;
            box.recent = new RecentTexts(standing.limits.duplicateMs);
            subscriber.next({ kind: 'standing', platform: box.platform, channel: box.channel, standing });
            pump(box);
          },
          (error) => {
            box.busy = false;
            subscriber.next({ kind: 'standing_failed', platform: box.platform, channel: box.channel, error });
            // Try again later; meanwhile the queue ages and drops what turns stale.
            box.backoffUntil = scheduler.now() + options.retryDelayMs;
            wake(box, box.backoffUntil);
          },
        );
      };

      const pump = (box: Outbox): void => {
        if (box.busy || closed) return;
        box.timer?.unsubscribe();
        box.timer = undefined;
        const now = scheduler.now();
        for (const drop of box.queue.expire(now, options.maxAgeMs)) {
          subscriber.next({ kind: 'dropped', reply: drop.entry.item.reply, reason: drop.reason });
        }
        if (box.queue.size === 0) {
          maybeComplete();
          return;
        }
        if (now < box.backoffUntil) {
          wake(box, box.backoffUntil);
          return;
        }
        if (box.standing === undefined || now - box.standingAt >= options.standingTtlMs) {
          readStanding(box);
          return;
        }
        const free = box.window.nextFree(now);
        if (free > now) {
          wake(box, free);
          return;
        }
        const textOf = (p: Pending) => p.parts[p.next] as string;
        const entry = box.queue.take((p) => box.recent.allowedAt(textOf(p), now) <= now);
        if (entry === undefined) {
          // Every lane waits for an identical text's window to pass (or for an item to turn stale).
          let at = Number.POSITIVE_INFINITY;
          for (const head of box.queue.heads()) {
            at = Math.min(at, box.recent.allowedAt(textOf(head.item), now), head.at + options.maxAgeMs);
          }
          wake(box, at);
          return;
        }
        const pending = entry.item;
        const text = textOf(pending);
        const started = box.window.reserve(now);
        box.busy = true;
        pending.attempts += 1;
        settle(
          () =>
            box.sender.send({
              platform: box.platform,
              channel: box.channel,
              ...(box.channelId === undefined ? {} : { channelId: box.channelId }),
              text,
              ...(pending.reply.replyTo === undefined ? {} : { replyTo: pending.reply.replyTo }),
            }),
          (outcome) => answered(box, entry, text, started, outcome),
          (error) =>
            answered(box, entry, text, started, {
              kind: 'refused',
              reason: 'send_failed',
              detail: error.message,
              retryAfterMs: options.retryDelayMs * 2 ** (pending.attempts - 1),
            }),
        );
      };

      const answered = (box: Outbox, entry: Queued<Pending>, text: string, started: number, outcome: SendOutcome) => {
        box.busy = false;
        const now = scheduler.now();
        if (outcome.kind === 'refused' && outcome.unsent === true) box.window.release(started);
        else box.window.settle(started, now);
        const pending = entry.item;
        if (outcome.kind === 'sent') {
          box.recent.sent(text, now);
          subscriber.next({
            kind: 'sent',
            reply: pending.reply,
            text,
            part: pending.next,
            last: pending.next === pending.parts.length - 1,
            ...(outcome.id === undefined ? {} : { id: outcome.id }),
          });
          pending.next += 1;
          pending.attempts = 0;
          if (pending.next < pending.parts.length) box.queue.putBack(entry);
        } else {
          const retry = outcome.retryAfterMs !== undefined && pending.attempts < options.maxAttempts;
          subscriber.next({
            kind: 'refused',
            reply: pending.reply,
            reason: outcome.reason,
            ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
            retry,
            ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
          });
          if (outcome.relimit === true) box.standing = undefined;
          if (outcome.retryAfterMs !== undefined) box.backoffUntil = Math.max(box.backoffUntil, now + outcome.retryAfterMs);
          if (retry) box.queue.putBack(entry);
          else {
            subscriber.next({
              kind: 'dropped',
              reply: pending.reply,
              reason: outcome.reason === 'send_failed' ? 'send_failed' : 'refused',
              detail: outcome.reason,
            });
          }
        }
        pump(box);
      };

      const outboxFor = (reply: ReplyEvent): Outbox | undefined => {
        const sender = options.senderFor(reply.platform);
        if (sender === undefined) return undefined;
        const channel = options.channelFor?.(reply) ?? reply.channel;
        const key = `${reply.platform}\u0000${channel}`;
        let box = outboxes.get(key);
        if (box === undefined) {
          const channelId = channel === reply.channel ? reply.channelId : undefined;
          box = new Outbox(reply.platform, channel, channelId, sender, options);
          outboxes.set(key, box);
        }
        return box;
      };

      const subscription = source.subscribe({
        next: (reply) => {
          const box = outboxFor(reply);
          if (box === undefined) {
            subscriber.next({ kind: 'dropped', reply, reason: 'no_sender', detail: reply.platform });
            return;
          }
          const maxLength = box.standing?.limits.maxLength ?? defaultMaxLength(reply.platform);
          const parts = fitReply(reply.text, { maxLength, long: options.long, maxParts: options.maxParts });
          if (parts.length === 0) {
            subscriber.next({ kind: 'dropped', reply, reason: 'empty' });
            return;
          }
          const drop = box.queue.push({
            item: { reply, parts, next: 0, attempts: 0 },
            lane: reply.viewer === undefined ? BOT_LANE : reply.viewer.id,
            priority: replyPriority(reply),
            at: scheduler.now(),
          });
          if (drop) subscriber.next({ kind: 'dropped', reply: drop.entry.item.reply, reason: drop.reason });
          pump(box);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });

      return () => {
        closed = true;
        subscription.unsubscribe();
        for (const box of outboxes.values()) box.timer?.unsubscribe();
        outboxes.clear();
      };
    });
}

/** What a platform's limits say before its standing was read (the same for every role). */
function defaultMaxLength(platform: Platform): number {
  return platform === 'youtube' ? 200 : 500;
}

/**
 * Calls `run` and hands its result to `ok` (or its throw to `failed`): at once when it is a
 * value, when it settles when it is a promise. Keeps marble tests synchronous.
 */
function settle<T>(run: () => T | Promise<T>, ok: (value: T) => void, failed: (error: Error) => void): void {
  let result: T | Promise<T>;
  try {
    result = run();
  } catch (err) {
    failed(err instanceof Error ? err : new Error(String(err)));
    return;
  }
  if (result instanceof Promise) {
    result.then(ok, (err: unknown) => failed(err instanceof Error ? err : new Error(String(err))));
  } else ok(result);
}
