/**
 * A fake YouTube send side (reference/youtube-send.md §7): `POST /youtube/v3/liveChat/messages`
 * with `part=snippet`, a Bearer token, the body's required fields, 200 code points at most,
 * 20 quota units per call charged even when it fails (403 `quotaExceeded` once spent), and a
 * chat rate (YouTube publishes none; `rateLimitExceeded` past `perWindow` per 30 s), switchable
 * failures, every error in Google's envelope. Its clock is `now` (a test's virtual clock).
 */
import type { Server } from 'node:http';
import { bearer, closeServer, type JsonAnswer, RateWindow, startJsonServer } from './chatSendServer.js';
import type { GoogleProject } from './youtubeServer.js';

export type YoutubeSendFault = 'liveChatEnded' | 'liveChatDisabled' | 'liveChatNotFound' | 'forbidden' | 'authError';

const STATUS: Record<string, number> = {
  liveChatEnded: 403,
  liveChatDisabled: 403,
  forbidden: 403,
  quotaExceeded: 403,
  rateLimitExceeded: 403,
  liveChatNotFound: 404,
  authError: 401,
};

export class FakeYoutubeSend {
  /** Accepted messages, in order. */
  readonly messages: { liveChatId: string; text: string; at: number }[] = [];
  /** Reasons answered instead of a message, in order. */
  readonly refusals: string[] = [];
  readonly tokens = new Set(['yt-token']);
  readonly rate = new RateWindow(20, 30_000);
  quotaBudget = 10_000;
  quotaUsed = 0;
  /** The Google project it charges instead of its own count, shared with the read side's fake. */
  project: GoogleProject | undefined;
  fault: YoutubeSendFault | undefined;
  now: () => number = () => Date.now();

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeYoutubeSend> {
    let fake: FakeYoutubeSend | undefined;
    const { server, port } = await startJsonServer((req) => (fake as FakeYoutubeSend).handle(req));
    fake = new FakeYoutubeSend(server, port);
    return fake;
  }

  /** The Data API base to configure (`youtube.api_url`). */
  get api(): string {
    return `http://127.0.0.1:${this.port}/youtube/v3`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  handle(req: Parameters<Parameters<typeof startJsonServer>[0]>[0]): JsonAnswer {
    if (req.method !== 'POST' || req.url.pathname !== '/youtube/v3/liveChat/messages') return this.#error(404, 'notFound', 'Not Found');
    const project = this.project ?? { budget: this.quotaBudget, used: this.quotaUsed };
    if (project.used + 20 > project.budget) return this.#error(403, 'quotaExceeded', 'The request cannot be completed because you have exceeded your quota.');
    project.used += 20;
    this.quotaUsed += 20;
    if (req.url.searchParams.get('part') !== 'snippet') return this.#error(400, 'required', 'Required parameter: part');
    if (!this.tokens.has(bearer(req)) || this.fault === 'authError') return this.#error(401, 'authError', 'Invalid Credentials');
    if (this.fault) return this.#error(STATUS[this.fault] ?? 403, this.fault, `Fault: ${this.fault}`);
    const snippet = (req.json?.snippet ?? {}) as { liveChatId?: string; type?: string; textMessageDetails?: { messageText?: string } };
    if (!snippet.liveChatId) return this.#error(400, 'liveChatIdRequired', 'The liveChatId is required.');
    if (!snippet.type) return this.#error(400, 'typeRequired', 'The type is required.');
    const text = snippet.textMessageDetails?.messageText;
    if (text === undefined) return this.#error(400, 'messageTextRequired', 'The messageText is required.');
    const length = [...text].length;
    if (length === 0 || length > 200) return this.#error(400, 'messageTextInvalid', 'The messageText is invalid.');
    const now = this.now();
    if (!this.rate.admit(snippet.liveChatId, now)) {
      return this.#error(403, 'rateLimitExceeded', 'The user has posted too many chat messages in a given timeframe.');
    }
    this.messages.push({ liveChatId: snippet.liveChatId, text, at: now });
    return {
      status: 200,
      body: {
        kind: 'youtube#liveChatMessage',
        etag: 'fake-etag',
        id: `LCC.fake${this.messages.length}`,
        snippet: {
          type: 'textMessageEvent',
          liveChatId: snippet.liveChatId,
          authorChannelId: 'UCbotbotbotbotbotbotbotbo',
          publishedAt: new Date(now).toISOString().replace('Z', '000+00:00'),
          hasDisplayContent: true,
          displayMessage: text,
          textMessageDetails: { messageText: text },
        },
      },
    };
  }

  #error(status: number, reason: string, message: string): JsonAnswer {
    if (status !== 404) this.refusals.push(reason);
    const domain = reason === 'quotaExceeded' ? 'youtube.quota' : 'youtube.liveChat';
    return { status, body: { error: { code: status, message, errors: [{ message, domain, reason }] } } };
  }
}
