/**
 * A fake Kick send side (reference/kick-send.md §2, §4.2): `POST /public/v1/chat` with a Bearer
 * token holding `chat:write` (else 401 `{"data":{},"message":"Unauthorized"}`), `type` user or
 * bot, `broadcaster_user_id` required for `user`, `content` at most 500 characters, answers
 * `{"data":{"is_sent":true,"message_id":…},"message":"OK"}`; switchable `is_sent: false` and
 * "Channel not found". Kick publishes no chat rate: past `perWindow` per 30 s it answers 429
 * with `Retry-After` (its real answer is unknown). `GET /public/v1/channels?slug=` gives the
 * broadcaster's user id. Its clock is `now` (a test's virtual clock).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { bearer, closeServer, type JsonAnswer, RateWindow, startJsonServer } from './chatSendServer.js';

export class FakeKickSend {
  readonly messages: { broadcaster_user_id: number; content: string; reply_to_message_id?: string; at: number }[] = [];
  readonly refusals: string[] = [];
  /** Token → its scopes. */
  readonly tokens = new Map<string, readonly string[]>([['kick-token', ['user:read', 'chat:write']]]);
  /** Channel slug → broadcaster user id. */
  readonly channels = new Map<string, number>([['streamer', 123456789]]);
  readonly rate = new RateWindow(20, 30_000);
  /** The next sends answer `is_sent: false` this many times. */
  unsent = 0;
  now: () => number = () => Date.now();

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeKickSend> {
    let fake: FakeKickSend | undefined;
    const { server, port } = await startJsonServer((req) => (fake as FakeKickSend).handle(req));
    fake = new FakeKickSend(server, port);
    return fake;
  }

  /** The public API base to configure (`kick.api_url`). */
  get api(): string {
    return `http://127.0.0.1:${this.port}/public/v1`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  handle(req: Parameters<Parameters<typeof startJsonServer>[0]>[0]): JsonAnswer {
    const scopes = this.tokens.get(bearer(req));
    if (scopes === undefined) return this.#refuse(401, 'unauthorized', { data: {}, message: 'Unauthorized' });
    if (req.method === 'GET' && req.url.pathname === '/public/v1/channels') {
      const id = this.channels.get(req.url.searchParams.get('slug') ?? '');
      return { status: 200, body: { data: id === undefined ? [] : [{ broadcaster_user_id: id, slug: req.url.searchParams.get('slug') }], message: 'OK' } };
    }
    if (req.method !== 'POST' || req.url.pathname !== '/public/v1/chat') return { status: 404, body: { data: {}, message: 'Not found' } };
    if (!scopes.includes('chat:write')) return this.#refuse(401, 'unauthorized', { data: {}, message: 'Unauthorized' });
    const body = req.json ?? {};
    if (body.type !== 'user' && body.type !== 'bot') return this.#refuse(400, 'bad_request', { data: 'type must be user or bot', message: 'Bad request' });
    const broadcaster = body.broadcaster_user_id;
    if (body.type === 'user' && (typeof broadcaster !== 'number' || !Number.isInteger(broadcaster))) {
      return this.#refuse(400, 'bad_request', { data: 'broadcaster_user_id is required', message: 'Bad request' });
    }
    if (![...this.channels.values()].includes(broadcaster as number)) {
      return this.#refuse(400, 'channel_not_found', { data: 'Channel not found', message: 'Bad request' });
    }
    const content = typeof body.content === 'string' ? body.content : '';
    if (content === '' || [...content].length > 500) return this.#refuse(400, 'bad_request', { data: 'content must be 1 to 500 characters', message: 'Bad request' });
    if (this.unsent > 0) {
      this.unsent -= 1;
      this.refusals.push('not_sent');
      return { status: 200, body: { data: { is_sent: false, message_id: '' }, message: 'OK' } };
    }
    const now = this.now();
    if (!this.rate.admit(String(broadcaster), now)) {
      return { ...this.#refuse(429, 'rate_limited', { data: {}, message: 'Too Many Attempts.' }), headers: { 'Retry-After': '30' } };
    }
    this.messages.push({
      broadcaster_user_id: broadcaster as number,
      content,
      ...(typeof body.reply_to_message_id === 'string' ? { reply_to_message_id: body.reply_to_message_id } : {}),
      at: now,
    });
    return { status: 200, body: { data: { is_sent: true, message_id: randomUUID() }, message: 'OK' } };
  }

  #refuse(status: number, reason: string, body: unknown): JsonAnswer {
    this.refusals.push(reason);
    return { status, body };
  }
}
