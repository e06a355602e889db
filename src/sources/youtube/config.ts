/** `youtube`'s configuration: the video, the Data API key or innertube, polling and quota. */
import { z } from 'zod';
import { botLoginField } from '../shared/ownMessages.js';
import { duration } from '../../core/units.js';
import { YOUTUBE_API_URL } from './apiClient.js';
import { INNERTUBE_URL } from './innertubeClient.js';

const VIDEO_ID = /^[A-Za-z0-9_-]{6,20}$/;

/**
 * A video id from an id or a URL (`watch?v=`, `youtu.be/`, `/live/`); undefined for an empty
 * value; the input unchanged when nothing matches (the schema then rejects it).
 */
export function videoIdOf(input: string): string | undefined {
  const text = input.trim();
  if (text === '') return undefined;
  if (VIDEO_ID.test(text)) return text;
  try {
    const url = new URL(text);
    const v = url.searchParams.get('v');
    if (v !== null && VIDEO_ID.test(v)) return v;
    const last = url.pathname.split('/').filter(Boolean).pop();
    if (last !== undefined && VIDEO_ID.test(last)) return last;
  } catch {
    // not a URL
  }
  return text;
}

const httpUrl = (what: string) =>
  z.string().regex(/^https?:\/\/[^/\s]+/, `Expected an http:// or https:// URL of ${what}`);

export const YoutubeConfig = z
  .strictObject({
    mode: z
      .enum(['api', 'innertube'])
      .default('api')
      .describe(
        '`api`: the official Data API v3 (needs `api_key`, costs quota). `innertube`: the unofficial API of YouTube\'s own web chat (no key, no quota, may break when YouTube changes its pages).',
      ),
    video_id: z
      .string()
      .optional()
      .transform((value) => (value === undefined ? undefined : videoIdOf(value)))
      .refine((value) => value === undefined || VIDEO_ID.test(value), 'Expected a YouTube video id (such as "jfKfPfyJRdk") or a watch URL')
      .describe(
        `The live stream's video id, or its URL (\`https://www.youtube.com/watch?v=…\`, \`youtu.be/…\`, \`/live/…\`). Empty is allowed, so \`"\${YOUTUBE_VIDEO_ID:-}"\` may stay unset while the node is disabled.`,
      ),
    live_chat_id: z
      .string()
      .optional()
      .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()))
      .describe('`api` mode: poll this live chat id directly instead of looking it up from `video_id` (saves 1 unit).'),
    api_key: z
      .string()
      .default('')
      .describe(
        `Data API key (\`api\` mode). Keep it out of the file: write \`api_key: "\${YOUTUBE_API_KEY}"\` and export the variable.`,
      ),
    base_url: httpUrl('the Data API')
      .default(YOUTUBE_API_URL)
      .describe('Data API base URL; a local server for tests.'),
    innertube_url: httpUrl('YouTube')
      .default(INNERTUBE_URL)
      .describe('`innertube` mode: where the watch page and `youtubei/v1` live; a local server for tests.'),
    bot_login: botLoginField('its channel id `UC…`'),
    backfill: z
      .enum(['skip', 'emit'])
      .default('skip')
      .describe(
        'The first page is recent history, not live chat. `skip` drops it (counted as `backfill`, intentional); `emit` passes it on with `backfill: true`.',
      ),
    daily_quota: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe(
        "The daily quota of the Google project of `api_key` (YouTube's default is 10,000 units; it resets at midnight Pacific). A `liveChatMessages.list` costs 5, a `videos.list` 1. Reading and the `chat` sink's sends to YouTube count against it together (see `quota_project`).",
      ),
    quota_project: z
      .string()
      .min(1)
      .default('default')
      .describe(
        'Which Google project this node spends from. Every `youtube` node and `chat` sink naming the same project shares one daily count. Give a different name only when `api_key` belongs to another project than the OAuth client the bot sends with.',
      ),
    stream_hours: z
      .number()
      .positive()
      .max(48)
      .default(4)
      .describe(
        'How long you expect to read chat, in hours from the start. Polling slows down when needed so that `daily_quota` lasts that long; past it, polling runs at the pace YouTube asks for.',
      ),
    max_results: z
      .number()
      .int()
      .min(200)
      .max(2000)
      .optional()
      .describe('`maxResults` of each poll (200–2000; YouTube defaults to 500).'),
    min_poll_interval: duration()
      .prefault('1s')
      .describe("Never poll faster than this, whatever the server's `pollingIntervalMillis` (or innertube's `timeoutMs`) says."),
    live_check_interval: duration()
      .prefault('1m')
      .describe('While the video has no live chat yet (not started, chat off), look again this often (1 unit each in `api` mode).'),
    quota_retry: duration()
      .prefault('30m')
      .describe('After YouTube says the quota is exhausted, try again this long later (or at the midnight-Pacific reset, if sooner).'),
    request_timeout: duration()
      .prefault('10s')
      .describe('Longest wait for one HTTP answer; longer counts as a failed poll.'),
    retry: z
      .strictObject({
        initial_backoff: duration().prefault('1s').describe('Wait after the first failed poll (429, 5xx, network); doubles per failure.'),
        max_backoff: duration().prefault('1m').describe('Longest wait between retries.'),
      })
      .prefault({})
      .describe('Backoff of failed polls (the page token is kept, so nothing is missed or read twice).'),
  })
  .describe('YouTube live chat.');
export type YoutubeConfig = z.output<typeof YoutubeConfig>;
