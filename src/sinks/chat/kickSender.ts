/**
 * Sends chat on Kick through the public API, `POST /public/v1/chat` as the signed-in user
 * (`type: "user"`; reference/kick-send.md §2): 500 characters, the broadcaster's user id looked
 * up from the channel slug, threaded with `reply_to_message_id`. Kick publishes no rate.
 */
import { call, type Fetch, jsonOf } from './http.js';
import { platformLimits } from './limits.js';
import type { ChannelStanding, ChatSender, OutgoingMessage, SendOutcome, AccessTokenSource } from './sender.js';

export interface KickSenderOptions {
  readonly token: AccessTokenSource;
  /** Public API base, `https://api.kick.com/public/v1`. */
  readonly api: string;
  readonly perWindow: number;
  /** Epoch ms, to turn a 429's `Retry-After` date into a wait. */
  readonly wallClock: () => number;
  readonly fetch?: Fetch;
}

export class KickSender implements ChatSender {
  readonly platform = 'kick' as const;
  readonly #fetch: Fetch;
  readonly #ids = new Map<string, number>();

  constructor(private readonly options: KickSenderOptions) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  standing(): ChannelStanding {
    return { role: 'viewer', limits: platformLimits('kick', 'viewer', this.options.perWindow) };
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const token = await this.options.token.accessToken().catch((err: unknown) => err as Error);
    if (token instanceof Error) return { kind: 'refused', reason: 'auth_failed', detail: token.message };
    const broadcaster = message.channelId !== undefined ? Number(message.channelId) : await this.#broadcasterId(message.channel, token);
    if (broadcaster === undefined || !Number.isInteger(broadcaster)) {
      return { kind: 'refused', reason: 'channel_not_found', detail: `Kick has no channel "${message.channel}"` };
    }
    const response = await call(this.#fetch, `${this.#base()}/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        type: 'user',
        broadcaster_user_id: broadcaster,
        content: message.text,
        ...(message.replyTo === undefined ? {} : { reply_to_message_id: message.replyTo }),
      }),
    });
    const json = await jsonOf(response);
    const data = json?.data as { is_sent?: boolean; message_id?: string } | string | undefined;
    if (response.status === 200) {
      if (typeof data === 'object' && data.is_sent === true) return { kind: 'sent', ...(data.message_id ? { id: data.message_id } : {}) };
      return { kind: 'refused', reason: 'not_sent', detail: 'Kick answered is_sent: false' };
    }
    const detail = typeof data === 'string' ? data : typeof json?.message === 'string' ? json.message : `HTTP ${response.status}`;
    if (response.status === 429) {
      const after = Number(response.headers.get('retry-after'));
      return { kind: 'refused', reason: 'http_429', detail, retryAfterMs: Number.isFinite(after) && after > 0 ? after * 1000 : 30_000, relimit: true };
    }
    const reasons: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden' };
    return { kind: 'refused', reason: reasons[response.status] ?? `http_${response.status}`, detail };
  }

  #base(): string {
    return this.options.api.replace(/\/+$/, '');
  }

  async #broadcasterId(slug: string, token: string): Promise<number | undefined> {
    const known = this.#ids.get(slug);
    if (known !== undefined) return known;
    const response = await call(this.#fetch, `${this.#base()}/channels?slug=${encodeURIComponent(slug)}`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
    const json = await jsonOf(response);
    const id = (json?.data as { broadcaster_user_id?: number }[] | undefined)?.[0]?.broadcaster_user_id;
    if (response.status !== 200 || typeof id !== 'number') return undefined;
    this.#ids.set(slug, id);
    return id;
  }
}
