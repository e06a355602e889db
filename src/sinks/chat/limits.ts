/**
 * Each platform's sending limits, and the two clocks the chat sink keeps per channel to stay
 * under them: a sliding window of recent sends and the texts sent within the duplicate window.
 */
import type { Platform } from '../../core/events.js';

/** The bot's standing in a channel, as the platform reports it. */
export type ChannelRole = 'broadcaster' | 'moderator' | 'viewer';

/** What a channel lets the bot send. */
export interface ChannelLimits {
  /** Messages per `windowMs`. */
  readonly perWindow: number;
  readonly windowMs: number;
  /** Longest message, code points. */
  readonly maxLength: number;
  /** An identical text within this long is refused (0: no such rule). */
  readonly duplicateMs: number;
}

const WINDOW_MS = 30_000;

/**
 * The documented limits (reference/platform-protocols.md §1.7, youtube-send.md §6,
 * kick-send.md §2). Twitch: 20 per 30 s, 100 where the bot is moderator or broadcaster, an
 * identical message within 30 s refused, 500 characters. YouTube: 200 characters, no published
 * rate (`rateLimitExceeded` exists). Kick: 500 characters, no published rate. Where no rate
 * is published chatflow keeps to Twitch's viewer rate (configurable).
 */
export function platformLimits(platform: Platform, role: ChannelRole, undocumentedPer30s: number): ChannelLimits {
  switch (platform) {
    case 'twitch':
      return { perWindow: role === 'viewer' ? 20 : 100, windowMs: WINDOW_MS, maxLength: 500, duplicateMs: 30_000 };
    case 'youtube':
      return { perWindow: undocumentedPer30s, windowMs: WINDOW_MS, maxLength: 200, duplicateMs: 0 };
    case 'kick':
      return { perWindow: undocumentedPer30s, windowMs: WINDOW_MS, maxLength: 500, duplicateMs: 0 };
  }
}

/**
 * Sends in the last window, as a sliding log (a client cannot see when a platform refills a
 * bucket, so a fixed-window or bucket count can burst over it). A send is counted from when it
 * starts and, once answered, from when the answer came (the platform received it in between),
 * so a slow request never lets the next window start early.
 */
export class SendWindow {
  /** Times of the sends in the window, oldest first. */
  readonly #times: number[] = [];

  constructor(public limits: Pick<ChannelLimits, 'perWindow' | 'windowMs'>) {}

  /** The earliest time from `now` at which another send fits. */
  nextFree(now: number): number {
    this.#forget(now);
    if (this.#times.length < this.limits.perWindow) return now;
    const oldest = this.#times[this.#times.length - this.limits.perWindow] ?? now;
    return oldest + this.limits.windowMs;
  }

  /** Counts a send starting at `now`; returns its handle for {@link settle}. */
  reserve(now: number): number {
    this.#times.push(now);
    return now;
  }

  /** The send reserved at `started` was answered at `now`: count it from then. */
  settle(started: number, now: number): void {
    const i = this.#times.lastIndexOf(started);
    if (i < 0 || now <= started) return;
    this.#times.splice(i, 1);
    let at = this.#times.length;
    while (at > 0 && (this.#times[at - 1] ?? 0) > now) at -= 1;
    this.#times.splice(at, 0, now);
  }

  /** The send reserved at `started` never reached the platform: it takes no slot. */
  release(started: number): void {
    const i = this.#times.lastIndexOf(started);
    if (i >= 0) this.#times.splice(i, 1);
  }

  /** Sends counted in the window ending at `now`. */
  count(now: number): number {
    this.#forget(now);
    return this.#times.length;
  }

  #forget(now: number): void {
    let drop = 0;
    while (drop < this.#times.length && (this.#times[drop] ?? 0) + this.limits.windowMs <= now) drop += 1;
    if (drop > 0) this.#times.splice(0, drop);
  }
}

/** Texts sent recently in one channel, for the platform's identical-message rule. */
export class RecentTexts {
  readonly #sentAt = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /** When `text` may be sent again (≤ now: it may now). */
  allowedAt(text: string, now: number): number {
    if (this.windowMs <= 0) return now;
    const at = this.#sentAt.get(text);
    if (at === undefined) return now;
    if (at + this.windowMs <= now) {
      this.#sentAt.delete(text);
      return now;
    }
    return at + this.windowMs;
  }

  sent(text: string, now: number): void {
    if (this.windowMs <= 0) return;
    this.#sentAt.delete(text);
    this.#sentAt.set(text, now);
    // Oldest first (re-set texts move to the end): forget from the front what the window passed.
    for (const [t, at] of this.#sentAt) {
      if (at + this.windowMs > now) break;
      this.#sentAt.delete(t);
    }
  }
}
