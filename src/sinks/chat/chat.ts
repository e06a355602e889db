/**
 * The `chat` sink: sends reply events as chat messages, each platform through its sender,
 * paced by {@link paceReplies} (a fair queue per viewer, priorities, the platform's limits).
 * The sink driver hands it batches; `write` only queues, so it never holds the pipeline up.
 */
import { Subject, type SchedulerLike, type Subscription } from 'rxjs';
import type { Sink } from '../../core/component.js';
import type { ChatflowEvent, Platform, ReplyEvent } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import type { DropCounter, PartHealth } from '../../core/metrics.js';
import type { ChatConfig } from './config.js';
import { type Delivery, type DropReason, paceReplies } from './pacer.js';
import { PlatformHealth } from './platformHealth.js';
import type { ChatSender } from './sender.js';

export interface ChatSinkDeps {
  readonly scheduler: SchedulerLike;
  /** Drops; with `reportParts` (a node's `NodeMetrics`), each platform's health too. */
  readonly metrics: DropCounter & { reportParts?(read: () => readonly PartHealth[]): void };
  /** Epoch ms, for when a back-off ends; the scheduler's clock when absent. */
  readonly wallClock?: () => number;
  readonly logger: Logger;
  /** The sender for a platform (made when first needed), or undefined when it is switched off. */
  readonly senderFor: (platform: Platform) => ChatSender | undefined;
}

/** Drops that are the sink's policy, not a loss. */
const INTENTIONAL: ReadonlySet<DropReason | 'not_reply'> = new Set(['queue_full', 'viewer_queue_full', 'stale', 'empty', 'not_reply']);

export class ChatSink implements Sink<ChatflowEvent> {
  readonly #input = new Subject<ReplyEvent>();
  readonly #outstanding = new Set<ReplyEvent>();
  readonly #senders = new Map<Platform, ChatSender | undefined>();
  /** Platform refusals by reason, retried or not (`http_429`, `msg_duplicate`, `missing_scope`, …). */
  readonly refusals = new Map<string, number>();
  /** Messages the platforms accepted. */
  sent = 0;
  readonly #health = new PlatformHealth();
  #subscription: Subscription | undefined;
  #idle: (() => void)[] = [];
  #inFlight = 0;
  #quiet: (() => void)[] = [];

  constructor(
    private readonly config: ChatConfig,
    private readonly deps: ChatSinkDeps,
  ) {
    this.#subscribe();
    // Every platform it sends to shows from the start (a missing sign-in at once, not at the first reply).
    for (const platform of ['twitch', 'youtube', 'kick'] as const) this.#sender(platform);
    deps.metrics.reportParts?.(() => this.parts());
  }

  /** Each platform's health now (`/health`, the dashboard). */
  parts(): PartHealth[] {
    const queued = new Map<Platform, number>();
    for (const reply of this.#outstanding) queued.set(reply.platform, (queued.get(reply.platform) ?? 0) + 1);
    return this.#health.view(
      this.#now(),
      (p) => queued.get(p) ?? 0,
      (p) => this.#senders.get(p)?.gauges?.(),
    );
  }

  #now(): number {
    return this.deps.wallClock?.() ?? this.deps.scheduler.now();
  }

  write(batch: readonly ChatflowEvent[]): void {
    for (const event of batch) {
      if (event.kind !== 'reply') {
        this.deps.metrics.drop('not_reply', true);
        continue;
      }
      this.#outstanding.add(event);
      this.#input.next(event);
    }
  }

  /** Resolves once every queued reply was sent or dropped (the driver bounds the wait). */
  flush(): Promise<void> {
    if (this.#outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    if (this.#outstanding.size > 0) {
      this.deps.metrics.drop('shutdown', false, this.#outstanding.size);
      this.deps.logger.warn({ replies: this.#outstanding.size }, 'Chat replies not sent before shutdown were dropped.');
    }
    this.#outstanding.clear();
    this.#settled();
  }

  /** Replies queued or in flight. */
  get pending(): number {
    return this.#outstanding.size;
  }

  #subscribe(): void {
    const { scheduler } = this.deps;
    const channels: Record<Platform, string | undefined> = {
      twitch: this.config.twitch.channel,
      youtube: this.config.youtube.channel,
      kick: this.config.kick.channel,
    };
    this.#subscription = this.#input
      .pipe(
        paceReplies({
          scheduler,
          senderFor: (platform) => this.#sender(platform),
          channelFor: (reply) => channels[reply.platform] ?? reply.channel,
          queue: { max: this.config.queue.max, perViewer: this.config.queue.per_viewer },
          maxAgeMs: this.config.queue.max_age,
          long: this.config.long,
          maxParts: this.config.max_parts,
          standingTtlMs: this.config.standing_every,
          maxAttempts: this.config.max_attempts,
          retryDelayMs: 1000,
        }),
      )
      .subscribe({
        next: (delivery) => this.#delivered(delivery),
        error: (err: unknown) => this.deps.logger.error({ err }, 'Chat sending stopped.'),
      });
  }

  #sender(platform: Platform): ChatSender | undefined {
    if (!this.#senders.has(platform)) {
      const sender = this.deps.senderFor(platform);
      this.#senders.set(platform, sender === undefined ? undefined : this.#tracked(sender));
      if (sender !== undefined) this.#health.opened(platform, sender.signedOut);
    }
    return this.#senders.get(platform);
  }

  /** Resolves when no platform call is in flight (tests run the sink in virtual time with it). */
  async quiet(): Promise<void> {
    for (;;) {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#quiet.push(resolve));
      // An answer's handling may start the next call: let it, then look again.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#inFlight === 0) return;
    }
  }

  /** The sender, counting its calls in flight for {@link quiet}. */
  #tracked(sender: ChatSender): ChatSender {
    const track = <T>(result: T | Promise<T>): T | Promise<T> => {
      if (!(result instanceof Promise)) return result;
      this.#inFlight += 1;
      const done = () => {
        this.#inFlight -= 1;
        if (this.#inFlight === 0) {
          const waiting = this.#quiet;
          this.#quiet = [];
          for (const resolve of waiting) resolve();
        }
      };
      result.then(done, done);
      return result;
    };
    return {
      platform: sender.platform,
      ...(sender.signedOut === undefined ? {} : { signedOut: sender.signedOut }),
      ...(sender.gauges === undefined ? {} : { gauges: () => sender.gauges?.() ?? {} }),
      standing: (channel, channelId) => track(sender.standing(channel, channelId)),
      send: (message) => track(sender.send(message)),
    };
  }

  #delivered(d: Delivery): void {
    const log = this.deps.logger;
    switch (d.kind) {
      case 'sent':
        this.sent += 1;
        this.#health.sent(d.reply.platform);
        log.debug({ platform: d.reply.platform, channel: d.reply.channel, part: d.part }, 'Chat message sent.');
        if (d.last) this.#done(d.reply);
        return;
      case 'refused': {
        this.#health.refused(d.reply.platform, d.reason, d.detail, d.retryAfterMs, this.#now());
        const seen = this.refusals.get(d.reason) ?? 0;
        this.refusals.set(d.reason, seen + 1);
        const fields = { platform: d.reply.platform, channel: d.reply.channel, reason: d.reason, detail: d.detail, retry: d.retry };
        if (seen === 0) log.warn(fields, 'Chat message refused by the platform.');
        else log.debug(fields, 'Chat message refused by the platform.');
        return;
      }
      case 'dropped': {
        const reason = d.reason === 'refused' ? `refused_${d.detail ?? 'unknown'}` : d.reason;
        this.#health.dropped(d.reply.platform);
        // Sending into the share kept for reading is refused by the sink's own policy, not lost.
        this.deps.metrics.drop(reason, INTENTIONAL.has(d.reason) || d.detail === 'quota_reserved');
        this.#done(d.reply);
        return;
      }
      case 'standing':
        this.#health.standing(d.platform, d.standing.role, d.standing.limits.perWindow);
        log.info(
          { platform: d.platform, channel: d.channel, role: d.standing.role, per30s: d.standing.limits.perWindow },
          'Chat standing read.',
        );
        return;
      case 'standing_failed':
        log.warn({ platform: d.platform, channel: d.channel, err: d.error.message }, 'Chat standing cannot be read; retrying.');
        return;
    }
  }

  #done(reply: ReplyEvent): void {
    this.#outstanding.delete(reply);
    if (this.#outstanding.size === 0) this.#settled();
  }

  #settled(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
