/** The `twitch_events` source: the registry's record, and what other code may use. */
import { COMMAND_OUTCOMES } from '../../core/commandOutcomes.js';
import { defineSource } from '../../core/component.js';
import { TWITCH_AUTH } from '../../core/twitchAuth.js';
import { TwitchEventsConfig } from './config.js';
import { twitchEventsScopes } from './subscriptions.js';
import { createTwitchEventsNodeState, twitchEvents } from './twitchEvents.js';

export { EVENT_GROUPS, type EventGroup, TwitchEventsConfig } from './config.js';
export { twitchEvents, type TwitchEventsDeps } from './twitchEvents.js';

export const twitchEventsComponent = defineSource({
  type: 'twitch_events',
  summary: 'Twitch EventSub (WebSocket): channel points, follows, subs, cheers, raids, polls, predictions, hype trains, ads, stream state, shared chat and chat.',
  description:
    'Reads the events of the channel signed in with `chatflow auth twitch` over the EventSub WebSocket (twurple), each as a `platform` event (`redemption`, `redemption_update`, `follow`, `subscription`, `gift`, `cheer`, `raid`, `poll`, `prediction`, `hype_train`, `ad_break`, `stream_online`, `stream_offline`, `shared_chat`, `announcement`, `message_deleted`, `chat_cleared`, `user_messages_cleared`), and `channel.chat.message` as the same `chat` event the IRC `twitch` source makes. Keepalive, `session_reconnect` handover, reconnects and resubscription are twurple\'s; a message delivered twice is emitted once. Redemptions of the rewards in `rewards` become commands (through `parse_command`), and are fulfilled when the command is applied or refunded when it is refused. See docs/twitch.md.',
  config: TwitchEventsConfig,
  scopes: twitchEventsScopes,
  examples: [
    'events: [follows, subs, cheers, raids]',
    'events: [redemptions]\nrewards:\n  "Filter sweep": "cv cutoff {input}"\n  "Panic button": "cv panic"\nsettle_timeout: 20s',
    'events: [chat, moderation]\nchat_account: bot',
  ],
  create: (config, ctx) => {
    // Kept by the runtime across restarts: recent ids (dedupe) and the rewards found not manageable.
    const state = ctx.state.get('eventsub', () => createTwitchEventsNodeState());
    const outcomes = ctx.resources.services?.get(COMMAND_OUTCOMES);
    return twitchEvents(config, {
      id: ctx.id,
      auth: ctx.resources.services?.get(TWITCH_AUTH),
      ...(outcomes ? { outcomes } : {}),
      logger: ctx.logger,
      scheduler: ctx.scheduler,
      clock: ctx.clock,
      now: ctx.wallClock,
      metrics: ctx.metrics,
      setHealth: ctx.setHealth,
      state,
    });
  },
});
