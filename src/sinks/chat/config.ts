/** `chat`'s configuration: where to answer, how long a reply may be, how the queue is bounded. */
import { z } from 'zod';
import { duration } from '../../core/units.js';

const channel = z
  .string()
  .min(1)
  .optional()
  .describe("Answer in this channel instead of the one the reply came from (Twitch login, Kick slug, YouTube live chat id).");

const undocumentedRate = (platform: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .describe(`Messages per 30 s. ${platform} publishes no rate for sending; 20 (Twitch's rate for a bot that is not a moderator) is kept unless you know better.`);

export const ChatConfig = z.strictObject({
  twitch: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Send replies that belong to Twitch (needs `chatflow auth twitch --bot`).'),
      as: z
        .enum(['bot', 'broadcaster'])
        .default('bot')
        .describe('The signed-in account that speaks: the bot (`chatflow auth twitch --bot`) or the broadcaster.'),
      channel,
    })
    .prefault({})
    .describe('Twitch: Helix Send Chat Message; 20 messages per 30 s, 100 when the bot is a moderator or the broadcaster (read from Twitch).'),
  youtube: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Send replies that belong to YouTube (needs `chatflow auth youtube`).'),
      api_url: z.url().default('https://www.googleapis.com/youtube/v3').describe('YouTube Data API base (a test server in tests).'),
      per_30s: undocumentedRate('YouTube'),
      daily_quota: z
        .number()
        .int()
        .min(0)
        .default(10_000)
        .describe(
          "The daily quota of the Google project the bot sends with (YouTube's default is 10,000 units; the day resets at midnight Pacific). Each `liveChatMessages.insert` costs 20; reading chat (the `youtube` source) spends from the same count. Spent: replies are dropped as `refused_quota_exhausted`.",
        ),
      quota_project: z
        .string()
        .min(1)
        .default('default')
        .describe('Which Google project sending spends from; the `youtube` nodes naming the same `quota_project` share its daily count.'),
      reading_reserve: z
        .number()
        .min(0)
        .max(1)
        .default(0.5)
        .describe(
          'Share of `daily_quota` kept for reading chat, so replies cannot make the bot go deaf: a reply is sent only while more is left than what reading has not yet used of its share; otherwise it is dropped as `refused_quota_reserved`. 0 when nothing reads chat through the Data API.',
        ),
      channel,
    })
    .prefault({})
    .describe('YouTube: liveChatMessages.insert, 200 characters.'),
  kick: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Send replies that belong to Kick (needs `chatflow auth kick`).'),
      api_url: z.url().default('https://api.kick.com/public/v1').describe('Kick public API base (a test server in tests).'),
      per_30s: undocumentedRate('Kick'),
      channel,
    })
    .prefault({})
    .describe('Kick: POST /public/v1/chat, 500 characters.'),
  long: z
    .enum(['split', 'cut'])
    .default('split')
    .describe('A reply over the platform\'s length: `split` on word boundaries into several messages (at most `max_parts`), or `cut` to one ending with "…".'),
  max_parts: z.number().int().min(1).max(10).default(3).describe('`split`: at most this many messages per reply; the last is cut with "…".'),
  queue: z
    .strictObject({
      max: z.number().int().min(1).max(100_000).default(300).describe('Replies held per channel, all viewers together; when full the longest lane loses its newest (`queue_full`).'),
      per_viewer: z.number().int().min(1).default(5).describe("Replies held per viewer per channel; more are dropped (`viewer_queue_full`). A `high` reply (a moderator's) is only bounded by `max`."),
      max_age: duration().prefault('60s').describe('A reply not sent this long after it arrived is dropped (`stale`): a late answer confuses chat.'),
    })
    .prefault({})
    .describe('The queue per channel: one lane per viewer, taken in turn; `high` replies before `normal` before `low`.'),
  standing_every: duration()
    .prefault('5m')
    .describe("How often the bot's standing (moderator or not) is read again from the platform; also after a rate-limit refusal."),
  max_attempts: z.number().int().min(1).max(10).default(3).describe('Sends of one message that fail or are asked to wait (429) before it is dropped.'),
});
export type ChatConfig = z.output<typeof ChatConfig>;
