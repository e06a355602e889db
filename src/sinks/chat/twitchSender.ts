/**
 * Sends chat on Twitch through Helix Send Chat Message, as the bot account (or the
 * broadcaster), threaded with `reply_parent_message_id` (reference/twitch-eventsub.md §4).
 * The bot's standing in a channel is read from Twitch (Get Moderated Channels): a moderator
 * or the broadcaster may send 100 messages per 30 s, anyone else 20.
 */
import { TwitchAuthError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TwitchAccountRole, TwitchAuth } from '../../core/twitchAuth.js';
import { call, type Fetch, jsonOf } from './http.js';
import { type ChannelRole, platformLimits } from './limits.js';
import type { ChannelStanding, ChatSender, OutgoingMessage, SendOutcome } from './sender.js';

export interface TwitchSenderOptions {
  readonly auth: TwitchAuth;
  /** Which signed-in account speaks. */
  readonly as: TwitchAccountRole;
  /** Epoch ms (ctx.wallClock), to turn `Ratelimit-Reset` into a wait. */
  readonly wallClock: () => number;
  readonly logger: Logger;
  readonly fetch?: Fetch;
}

/** Twitch's refusals that say the bot sends too fast: back off a window, read the standing again. */
const RATE_CODES = new Set(['msg_ratelimit', 'msg_timedout_rate']);
const WINDOW_MS = 30_000;

/** The Helix base for an endpoints setting: Twitch's own, or a local server's `/helix`. */
export function helixBase(helix: string): string {
  const base = helix.replace(/\/+$/, '');
  return new URL(base).pathname === '/' || new URL(base).pathname === '' ? `${base}/helix` : base;
}

export class TwitchSender implements ChatSender {
  readonly platform = 'twitch' as const;
  readonly #ids = new Map<string, string>();
  readonly #fetch: Fetch;
  #scopeWarned = false;

  constructor(private readonly options: TwitchSenderOptions) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  async standing(channel: string, channelId: string | undefined): Promise<ChannelStanding> {
    const sender = this.#sender();
    const broadcasterId = await this.#broadcasterId(channel, channelId);
    let role: ChannelRole = 'viewer';
    if (broadcasterId === sender.userId) role = 'broadcaster';
    else if (await this.#moderates(sender.userId, broadcasterId)) role = 'moderator';
    return { role, limits: platformLimits('twitch', role, 20) };
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    let sender: { userId: string };
    let broadcasterId: string;
    try {
      sender = this.#sender();
      broadcasterId = await this.#broadcasterId(message.channel, message.channelId);
    } catch (err) {
      if (err instanceof TwitchAuthError) return { kind: 'refused', reason: 'auth_failed', detail: err.message };
      throw err;
    }
    const body = {
      broadcaster_id: broadcasterId,
      sender_id: sender.userId,
      message: message.text,
      ...(message.replyTo === undefined ? {} : { reply_parent_message_id: message.replyTo }),
    };
    let response: Response;
    try {
      response = await this.#helix('POST', '/chat/messages', body);
    } catch (err) {
      if (err instanceof TwitchAuthError) return { kind: 'refused', reason: 'auth_failed', detail: err.message };
      throw err;
    }
    const json = await jsonOf(response);
    if (response.status === 200) {
      const first = (json?.data as { message_id?: string; is_sent?: boolean; drop_reason?: { code?: string; message?: string } }[] | undefined)?.[0];
      if (first?.is_sent === true) return { kind: 'sent', ...(first.message_id ? { id: first.message_id } : {}) };
      const code = first?.drop_reason?.code ?? 'not_sent';
      const detail = first?.drop_reason?.message;
      if (RATE_CODES.has(code)) return { kind: 'refused', reason: code, retryAfterMs: WINDOW_MS, relimit: true, ...(detail ? { detail } : {}) };
      return { kind: 'refused', reason: code, ...(detail ? { detail } : {}) };
    }
    const detail = typeof json?.message === 'string' ? json.message : `HTTP ${response.status}`;
    if (response.status === 429) {
      const reset = Number(response.headers.get('ratelimit-reset'));
      const wait = Number.isFinite(reset) && reset > 0 ? reset * 1000 - this.options.wallClock() : 1000;
      return { kind: 'refused', reason: 'http_429', detail, retryAfterMs: Math.max(1000, wait) };
    }
    if (response.status === 401 && /scope/i.test(detail)) return { kind: 'refused', reason: 'missing_scope', detail };
    const reasons: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 422: 'too_long' };
    return { kind: 'refused', reason: reasons[response.status] ?? `http_${response.status}`, detail };
  }

  #sender(): { userId: string } {
    const account = this.options.auth.account(this.options.as);
    if (account === undefined) {
      throw new TwitchAuthError(this.options.as, 'missing', `No Twitch ${this.options.as} account is signed in; run \`chatflow auth twitch${this.options.as === 'bot' ? ' --bot' : ''}\`.`);
    }
    return account;
  }

  async #broadcasterId(channel: string, channelId: string | undefined): Promise<string> {
    if (channelId !== undefined) return channelId;
    const known = this.#ids.get(channel);
    if (known !== undefined) return known;
    const response = await this.#helix('GET', `/users?login=${encodeURIComponent(channel)}`);
    const json = await jsonOf(response);
    const id = (json?.data as { id?: string }[] | undefined)?.[0]?.id;
    if (response.status !== 200 || id === undefined) throw new Error(`Twitch has no channel "${channel}" (HTTP ${response.status}).`);
    this.#ids.set(channel, id);
    return id;
  }

  /** Whether `userId` moderates `broadcasterId`; false (the lower limit) when Twitch will not say. */
  async #moderates(userId: string, broadcasterId: string): Promise<boolean> {
    let after = '';
    for (let page = 0; page < 50; page += 1) {
      const response = await this.#helix('GET', `/moderation/channels?user_id=${encodeURIComponent(userId)}&first=100${after}`);
      const json = await jsonOf(response);
      if (response.status !== 200) {
        if (!this.#scopeWarned) {
          this.#scopeWarned = true;
          this.options.logger.warn(
            { status: response.status, reason: json?.message },
            'Cannot read whether the bot is a moderator; sending at most 20 messages per 30 s.',
          );
        }
        return false;
      }
      const data = (json?.data as { broadcaster_id?: string }[] | undefined) ?? [];
      if (data.some((c) => c.broadcaster_id === broadcasterId)) return true;
      const cursor = (json?.pagination as { cursor?: string } | undefined)?.cursor;
      if (!cursor) return false;
      after = `&after=${encodeURIComponent(cursor)}`;
    }
    return false;
  }

  /** A Helix call with the speaking account's token, refreshed and tried once more on a 401. */
  async #helix(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const { auth } = this.options;
    const provider = auth.provider(this.options.as);
    const userId = this.#sender().userId;
    const url = `${helixBase(auth.endpoints.helix)}${path}`;
    const attempt = async (token: string) =>
      call(this.#fetch, url, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          'Client-Id': provider.clientId,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const token = await provider.getAccessTokenForUser(userId);
    if (token === null) throw new TwitchAuthError(this.options.as, 'missing', `No token for the Twitch ${this.options.as} account.`);
    const first = await attempt(token.accessToken);
    if (first.status !== 401 || provider.refreshAccessTokenForUser === undefined) return first;
    const json = await jsonOf(first.clone());
    if (typeof json?.message === 'string' && /scope/i.test(json.message)) return first;
    await first.body?.cancel();
    const fresh = await provider.refreshAccessTokenForUser(userId);
    return attempt(fresh.accessToken);
  }
}
