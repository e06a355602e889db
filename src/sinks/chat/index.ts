/** The `chat` sink's registry record: replies into Twitch, YouTube and Kick chat (the sink is in chat.ts). */
import { defineSink } from '../../core/component.js';
import { ChatSink } from './chat.js';
import { ChatConfig } from './config.js';
import { chatPreview } from './preview.js';
import { senderFor } from './senders.js';

export const chatComponent = defineSink({
  type: 'chat',
  summary: 'Sends reply events as chat messages on Twitch, YouTube and Kick, within each platform\'s limits.',
  description: [
    'Each `reply` event (from `parse_command`, `cooldown`, text commands, timers) is sent as the bot into the channel it came from (or the configured `channel`): Twitch through Helix Send Chat Message (threaded under the message it answers), YouTube through `liveChatMessages.insert`, Kick through `POST /public/v1/chat`.',
    '',
    "Per channel, replies wait in a fair queue: one lane per viewer, taken in turn, so one viewer's spam cannot take every slot; `high` replies (a moderator's or the broadcaster's, by default) go before `normal`, `normal` before `low` (timers). They leave at the platform's pace: Twitch 20 messages per 30 s, 100 when the bot is a moderator or the broadcaster (read from Twitch every `standing_every`), never the same text twice within 30 s; YouTube and Kick at `per_30s`. A reply never starts with a command (`/ban`, `.timeout`, after any whitespace or invisible characters), and one over the platform's length is split on word boundaries or cut with \"…\" (`long`). A full queue, a viewer over their share, a reply older than `max_age`, and every refusal of the platform are counted by reason (`refused_msg_duplicate`, `refused_missing_scope`, …); a 429 waits as long as the platform's reset header says. On YouTube each send costs 20 quota units from the same daily count as the `youtube` source's reading (per `quota_project`), and `reading_reserve` of the day is kept for reading (`refused_quota_reserved`). Each platform's state (signed out, refused, backing off until when, queued, sent, dropped) is in `/health` and the dashboard's Health panel. See docs/chat.md.",
  ].join('\n'),
  config: ChatConfig,
  // The sink queues and paces on its own; the driver only hands batches over.
  driver: { bufferMax: 1000, batchMax: 100, batchTimeoutMs: 0, flushTimeoutMs: 5000 },
  examples: ['{}', 'twitch: { as: bot }\nqueue: { per_viewer: 3, max_age: 30s }\nlong: cut', 'twitch: { enabled: false }\nkick: { per_30s: 10 }\nyoutube: { enabled: false }'],
  scopes: (config) =>
    config.twitch.enabled
      ? [
          { account: config.twitch.as, anyOf: ['user:write:chat'], why: 'sends replies in chat' },
          {
            account: config.twitch.as,
            anyOf: ['user:read:moderated_channels'],
            why: 'reads whether it is a moderator (100 messages per 30 s instead of 20)',
          },
        ]
      : [],
  create: (config, ctx) =>
    new ChatSink(config, {
      scheduler: ctx.scheduler,
      metrics: ctx.metrics,
      wallClock: ctx.wallClock,
      logger: ctx.logger,
      senderFor: (platform) => senderFor(config, ctx, platform),
    }),
  preview: chatPreview,
});

export { ChatSink } from './chat.js';
export { ChatConfig } from './config.js';
