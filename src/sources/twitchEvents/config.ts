/** `twitch_events`'s configuration: which events, whose token reads chat, and channel-points rewards as commands. */
import { z } from 'zod';
import { botLoginField } from '../shared/ownMessages.js';
import { duration } from '../../core/units.js';

/** Groups of EventSub subscriptions, as the config names them (docs/twitch.md, "EventSub"). */
export const EVENT_GROUPS = [
  'redemptions',
  'follows',
  'subs',
  'cheers',
  'raids',
  'polls',
  'predictions',
  'hype_train',
  'ads',
  'stream',
  'shared_chat',
  'chat',
  'notifications',
  'moderation',
] as const;
export type EventGroup = (typeof EVENT_GROUPS)[number];

/** The groups read from the chat account's token (the rest from the broadcaster's). */
export const CHAT_GROUPS: readonly EventGroup[] = ['chat', 'notifications', 'moderation'];

const DEFAULT_GROUPS: EventGroup[] = ['redemptions', 'follows', 'subs', 'cheers', 'raids', 'polls', 'predictions', 'hype_train', 'ads', 'stream', 'shared_chat'];

export const TwitchEventsConfig = z
  .strictObject({
    events: z
      .array(z.enum(EVENT_GROUPS))
      .min(1)
      .default(DEFAULT_GROUPS)
      .transform((list) => [...new Set(list)])
      .describe(
        'What to subscribe to: `redemptions` (channel points, add and update), `follows`, `subs` (sub, resub, gifts), `cheers`, `raids` (incoming), `polls`, `predictions`, `hype_train` (v2), `ads` (ad break begins), `stream` (online, offline), `shared_chat` (session begin, update, end), `chat` (`channel.chat.message`: the same `chat` events as the IRC `twitch` source), `notifications` (chat notices: subs, gifts, raids and announcements as they appear in chat; they repeat what `subs` and `raids` give), `moderation` (message deletes, chat clears). Default: everything but the three chat groups.',
      ),
    chat_account: z
      .enum(['broadcaster', 'bot'])
      .default('broadcaster')
      .describe('Whose token reads chat for `chat`, `notifications` and `moderation`: the broadcaster\'s, or the bot account signed in with `chatflow auth twitch --bot`.'),
    bot_login: botLoginField('its Twitch login; default the bot account signed in with `chatflow auth twitch --bot`'),
    rewards: z
      .record(z.string().min(1), z.string().min(1).max(500))
      .default({})
      .describe(
        'Channel-points rewards turned into commands: reward title (case-insensitive) or id → the command text, `{input}` standing for what the viewer typed (`"Filter sweep": "cv cutoff {input}"`). The redemption event then carries `command`, and `parse_command` makes of it the same command as of that chat line, so throttle, cooldown and control apply. Needs `redemptions` in `events`.',
      ),
    settle: z
      .boolean()
      .default(true)
      .describe(
        'Settle the redemptions of `rewards` through Helix: FULFILLED when their command was applied, CANCELED (the viewer gets the points back) when it was refused (throttled, cooling, invalid, locked, paused). Only rewards created with the same client id can be settled; one that cannot is reported once and left alone. Needs the `channel:manage:redemptions` scope.',
      ),
    settle_timeout: duration()
      .prefault('30s')
      .describe('A redemption of `rewards` whose command neither applied nor was refused within this long (nothing downstream took it) is refunded.'),
  })
  .superRefine((config, ctx) => {
    if (Object.keys(config.rewards).length > 0 && !config.events.includes('redemptions')) {
      ctx.addIssue({ code: 'custom', path: ['rewards'], message: '`rewards` needs `redemptions` in `events`' });
    }
    if (config.settle_timeout < 1000) {
      ctx.addIssue({ code: 'custom', path: ['settle_timeout'], message: '`settle_timeout` must be at least 1s' });
    }
  })
  .describe('Twitch EventSub events.');
export type TwitchEventsConfig = z.output<typeof TwitchEventsConfig>;
