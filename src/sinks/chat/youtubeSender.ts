/**
 * Sends chat on YouTube through `liveChatMessages.insert` (reference/youtube-send.md): 200
 * characters, 20 quota units a call (every call is charged, failed ones too), counted against
 * the node's own `daily_quota` for sending, which resets at midnight Pacific as YouTube's does.
 */
import { call, type Fetch, jsonOf } from './http.js';
import { platformLimits } from './limits.js';
import type { ChannelStanding, ChatSender, OutgoingMessage, SendOutcome, AccessTokenSource } from './sender.js';

/** Quota units of one `liveChatMessages.insert` (youtube-send.md §3). */
export const INSERT_COST = 20;

export interface YoutubeSenderOptions {
  readonly token: AccessTokenSource;
  /** Data API base, `https://www.googleapis.com/youtube/v3`. */
  readonly api: string;
  readonly perWindow: number;
  readonly dailyQuota: number;
  /** Epoch ms, for the quota day. */
  readonly wallClock: () => number;
  readonly fetch?: Fetch;
}

const PACIFIC_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Reasons after which trying again soon is pointless, and reasons to wait a window. */
const WAIT_REASONS = new Set(['rateLimitExceeded']);

export class YoutubeSender implements ChatSender {
  readonly platform = 'youtube' as const;
  readonly #fetch: Fetch;
  #day = '';
  /** Quota units spent on sending this (Pacific) day. */
  spent = 0;
  /** YouTube said the project's quota is spent, this day. */
  #exhaustedDay = '';

  constructor(private readonly options: YoutubeSenderOptions) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  standing(): ChannelStanding {
    return { role: 'viewer', limits: platformLimits('youtube', 'viewer', this.options.perWindow) };
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const day = PACIFIC_DAY.format(this.options.wallClock());
    if (day !== this.#day) {
      this.#day = day;
      this.spent = 0;
    }
    if (this.#exhaustedDay === day || this.spent + INSERT_COST > this.options.dailyQuota) {
      return { kind: 'refused', reason: 'quota_exhausted', detail: `${this.spent} of ${this.options.dailyQuota} units spent today` };
    }
    const token = await this.options.token.accessToken().catch((err: unknown) => err as Error);
    if (token instanceof Error) return { kind: 'refused', reason: 'auth_failed', detail: token.message };
    this.spent += INSERT_COST;
    const response = await call(this.#fetch, `${this.options.api.replace(/\/+$/, '')}/liveChat/messages?part=snippet`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        snippet: { liveChatId: message.channel, type: 'textMessageEvent', textMessageDetails: { messageText: message.text } },
      }),
    });
    const json = await jsonOf(response);
    if (response.status === 200) return { kind: 'sent', ...(typeof json?.id === 'string' ? { id: json.id } : {}) };
    const error = json?.error as { message?: string; errors?: { reason?: string }[] } | undefined;
    const reason = error?.errors?.[0]?.reason ?? `http_${response.status}`;
    const detail = error?.message ?? `HTTP ${response.status}`;
    if (reason === 'quotaExceeded') this.#exhaustedDay = day;
    if (WAIT_REASONS.has(reason) || response.status === 429) {
      return { kind: 'refused', reason, detail, retryAfterMs: 30_000 };
    }
    return { kind: 'refused', reason, detail };
  }
}
