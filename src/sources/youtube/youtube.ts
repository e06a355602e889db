/**
 * `youtube`: YouTube live chat, polled through the Data API v3 (with a quota budget that
 * lasts the stream) or, without an API key, through innertube; normalized into chat and
 * platform events.
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { PipelineError, SourceDisconnectedError, SourceFatalError, toError } from '../../core/errors.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { DropCounter, SourceHealth } from '../../core/metrics.js';
import { formatDuration } from '../../core/units.js';
import { ownMessages } from '../shared/ownMessages.js';
import { type BackoffPolicy, backoffDelay } from '../../core/backoff.js';
import {
  type ApiFailure,
  classifyApiFailure,
  type Fetch,
  fetchText,
  type HttpTextAnswer,
  type MessageListResponse,
  messagesUrl,
  parseJson,
  videoState,
  videosUrl,
} from './apiClient.js';
import {
  getLiveChatBody,
  getLiveChatUrl,
  INNERTUBE_HEADERS,
  readLiveChatPage,
  scrapeWatchPage,
  watchPageUrl,
} from './innertubeClient.js';
import type { YoutubeConfig } from './config.js';
import { normalizeInnertubeAction } from './innertubeNormalize.js';
import { createYoutubeNodeState, gateYoutubeEvent, type YoutubeNodeState } from './session.js';
import { type ItemOutcome, normalizeYoutubeItem, type YoutubeItemContext } from './normalize.js';
import { planPolling } from './quota.js';
import { msUntilQuotaReset, QUOTA_COST, type QuotaBudget, YoutubeQuota } from '../../core/youtubeQuota.js';
import { HealthReport } from '../shared/healthReport.js';


/** What the source reports besides drops; a node's `NodeMetrics` fits. */
export interface YoutubeMetrics extends DropCounter {
  count(name: string, n?: number): void;
  gauge(name: string, value: number): void;
  error?(err?: unknown): void;
}

const NO_METRICS: YoutubeMetrics = { drop: () => {}, count: () => {}, gauge: () => {} };

/** What {@link youtubeChat} needs besides its config; a pipeline's `ComponentContext` fits. */
export interface YoutubeDeps {
  /** Node id, for errors. */
  readonly id: string;
  readonly logger?: Logger;
  /** Timers (poll pacing, backoff, request timeouts). */
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock for `receivedAt`. */
  readonly clock?: () => number;
  /** Wall clock (epoch ms): quota day, stream length, lag. The context's `wallClock`. */
  readonly now: () => number;
  readonly metrics?: YoutubeMetrics;
  readonly setHealth?: (health: SourceHealth) => void;
  /** HTTP; defaults to global fetch. */
  readonly fetch?: Fetch;
  /** Jitter of the backoff; defaults to Math.random. */
  readonly random?: () => number;
  /** Position and recent ids kept across re-subscriptions; one per node. */
  readonly state?: YoutubeNodeState;
  /**
   * The process's quota accounting (`YOUTUBE_QUOTA`), shared with the `chat` sink's sends;
   * a private one when absent.
   */
  readonly quota?: YoutubeQuota;
}

/** Failed polls in a row after which health is `stale`. */
const STALE_AFTER_FAILURES = 2;
/** The Data API's usual pace, when an answer leaves out `pollingIntervalMillis`. */
const DEFAULT_POLL_MS = 5000;
/** innertube: longest wait between two `get_live_chat` calls, whatever `timeoutMs` says. */
const INNERTUBE_MAX_WAIT_MS = 5000;

/**
 * Reads one YouTube live chat as chat and platform events.
 *
 * ```text
 * api:        videos.list ─ messages (history) ─ wait ─ messages ─ wait ─ messages …
 * health:     connecting ─────── live ───────────────────────────────────────────
 * result:     ──────────── (backfill: skipped) ──────── chat ─── super_chat ──────
 * ```
 *
 * `api` mode looks up `activeLiveChatId` with `videos.list` (or uses `live_chat_id`), then
 * polls `liveChatMessages.list` with each `nextPageToken`, waiting at least
 * `pollingIntervalMillis`, longer when the quota budget needs it (see
 * {@link planPolling}). `innertube` mode scrapes the watch page and follows
 * `get_live_chat` continuations. Either way:
 *
 * - the first page is history: `backfill: true`, dropped by default (`backfill: skip`);
 * - every event id is checked against the node's recent ids (pages overlap; restarts);
 * - 429, 5xx, timeouts and network errors are retried with capped exponential backoff
 *   keeping the page token (health `stale` after two in a row);
 * - quota exhausted: health `reconnecting`, error `ERR_SOURCE_QUOTA`, polling paused for
 *   `quota_retry` or until the midnight-Pacific reset;
 * - the chat ended (`liveChatEnded`, `liveChatNotFound`, `offlineAt`, `chatEndedEvent`, the
 *   video's `actualEndTime`, no innertube continuation): the stream completes;
 * - a bad key, a disabled chat, an unknown or non-live video, a missing setting:
 *   {@link SourceFatalError} naming what to fix.
 *
 * @param config Parsed config.
 * @param deps Node id, logger, scheduler, clocks, metrics, health, fetch, state.
 */
export function youtubeChat(config: YoutubeConfig, deps: YoutubeDeps): Observable<ChatEvent | PlatformEvent> {
  const {
    id,
    logger: log = silentLogger(),
    scheduler = asyncScheduler,
    clock = () => performance.now(),
    now,
    metrics = NO_METRICS,
    setHealth = () => undefined,
    fetch: fetchImpl = globalThis.fetch,
    random = Math.random,
  } = deps;
  const state = deps.state ?? createYoutubeNodeState();
  const quota = deps.quota ?? new YoutubeQuota();
  const budget: QuotaBudget = { project: config.quota_project, dailyQuota: config.daily_quota };
  const policy: BackoffPolicy = { initialMs: config.retry.initial_backoff, maxMs: config.retry.max_backoff, jitter: 0.2 };
  const videoId = config.video_id;

  return new Observable<ChatEvent | PlatformEvent>((subscriber) => {
    state.subscriptions += 1;
    if (state.startedAt === undefined) state.startedAt = now();
    const health = new HealthReport(setHealth);
    const report = health.report;
    report(state.subscriptions > 1 ? 'reconnecting' : 'connecting');

    let stopped = false;
    let timer: Subscription | undefined;
    const controller = new AbortController();
    let failures = 0;
    let waitingLogged = false;

    const stop = () => {
      stopped = true;
      timer?.unsubscribe();
      timer = undefined;
      controller.abort();
    };
    const fail = (message: string, cause?: unknown) => {
      if (stopped) return;
      stop();
      const err = new SourceFatalError(id, message, cause === undefined ? undefined : { cause });
      report('failed');
      log.error({ err }, 'YouTube chat failed; not retrying.');
      subscriber.error(err);
    };
    const end = (fields: Record<string, unknown>, message: string) => {
      if (stopped) return;
      stop();
      log.info(fields, message);
      subscriber.complete();
    };
    type Step = () => Promise<void>;
    const run = (step: Step) => {
      if (stopped) return;
      step().catch((err: unknown) => {
        // A bug or an answer nothing expected: let the runtime restart the source.
        if (stopped) return;
        stop();
        log.warn({ err }, 'YouTube chat poll crashed; the source restarts.');
        subscriber.error(new SourceDisconnectedError(id, { cause: err }));
      });
    };
    const later = (step: Step, ms: number) => {
      if (stopped) return;
      timer?.unsubscribe();
      timer = scheduler.schedule(() => {
        timer = undefined;
        run(step);
      }, Math.max(0, ms));
    };

    /** One HTTP call with `request_timeout` (a scheduler timer), aborted on unsubscribe. */
    const request = async (url: string, init: RequestInit): Promise<HttpTextAnswer | Error> => {
      const call = new AbortController();
      const onAbort = () => call.abort();
      controller.signal.addEventListener('abort', onAbort);
      const timeout = scheduler.schedule(
        () => call.abort(new Error(`No answer within ${formatDuration(config.request_timeout)} (request_timeout)`)),
        config.request_timeout,
      );
      try {
        return await fetchText(fetchImpl, url, { ...init, signal: call.signal });
      } catch (err) {
        return call.signal.reason instanceof Error ? call.signal.reason : toError(err);
      } finally {
        timeout.unsubscribe();
        controller.signal.removeEventListener('abort', onAbort);
      }
    };

    /** A failed poll that may work later: capped exponential backoff, `stale` after a few. */
    const retryLater = (step: Step, err: Error, retryAfterMs = 0) => {
      failures += 1;
      metrics.error?.(err);
      const delayMs = Math.max(backoffDelay(policy, failures, random), retryAfterMs);
      if (failures === 1) log.warn({ err, delayMs }, 'YouTube chat poll failed; retrying after backoff.');
      else log.debug({ err, attempt: failures, delayMs }, 'YouTube chat poll failed again.');
      if (failures >= STALE_AFTER_FAILURES && health.current !== 'stale') {
        report('stale');
        log.warn({ failures }, 'YouTube chat stale: polls keep failing.');
      }
      later(step, delayMs);
    };

    const quotaGauges = () => {
      const at = now();
      metrics.gauge('quota_remaining', quota.remaining(budget, at));
      return at;
    };

    const spend = (units: number) => {
      const at = now();
      const crossed = quota.spend(budget, 'read', units, at);
      metrics.count('quota_used', units);
      for (const threshold of crossed) {
        log.warn(
          { ...quota.usage(budget.project, at), dailyQuota: config.daily_quota, percent: threshold * 100 },
          'YouTube API quota running low.',
        );
      }
    };

    /** The quota is gone (YouTube said so, or `daily_quota` is spent): pause until it resets. */
    const quotaPause = (step: Step, failure: ApiFailure | undefined) => {
      const at = now();
      const resetInMs = msUntilQuotaReset(at);
      const waitMs = failure === undefined ? resetInMs : Math.min(config.quota_retry, resetInMs + 60_000);
      // Google said so: the chat sink's sends stop too, until this node tries again.
      if (failure !== undefined) quota.exhausted(budget.project, at, at + waitMs);
      const err = new PipelineError(
        'ERR_SOURCE_QUOTA',
        'receiving',
        failure === undefined
          ? `daily_quota (${config.daily_quota} units) is spent; polling resumes when the quota resets at midnight Pacific time.`
          : `YouTube API quota exhausted (${failure.reason}: ${failure.message}); polling paused for ${formatDuration(waitMs)}.`,
        { node: id },
      );
      metrics.error?.(err);
      metrics.gauge('quota_remaining', 0);
      metrics.gauge('quota_exhausted_in_s', 0);
      report('reconnecting');
      log.warn({ err, retryInMs: waitMs, resetInMs }, 'YouTube API quota exhausted; polling paused until it resets.');
      later(step, waitMs);
    };

    const apiFailed = (step: Step, failure: ApiFailure, retryAfterMs?: number) => {
      const cause = new Error(`HTTP ${failure.status} ${failure.reason}: ${failure.message}`);
      switch (failure.kind) {
        case 'ended':
          state.pageToken = undefined;
          if (config.live_chat_id === undefined) state.liveChatId = undefined;
          end({ reason: failure.reason, liveChatId: state.liveChatId }, 'YouTube live chat has ended; the source stops.');
          return;
        case 'quota':
          quotaPause(step, failure);
          return;
        case 'retry':
          retryLater(step, cause, retryAfterMs);
          return;
        case 'fatal':
          fail(fatalMessage(failure, config), cause);
          return;
      }
    };

    /** Counts what an item was; returns true when it said the chat ended. */
    const tally = (outcome: ItemOutcome): boolean => {
      switch (outcome) {
        case 'events':
          return false;
        case 'ended':
          return true;
        case 'silent':
          metrics.drop('silent_item');
          return false;
        case 'unsupported':
          metrics.drop('unsupported_item');
          return false;
        case 'malformed':
          metrics.drop('malformed_item', false);
          return false;
      }
    };

    let newestTs = Number.NEGATIVE_INFINITY;
    const own = ownMessages(config.bot_login);
    const emit = (event: ChatEvent | PlatformEvent) => {
      const out = gateYoutubeEvent(event, state.seen, config.backfill, metrics);
      if (out === undefined) return;
      if (out.backfill !== true && out.ts > newestTs) newestTs = out.ts;
      subscriber.next(out.kind === 'chat' ? own(out) : out);
    };
    const pageContext = (channel: string, backfill: boolean): YoutubeItemContext => {
      newestTs = Number.NEGATIVE_INFINITY;
      return { channel, receivedAt: clock(), backfill, now };
    };
    const afterPage = (first: boolean, channel: string) => {
      failures = 0;
      if (health.current !== 'live') log.info({ channel, history: first }, 'YouTube chat live.');
      report('live');
      if (newestTs > Number.NEGATIVE_INFINITY) metrics.gauge('lag_ms', Math.max(0, now() - newestTs));
    };

    // ── Data API ───────────────────────────────────────────────────────────────────────────

    const resolveChat: Step = async () => {
      if (config.live_chat_id !== undefined) state.liveChatId = config.live_chat_id;
      if (state.liveChatId !== undefined) return poll();
      const vid = videoId as string;
      const answer = await request(videosUrl(config.base_url, config.api_key, vid), { headers: { accept: 'application/json' } });
      if (stopped) return;
      if (answer instanceof Error) return retryLater(resolveChat, answer);
      spend(QUOTA_COST['videos.list']);
      quotaGauges();
      const body = parseJson(answer.text);
      if (answer.status !== 200) return apiFailed(resolveChat, classifyApiFailure(answer.status, body), answer.retryAfterMs);
      const video = videoState(body);
      switch (video.state) {
        case 'live':
          state.liveChatId = video.liveChatId;
          state.pageToken = undefined;
          log.info({ videoId: vid, liveChatId: video.liveChatId }, 'YouTube live chat found.');
          return poll();
        case 'ended':
          return end({ videoId: vid, endedAt: video.endedAt }, 'YouTube stream has ended (actualEndTime); the source stops.');
        case 'not_found':
          return fail(`No YouTube video has the id "${vid}" (\`video_id\`): check the id, or that the video is public.`);
        case 'not_live':
          return fail(`The YouTube video "${vid}" (\`video_id\`) is not a live stream: it has no live chat.`);
        case 'waiting':
          failures = 0;
          if (!waitingLogged) {
            waitingLogged = true;
            log.warn(
              { videoId: vid, retryInMs: config.live_check_interval },
              'YouTube video has no active live chat yet (not started, or chat off); checking again.',
            );
          }
          later(resolveChat, config.live_check_interval);
          return;
      }
    };

    const poll: Step = async () => {
      const liveChatId = state.liveChatId as string;
      if (quota.remaining(budget, now()) < QUOTA_COST['liveChatMessages.list']) return quotaPause(poll, undefined);
      const first = state.pageToken === undefined;
      const answer = await request(
        messagesUrl(config.base_url, config.api_key, liveChatId, state.pageToken, config.max_results),
        { headers: { accept: 'application/json' } },
      );
      if (stopped) return;
      if (answer instanceof Error) return retryLater(poll, answer);
      spend(QUOTA_COST['liveChatMessages.list']);
      const body = parseJson(answer.text) as MessageListResponse | undefined;
      if (answer.status !== 200) return apiFailed(poll, classifyApiFailure(answer.status, body), answer.retryAfterMs);
      if (body === undefined || typeof body !== 'object') return retryLater(poll, new Error('The answer to liveChatMessages.list is not JSON'));
      const ctx = pageContext(liveChatId, first);
      let ended = false;
      for (const item of Array.isArray(body.items) ? body.items : []) {
        if (tally(normalizeYoutubeItem(item, ctx, emit))) ended = true;
      }
      if (typeof body.nextPageToken === 'string' && body.nextPageToken !== '') state.pageToken = body.nextPageToken;
      afterPage(first, liveChatId);
      if (ended || typeof body.offlineAt === 'string') {
        state.pageToken = undefined;
        if (config.live_chat_id === undefined) state.liveChatId = undefined;
        return end({ liveChatId, offlineAt: body.offlineAt ?? null }, 'YouTube stream went offline; the source stops.');
      }
      const at = now();
      const serverMs = typeof body.pollingIntervalMillis === 'number' ? body.pollingIntervalMillis : DEFAULT_POLL_MS;
      const plan = planPolling({
        remainingUnits: quota.remaining(budget, at),
        unitsPerPoll: QUOTA_COST['liveChatMessages.list'],
        minIntervalMs: Math.max(serverMs, config.min_poll_interval),
        msUntilStreamEnd: (state.startedAt ?? at) + config.stream_hours * 3_600_000 - at,
        msUntilReset: msUntilQuotaReset(at),
      });
      metrics.gauge('quota_remaining', plan.remainingUnits);
      metrics.gauge('quota_exhausted_in_s', Math.round(plan.exhaustedInMs / 1000));
      metrics.gauge('poll_interval_ms', plan.intervalMs);
      if (plan.exhausted) return quotaPause(poll, undefined);
      later(poll, plan.intervalMs);
    };

    // ── innertube ──────────────────────────────────────────────────────────────────────────

    const loadPage: Step = async () => {
      const vid = videoId as string;
      const answer = await request(watchPageUrl(config.innertube_url, vid), { headers: INNERTUBE_HEADERS });
      if (stopped) return;
      if (answer instanceof Error) return retryLater(loadPage, answer);
      if (answer.status === 429 || answer.status >= 500) {
        return retryLater(loadPage, new Error(`HTTP ${answer.status} for the watch page`), answer.retryAfterMs);
      }
      if (answer.status !== 200) {
        return fail(
          `YouTube answered HTTP ${answer.status} for the watch page of "${vid}" (\`video_id\`) at ${config.innertube_url} (\`innertube_url\`).`,
        );
      }
      const page = scrapeWatchPage(answer.text);
      if (page.isReplay) return end({ videoId: vid }, 'YouTube stream has ended (the chat is a replay); the source stops.');
      if (page.apiKey === undefined || page.clientVersion === undefined) {
        return fail(
          `The watch page of "${vid}" has no INNERTUBE_API_KEY or clientVersion: YouTube changed its page or showed a consent page. Use \`mode: api\` with an \`api_key\`.`,
        );
      }
      if (page.continuation === undefined) {
        failures = 0;
        if (!waitingLogged) {
          waitingLogged = true;
          log.warn({ videoId: vid, retryInMs: config.live_check_interval }, 'YouTube video has no live chat yet (not started, or chat off); checking again.');
        }
        later(loadPage, config.live_check_interval);
        return;
      }
      state.innertube = { apiKey: page.apiKey, clientVersion: page.clientVersion, continuation: page.continuation, history: true };
      return getChat();
    };

    const getChat: Step = async () => {
      const it = state.innertube;
      if (it === undefined || it.continuation === undefined) return loadPage();
      const answer = await request(getLiveChatUrl(config.innertube_url, it.apiKey), {
        method: 'POST',
        headers: { ...INNERTUBE_HEADERS, 'content-type': 'application/json' },
        body: getLiveChatBody(it.clientVersion, it.continuation),
      });
      if (stopped) return;
      if (answer instanceof Error) return retryLater(getChat, answer);
      if (answer.status === 429 || answer.status >= 500) {
        return retryLater(getChat, new Error(`HTTP ${answer.status} from get_live_chat`), answer.retryAfterMs);
      }
      if (answer.status !== 200) {
        // The key or the continuation went stale: start over from the watch page.
        state.innertube = undefined;
        return retryLater(loadPage, new Error(`HTTP ${answer.status} from get_live_chat`));
      }
      const page = readLiveChatPage(parseJson(answer.text));
      const channel = videoId as string;
      if (page === undefined) return end({ videoId: channel }, 'YouTube live chat has ended (no liveChatContinuation); the source stops.');
      const first = it.history;
      it.history = false;
      const ctx = pageContext(channel, first);
      for (const action of page.actions) tally(normalizeInnertubeAction(action, ctx, emit));
      afterPage(first, channel);
      if (page.next === undefined) {
        state.innertube = undefined;
        return end({ videoId: channel }, 'YouTube live chat has ended (no continuation); the source stops.');
      }
      it.continuation = page.next.continuation;
      const waitMs = Math.max(config.min_poll_interval, Math.min(page.next.timeoutMs ?? INNERTUBE_MAX_WAIT_MS, INNERTUBE_MAX_WAIT_MS));
      metrics.gauge('poll_interval_ms', waitMs);
      later(getChat, waitMs);
    };

    // ── start ──────────────────────────────────────────────────────────────────────────────

    if (config.mode === 'api') {
      if (config.api_key.trim() === '') {
        fail(`No API key: set \`api_key\` (for example \`api_key: "\${YOUTUBE_API_KEY}"\` and export YOUTUBE_API_KEY), or use \`mode: innertube\`.`);
        return stop;
      }
      if (videoId === undefined && config.live_chat_id === undefined) {
        fail('No stream to read: set `video_id` (the id or URL of the live stream) or `live_chat_id`.');
        return stop;
      }
      log.info({ videoId: videoId ?? null, liveChatId: config.live_chat_id ?? state.liveChatId ?? null }, 'Connecting to YouTube live chat (Data API).');
      quotaGauges();
      run(resolveChat);
    } else {
      if (videoId === undefined) {
        fail('No stream to read: `mode: innertube` needs `video_id` (the id or URL of the live stream).');
        return stop;
      }
      log.info({ videoId }, 'Connecting to YouTube live chat (innertube).');
      run(state.innertube === undefined ? loadPage : getChat);
    }
    return stop;
  });
}

/** The message of a failure retrying cannot fix, naming what to change. */
function fatalMessage(failure: ApiFailure, config: YoutubeConfig): string {
  const said = `(HTTP ${failure.status}${failure.reason ? ` ${failure.reason}` : ''}: "${failure.message}")`;
  if (failure.reason === 'keyInvalid') {
    return `YouTube rejected the API key in \`api_key\` ${said}: put a valid Data API v3 key in it (usually through \${YOUTUBE_API_KEY}).`;
  }
  if (failure.reason === 'liveChatDisabled') {
    return `Live chat is disabled for this stream ${said}: the streamer has turned chat off.`;
  }
  if (failure.status === 401 || failure.status === 403) {
    return `YouTube refused the request ${said}: check that the YouTube Data API v3 is enabled for the project of \`api_key\` and that the key is not restricted to other APIs, IPs or referrers; a private or members-only chat needs OAuth, which this source does not do.`;
  }
  return `YouTube refused the request ${said}: check \`video_id\`/\`live_chat_id\` and \`base_url\` (${config.base_url}).`;
}
