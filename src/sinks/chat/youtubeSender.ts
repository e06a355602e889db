/**
 * Sends chat on YouTube through `liveChatMessages.insert` (reference/youtube-send.md): 200
 * characters, 20 quota units a call (every call is charged, failed ones too), spent from the
 * process's one quota accounting (core/youtubeQuota.ts), where reading chat spends too: a send
 * goes out only while the project's day has room for it beyond what reading is still
 * guaranteed (`reading_reserve`).
 */
import { QUOTA_COST, type QuotaBudget, type YoutubeQuota } from '../../core/youtubeQuota.js';
import { call, type Fetch, jsonOf } from './http.js';
import { platformLimits } from './limits.js';
import type { ChannelStanding, ChatSender, OutgoingMessage, SendOutcome, AccessTokenSource } from './sender.js';

/** Quota units of one `liveChatMessages.insert` (youtube-send.md §3). */
export const INSERT_COST = QUOTA_COST['liveChatMessages.insert'];

/** After Google's `quotaExceeded`, sends wait this long before one tries again (or until the reset). */
export const QUOTA_RETRY_MS = 30 * 60_000;

export interface YoutubeSenderOptions {
  readonly token: AccessTokenSource;
  /** Data API base, `https://www.googleapis.com/youtube/v3`. */
  readonly api: string;
  readonly perWindow: number;
  /** The process's quota accounting (`YOUTUBE_QUOTA`), shared with the `youtube` source. */
  readonly quota: YoutubeQuota;
  /** The Google project and its daily quota (`quota_project`, `daily_quota`). */
  readonly budget: QuotaBudget;
  /** Share of `daily_quota` kept for reading chat (`reading_reserve`). */
  readonly readingReserve: number;
  /** Epoch ms, for the quota day. */
  readonly wallClock: () => number;
  readonly fetch?: Fetch;
  /** Told after every call what sending may still spend today (for the node's gauges). */
  readonly onQuota?: (usedBySending: number, leftForSending: number) => void;
}

/** Reasons after which trying again soon is pointless, and reasons to wait a window. */
const WAIT_REASONS = new Set(['rateLimitExceeded']);

export class YoutubeSender implements ChatSender {
  readonly platform = 'youtube' as const;
  readonly #fetch: Fetch;

  constructor(private readonly options: YoutubeSenderOptions) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  standing(): ChannelStanding {
    return { role: 'viewer', limits: platformLimits('youtube', 'viewer', this.options.perWindow) };
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const { quota, budget, readingReserve, wallClock } = this.options;
    const decision = quota.maySend(budget, readingReserve, INSERT_COST, wallClock());
    if (!decision.ok) {
      this.#report();
      return { kind: 'refused', reason: decision.reason, detail: decision.detail, unsent: true };
    }
    const token = await this.options.token.accessToken().catch((err: unknown) => err as Error);
    if (token instanceof Error) return { kind: 'refused', reason: 'auth_failed', detail: token.message, unsent: true };
    quota.spend(budget, 'send', INSERT_COST, wallClock());
    const response = await call(this.#fetch, `${this.options.api.replace(/\/+$/, '')}/liveChat/messages?part=snippet`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        snippet: { liveChatId: message.channel, type: 'textMessageEvent', textMessageDetails: { messageText: message.text } },
      }),
    });
    const json = await jsonOf(response);
    if (response.status === 200) {
      this.#report();
      return { kind: 'sent', ...(typeof json?.id === 'string' ? { id: json.id } : {}) };
    }
    const error = json?.error as { message?: string; errors?: { reason?: string }[] } | undefined;
    const reason = error?.errors?.[0]?.reason ?? `http_${response.status}`;
    const detail = error?.message ?? `HTTP ${response.status}`;
    if (reason === 'quotaExceeded') {
      const at = wallClock();
      quota.exhausted(budget.project, at, at + QUOTA_RETRY_MS);
    }
    this.#report();
    if (WAIT_REASONS.has(reason) || response.status === 429) {
      return { kind: 'refused', reason, detail, retryAfterMs: 30_000 };
    }
    return { kind: 'refused', reason, detail };
  }

  /** Where sending stands today: units it spent, units it may still spend. */
  gauges(): Record<string, number> {
    const { quota, budget, readingReserve, wallClock } = this.options;
    const at = wallClock();
    return { quota_used: quota.usage(budget.project, at).send, quota_left: quota.sendable(budget, readingReserve, at) };
  }

  /** Tells `onQuota` where sending stands today. */
  #report(): void {
    const { quota, budget, readingReserve, wallClock, onQuota } = this.options;
    if (onQuota === undefined) return;
    const at = wallClock();
    onQuota(quota.usage(budget.project, at).send, quota.sendable(budget, readingReserve, at));
  }
}
