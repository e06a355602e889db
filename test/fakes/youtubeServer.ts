/**
 * A fake YouTube on 127.0.0.1 (node:http), playing platform-protocols.md §3.4:
 *
 * - Data API v3: `GET /youtube/v3/videos?part=liveStreamingDetails&id=` (live, upcoming,
 *   ended, not a live stream, unknown) and `GET /youtube/v3/liveChat/messages` (requires
 *   `liveChatId`, `part` and `key`; the first page is the history; opaque `nextPageToken`s
 *   that each yield only what was appended since; `pollingIntervalMillis` always; `offlineAt`
 *   once the chat ends, then 403 `liveChatEnded`). Quota counted at 1 per videos call and 5
 *   per list, 403 `quotaExceeded` past `quotaBudget`; `rateLimitExceeded` when polled faster
 *   than advertised (`enforceInterval`). Faults injectable: quotaExceeded, liveChatEnded,
 *   liveChatNotFound, liveChatDisabled, keyInvalid (the real 400 INVALID_ARGUMENT envelope with
 *   `API_KEY_INVALID`), 429, 500. Errors use the Google envelope.
 * - innertube: `GET /watch?v=` (an HTML page carrying the markers youtube-chat scrapes:
 *   `INNERTUBE_API_KEY`, `clientVersion`, the first `continuation`, `isReplay`) and
 *   `POST /youtubei/v1/live_chat/get_live_chat?key=` (checks key, client and continuation;
 *   `invalidationContinuationData{continuation, timeoutMs}`; `actions` absent when nothing is
 *   new; no `continuations` once the chat ended). The captured innertube samples are
 *   anonymised fixtures of single messages, so the fake renders the same chat it serves over
 *   the Data API as innertube actions, in the structure of those samples (see
 *   {@link toInnertubeAction}): the two modes can be compared on the same messages.
 *
 * Every request is recorded (method, path, query, body, time, status) so tests can check quota
 * counting and poll pacing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiChatItem } from '../../src/sources/youtube/normalize.js';

export type YoutubeFault =
  | 'quotaExceeded'
  | 'liveChatEnded'
  | 'liveChatNotFound'
  | 'liveChatDisabled'
  | 'keyInvalid'
  | 'rateLimit429'
  | 'server500';

export interface FakeYoutubeOptions {
  /** Accepted Data API keys; default `['test-key']`. */
  readonly apiKeys?: readonly string[];
  /** `pollingIntervalMillis` (and innertube `timeoutMs`); default 100. */
  readonly pollingIntervalMillis?: number;
  /** Quota units after which every call gets 403 `quotaExceeded`; default unlimited. */
  readonly quotaBudget?: number;
  /**
   * The Google project the key belongs to, when another fake (the send side, youtubeSend.ts)
   * charges the same project: its `used` is charged too and its `budget` answers `quotaExceeded`.
   */
  readonly project?: GoogleProject;
  /** Answer 403 `rateLimitExceeded` to a poll that comes sooner than the advertised interval (minus 10 ms). */
  readonly enforceInterval?: boolean;
  /** Each page repeats this many of the items already delivered (overlapping pages). */
  readonly overlap?: number;
}

/** One Google Cloud project's daily quota, shared by the fakes of its calls. */
export interface GoogleProject {
  readonly budget: number;
  used: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** performance.now() when it arrived. */
  readonly at: number;
  status: number;
}

export type VideoState = 'live' | 'upcoming' | 'ended' | 'not_live';

interface Chat {
  readonly id: string;
  readonly videoId: string;
  readonly items: ApiChatItem[];
  ended: boolean;
  /** Pages served since the chat ended (1: `offlineAt` sent). */
  afterEnd: number;
}

export const INNERTUBE_KEY = 'AIzaSyFAKE-innertube-key';
export const CLIENT_VERSION = '2.20211119.09.00';

/** The header colour of each Super Chat tier (masterchat's SUPERCHAT_COLOR_MAP, reversed). */
const TIER_COLORS: Readonly<Record<number, number>> = {
  1: 4279592384,
  2: 4278237396,
  3: 4278239141,
  4: 4294947584,
  5: 4293284096,
  6: 4290910299,
  7: 4291821568,
};

const googleError = (code: number, message: string, reason: string, domain = 'youtube.liveChat') => ({
  error: { code, message, errors: [{ message, domain, reason }] },
});

const FAULTS: Record<YoutubeFault, { status: number; body: unknown }> = {
  quotaExceeded: {
    status: 403,
    body: googleError(403, 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.', 'quotaExceeded', 'youtube.quota'),
  },
  liveChatEnded: { status: 403, body: googleError(403, 'The live chat is no longer live.', 'liveChatEnded') },
  liveChatNotFound: { status: 404, body: googleError(404, 'The live chat that you are trying to retrieve cannot be found.', 'liveChatNotFound') },
  liveChatDisabled: { status: 403, body: googleError(403, 'The live chat is not enabled for the specified broadcast.', 'liveChatDisabled') },
  keyInvalid: {
    status: 400,
    body: {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        errors: [{ message: 'API key not valid. Please pass a valid API key.', domain: 'global', reason: 'badRequest' }],
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'youtube.googleapis.com' } },
        ],
      },
    },
  },
  rateLimit429: { status: 429, body: googleError(429, 'Resource has been exhausted (e.g. check quota).', 'rateLimitExceeded', 'global') },
  server500: { status: 500, body: googleError(500, 'Internal error encountered.', 'backendError', 'global') },
};

/** The fake. Create with {@link FakeYoutubeServer.start}; stop with {@link FakeYoutubeServer.close}. */
export class FakeYoutubeServer {
  readonly requests: RecordedRequest[] = [];
  /** Quota units charged so far (1 per videos call, 5 per list call). */
  quotaUsed = 0;
  readonly #videos = new Map<string, { state: VideoState; liveChatId: string }>();
  readonly #chats = new Map<string, Chat>();
  /** Opaque page tokens and continuations → (chat, offset into its items). */
  readonly #tokens = new Map<string, { chat: string; offset: number }>();
  readonly #faults: YoutubeFault[] = [];
  readonly #lastPoll = new Map<string, number>();
  #tokenSeq = 0;

  private constructor(
    private readonly server: Server,
    readonly options: FakeYoutubeOptions,
  ) {
    server.on('request', (req, res) => {
      void this.#handle(req, res);
    });
  }

  static async start(options: FakeYoutubeOptions = {}): Promise<FakeYoutubeServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeYoutubeServer(server, options);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `base_url` of the Data API. */
  get apiUrl(): string {
    return `${this.url}/youtube/v3`;
  }

  get interval(): number {
    return this.options.pollingIntervalMillis ?? 100;
  }

  /** Adds a video; a live one gets a chat with id `liveChatId` (default `chat-<videoId>`). */
  addVideo(videoId: string, state: VideoState = 'live', liveChatId = `chat-${videoId}`): string {
    this.#videos.set(videoId, { state, liveChatId });
    if (!this.#chats.has(liveChatId)) this.#chats.set(liveChatId, { id: liveChatId, videoId, items: [], ended: false, afterEnd: 0 });
    return liveChatId;
  }

  setVideoState(videoId: string, state: VideoState): void {
    const video = this.#videos.get(videoId);
    if (video !== undefined) video.state = state;
  }

  /** Appends items to a chat (their `liveChatId` set to it, as YouTube would). */
  push(liveChatId: string, items: readonly ApiChatItem[]): void {
    const chat = this.#chat(liveChatId);
    for (const item of items) {
      chat.items.push({ ...item, ...(item.snippet === undefined ? {} : { snippet: { ...item.snippet, liveChatId } }) });
    }
  }

  /** The stream goes offline: the next page carries `offlineAt`, later ones 403 `liveChatEnded`. */
  endChat(liveChatId: string): void {
    this.#chat(liveChatId).ended = true;
  }

  /** The next `count` Data API calls (or innertube calls, for the HTTP-level faults) fail with `fault`. */
  failNext(fault: YoutubeFault, count = 1): void {
    for (let i = 0; i < count; i++) this.#faults.push(fault);
  }

  /** Requests whose path ends with `suffix`. */
  calls(suffix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith(suffix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #chat(liveChatId: string): Chat {
    const chat = this.#chats.get(liveChatId);
    if (chat === undefined) throw new Error(`No chat ${liveChatId}`);
    return chat;
  }

  #token(chat: string, offset: number): string {
    this.#tokenSeq += 1;
    const token = `GK${Buffer.from(`${this.#tokenSeq}:${chat}:${offset}`).toString('base64url')}`;
    this.#tokens.set(token, { chat, offset });
    return token;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(body === undefined ? {} : { body }),
      at: performance.now(),
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown, type = 'application/json; charset=UTF-8') => {
      record.status = status;
      res.writeHead(status, { 'content-type': type });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /youtube/v3/videos':
        return this.#videosList(url, send);
      case 'GET /youtube/v3/liveChat/messages':
        return this.#messagesList(url, send);
      case 'GET /watch':
        return this.#watchPage(url, send);
      case 'POST /youtubei/v1/live_chat/get_live_chat':
        return this.#getLiveChat(url, body, send);
      default:
        return send(404, googleError(404, 'Not Found', 'notFound', 'global'));
    }
  }

  /** Key check, quota charge and injected faults shared by both Data API calls. */
  #gate(url: URL, cost: number, send: (status: number, payload: unknown) => void): boolean {
    const key = url.searchParams.get('key');
    if (key === null) {
      send(403, googleError(403, 'The request is missing a valid API key.', 'forbidden', 'global'));
      return false;
    }
    const fault = this.#faults.shift();
    if (fault !== undefined) {
      if (fault !== 'keyInvalid' && fault !== 'quotaExceeded') this.quotaUsed += cost;
      send(FAULTS[fault].status, FAULTS[fault].body);
      return false;
    }
    if (!(this.options.apiKeys ?? ['test-key']).includes(key)) {
      send(FAULTS.keyInvalid.status, FAULTS.keyInvalid.body);
      return false;
    }
    const project = this.options.project;
    if (
      (this.options.quotaBudget !== undefined && this.quotaUsed + cost > this.options.quotaBudget) ||
      (project !== undefined && project.used + cost > project.budget)
    ) {
      send(FAULTS.quotaExceeded.status, FAULTS.quotaExceeded.body);
      return false;
    }
    this.quotaUsed += cost;
    if (project !== undefined) project.used += cost;
    return true;
  }

  #videosList(url: URL, send: (status: number, payload: unknown) => void) {
    if (url.searchParams.get('part') === null) return send(400, googleError(400, "No filter selected. Expected one of: id, myRated, chart", 'missingRequiredParameter', 'youtube.parameter'));
    if (!this.#gate(url, 1, send)) return;
    const ids = (url.searchParams.get('id') ?? '').split(',').filter(Boolean);
    const items = ids.flatMap((id) => {
      const video = this.#videos.get(id);
      if (video === undefined) return [];
      const base = { kind: 'youtube#video', etag: `"etag-${id}"`, id };
      switch (video.state) {
        case 'not_live':
          return [base];
        case 'upcoming':
          return [{ ...base, liveStreamingDetails: { scheduledStartTime: '2030-01-01T00:00:00Z' } }];
        case 'ended':
          return [{ ...base, liveStreamingDetails: { actualStartTime: '2023-05-25T19:00:00Z', actualEndTime: '2023-05-25T21:00:00Z' } }];
        default:
          return [
            {
              ...base,
              liveStreamingDetails: { concurrentViewers: '5290', actualStartTime: '2023-05-25T19:00:00Z', activeLiveChatId: video.liveChatId },
            },
          ];
      }
    });
    send(200, { kind: 'youtube#videoListResponse', etag: '"list-etag"', items, pageInfo: { totalResults: items.length, resultsPerPage: items.length } });
  }

  #messagesList(url: URL, send: (status: number, payload: unknown) => void) {
    const liveChatId = url.searchParams.get('liveChatId');
    const part = url.searchParams.get('part');
    if (liveChatId === null || part === null) {
      return send(400, googleError(400, 'Required parameter: liveChatId / part', 'required', 'global'));
    }
    if (!this.#gate(url, 5, send)) return;
    const chat = this.#chats.get(liveChatId);
    if (chat === undefined) return send(FAULTS.liveChatNotFound.status, FAULTS.liveChatNotFound.body);
    if (this.options.enforceInterval) {
      const last = this.#lastPoll.get(liveChatId);
      const at = performance.now();
      this.#lastPoll.set(liveChatId, at);
      if (last !== undefined && at - last < this.interval - 10) {
        return send(403, googleError(403, 'The request was sent too soon after the previous one.', 'rateLimitExceeded'));
      }
    }
    if (chat.ended && chat.afterEnd > 0) return send(FAULTS.liveChatEnded.status, FAULTS.liveChatEnded.body);
    const token = url.searchParams.get('pageToken');
    let offset = 0;
    if (token !== null) {
      const known = this.#tokens.get(token);
      if (known === undefined || known.chat !== liveChatId) {
        return send(400, googleError(400, 'The request specifies an invalid page token.', 'pageTokenInvalid'));
      }
      offset = known.offset;
    }
    const maxResults = Number(url.searchParams.get('maxResults') ?? 500);
    const start = token === null ? Math.max(0, chat.items.length - maxResults) : Math.max(0, offset - (this.options.overlap ?? 0));
    const items = chat.items.slice(start, start + maxResults);
    const next = start + items.length;
    const response: Record<string, unknown> = {
      kind: 'youtube#liveChatMessageListResponse',
      etag: `"page-${next}"`,
      pollingIntervalMillis: this.interval,
      pageInfo: { totalResults: items.length, resultsPerPage: items.length },
      nextPageToken: this.#token(liveChatId, next),
      items,
    };
    if (chat.ended && next >= chat.items.length) {
      chat.afterEnd += 1;
      response.offlineAt = '2023-05-25T21:00:00Z';
    }
    send(200, response);
  }

  #watchPage(url: URL, send: (status: number, payload: unknown, type?: string) => void) {
    const videoId = url.searchParams.get('v') ?? '';
    const video = this.#videos.get(videoId);
    if (video === undefined) return send(404, '<html><body>This video isn\'t available anymore</body></html>', 'text/html; charset=utf-8');
    let continuation = '';
    if (video.state === 'live' || video.state === 'ended') {
      continuation = `"continuations":[{"reloadContinuationData":{"continuation":"${this.#token(video.liveChatId, 0)}","clickTrackingParams":"CAEQl98BIhMI"}}],`;
    }
    const replay = video.state === 'ended' ? '"isReplay":true,' : '';
    const html = [
      '<!DOCTYPE html><html lang="en"><head>',
      `<link rel="canonical" href="https://www.youtube.com/watch?v=${videoId}">`,
      '</head><body>',
      `<script>ytcfg.set({"INNERTUBE_API_KEY":"${INNERTUBE_KEY}","INNERTUBE_CLIENT_NAME":"WEB","INNERTUBE_CONTEXT":{"client":{"hl":"en","clientName":"WEB","clientVersion":"${CLIENT_VERSION}"}}});</script>`,
      `<script>var ytInitialData = {"contents":{"twoColumnWatchNextResults":{"conversationBar":{"liveChatRenderer":{${continuation}${replay}"header":{}}}}}};</script>`,
      '</body></html>',
    ].join('\n');
    send(200, html, 'text/html; charset=utf-8');
  }

  #getLiveChat(url: URL, body: unknown, send: (status: number, payload: unknown) => void) {
    if (url.searchParams.get('key') !== INNERTUBE_KEY) {
      return send(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
    }
    const fault = this.#faults.shift();
    if (fault === 'rateLimit429' || fault === 'server500') return send(FAULTS[fault].status, FAULTS[fault].body);
    const request = body as { context?: { client?: { clientName?: string; clientVersion?: string } }; continuation?: string } | undefined;
    const client = request?.context?.client;
    if (client?.clientName !== 'WEB' || client.clientVersion !== CLIENT_VERSION) {
      return send(400, { error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' } });
    }
    const known = typeof request?.continuation === 'string' ? this.#tokens.get(request.continuation) : undefined;
    if (known === undefined) {
      return send(400, { error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' } });
    }
    const chat = this.#chat(known.chat);
    const start = Math.max(0, known.offset - (known.offset === 0 ? 0 : (this.options.overlap ?? 0)));
    const items = chat.items.slice(start);
    const next = start + items.length;
    const actions = items.map(toInnertubeAction).filter((a) => a !== undefined);
    const liveChatContinuation: Record<string, unknown> = {};
    if (!(chat.ended && next >= chat.items.length)) {
      liveChatContinuation.continuations = [
        {
          invalidationContinuationData: {
            invalidationId: { objectSource: 1056, objectId: 'objectId', topic: 'topic', subscribeToGcmTopics: true, protoCreationTimestampMs: '1637648016661' },
            timeoutMs: this.interval,
            continuation: this.#token(known.chat, next),
          },
        },
      ];
    }
    if (actions.length > 0) liveChatContinuation.actions = actions;
    send(200, { responseContext: { serviceTrackingParams: [] }, continuationContents: { liveChatContinuation } });
  }
}

const usec = (publishedAt: string | undefined): string => {
  const ms = Date.parse((publishedAt ?? '').replace(/(\.\d{3})\d+/, '$1'));
  const micro = /\.\d{3}(\d{3})/.exec(publishedAt ?? '')?.[1] ?? '000';
  return `${Number.isFinite(ms) ? ms : 0}${micro}`;
};

const runs = (text: string) => ({ runs: [{ text }] });

/** The `authorBadges` innertube shows for the API's author flags. */
function badges(item: ApiChatItem): unknown[] {
  const a = item.authorDetails ?? {};
  const out: unknown[] = [];
  const icon = (iconType: string, tooltip: string) => ({
    liveChatAuthorBadgeRenderer: { icon: { iconType }, tooltip, accessibility: { accessibilityData: { label: tooltip } } },
  });
  if (a.isChatOwner) out.push(icon('OWNER', 'Owner'));
  if (a.isChatModerator) out.push(icon('MODERATOR', 'Moderator'));
  if (a.isVerified) out.push(icon('VERIFIED', 'Verified'));
  if (a.isChatSponsor) {
    out.push({
      liveChatAuthorBadgeRenderer: {
        customThumbnail: { thumbnails: [{ url: 'https://membership.badge.url' }, { url: 'https://membership.badge.url' }] },
        tooltip: 'Member (6 months)',
        accessibility: { accessibilityData: { label: 'Member (6 months)' } },
      },
    });
  }
  return out;
}

/**
 * One Data API item as the innertube action YouTube's web chat gets for it, in the structure of
 * the captured innertube samples (youtube-samples.json `innertube-*`). Items innertube shows
 * nothing for (tombstones, polls, chat end) give undefined.
 */
export function toInnertubeAction(item: ApiChatItem): unknown {
  const s = item.snippet ?? {};
  const a = item.authorDetails ?? {};
  const common = {
    id: item.id,
    timestampUsec: usec(s.publishedAt),
    authorExternalChannelId: a.channelId ?? s.authorChannelId,
    authorName: { simpleText: a.displayName ?? '' },
    authorPhoto: { thumbnails: [{ url: 'https://author.thumbnail.url', width: 32, height: 32 }, { url: 'https://author.thumbnail.url', width: 64, height: 64 }] },
    contextMenuEndpoint: { commandMetadata: { webCommandMetadata: { ignoreNavigation: true } }, liveChatItemContextMenuEndpoint: { params: '' } },
    contextMenuAccessibility: { accessibilityData: { label: 'Chat actions' } },
  };
  const withBadges = (renderer: Record<string, unknown>) => {
    const list = badges(item);
    return list.length === 0 ? renderer : { ...renderer, authorBadges: list };
  };
  const d = (key: string) => (s[key] ?? {}) as Record<string, unknown>;
  const add = (name: string, renderer: Record<string, unknown>) => ({ addChatItemAction: { item: { [name]: withBadges(renderer) }, clientId: '' } });
  switch (s.type) {
    case 'textMessageEvent':
      return add('liveChatTextMessageRenderer', { message: runs(String(d('textMessageDetails').messageText ?? '')), ...common });
    case 'superChatEvent': {
      const details = d('superChatDetails');
      const comment = details.userComment;
      return add('liveChatPaidMessageRenderer', {
        ...common,
        purchaseAmountText: { simpleText: details.amountDisplayString },
        ...(typeof comment === 'string' && comment !== '' ? { message: runs(comment) } : {}),
        headerBackgroundColor: TIER_COLORS[Number(details.tier)] ?? 4279592384,
        headerTextColor: 3741319168,
        bodyBackgroundColor: 4294953512,
        bodyTextColor: 3741319168,
        authorNameTextColor: 2315255808,
        timestampColor: 2147483648,
        trackingParams: '',
      });
    }
    case 'superStickerEvent': {
      const details = d('superStickerDetails');
      const meta = (details.superStickerMetadata ?? {}) as Record<string, unknown>;
      return add('liveChatPaidStickerRenderer', {
        ...common,
        purchaseAmountText: { simpleText: details.amountDisplayString },
        sticker: { thumbnails: [{ url: '//lh3.googleusercontent.com/sticker', width: 40, height: 40 }], accessibility: { accessibilityData: { label: meta.altText } } },
        moneyChipBackgroundColor: 4294953512,
        moneyChipTextColor: 3741319168,
        stickerDisplayWidth: 104,
        stickerDisplayHeight: 104,
        backgroundColor: TIER_COLORS[Number(details.tier)] ?? 4279592384,
        authorNameTextColor: 2315255808,
        trackingParams: '',
      });
    }
    case 'newSponsorEvent': {
      const level = String(d('newSponsorDetails').memberLevelName ?? '');
      return add('liveChatMembershipItemRenderer', { ...common, headerSubtext: { runs: [{ text: 'Welcome to ' }, { text: level }, { text: '!' }] } });
    }
    case 'memberMilestoneChatEvent': {
      const details = d('memberMilestoneChatDetails');
      const comment = details.userComment;
      return add('liveChatMembershipItemRenderer', {
        ...common,
        headerPrimaryText: { runs: [{ text: 'Member for ' }, { text: String(details.memberMonth) }, { text: ' months' }] },
        headerSubtext: { simpleText: String(details.memberLevelName ?? '') },
        ...(typeof comment === 'string' && comment !== '' ? { message: runs(comment) } : {}),
      });
    }
    case 'membershipGiftingEvent': {
      const details = d('membershipGiftingDetails');
      const list = badges(item);
      return {
        addChatItemAction: {
          item: {
            liveChatSponsorshipsGiftPurchaseAnnouncementRenderer: {
              id: item.id,
              timestampUsec: common.timestampUsec,
              authorExternalChannelId: common.authorExternalChannelId,
              header: {
                liveChatSponsorshipsHeaderRenderer: {
                  authorName: common.authorName,
                  authorPhoto: common.authorPhoto,
                  primaryText: {
                    runs: [
                      { text: 'Gifted ', bold: true },
                      { text: String(details.giftMembershipsCount), bold: true },
                      { text: ' ', bold: true },
                      { text: String(details.giftMembershipsLevelName ?? ''), bold: true },
                      { text: ' memberships', bold: true },
                    ],
                  },
                  ...(list.length === 0 ? {} : { authorBadges: list }),
                  contextMenuEndpoint: common.contextMenuEndpoint,
                  contextMenuAccessibility: common.contextMenuAccessibility,
                  image: { thumbnails: [{ url: 'https://www.gstatic.com/youtube/img/sponsorships/sponsorships_gift_purchase_announcement_artwork.png' }] },
                },
              },
            },
          },
          clientId: '',
        },
      };
    }
    case 'giftMembershipReceivedEvent':
      return add('liveChatSponsorshipsGiftRedemptionAnnouncementRenderer', {
        ...common,
        message: { runs: [{ text: 'received a gift membership by ', italics: true }, { text: 'Generous', bold: true, italics: true }] },
      });
    case 'messageDeletedEvent':
      return {
        markChatItemAsDeletedAction: {
          deletedStateMessage: { runs: [{ text: 'Message deleted by ' }, { text: a.displayName ?? '', bold: true }, { text: '.' }] },
          targetItemId: d('messageDeletedDetails').deletedMessageId,
          showOriginalContentMessage: { runs: [{ text: 'View deleted message', italics: true }] },
        },
      };
    case 'userBannedEvent': {
      const banned = (d('userBannedDetails').bannedUserDetails ?? {}) as Record<string, unknown>;
      return {
        markChatItemsByAuthorAsDeletedAction: {
          deletedStateMessage: { runs: [{ text: 'Message deleted by ' }, { text: a.displayName ?? '', bold: true }, { text: '.' }] },
          externalChannelId: banned.channelId,
          showOriginalContentMessage: { runs: [{ text: 'View deleted message', italics: true }] },
        },
      };
    }
    default:
      return undefined;
  }
}
