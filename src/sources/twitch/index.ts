/** The `twitch` source: the registry's record, and what other code may use. */
import { defineSource } from '../../core/component.js';
import { TwitchConfig } from './config.js';
import { createTwitchNodeState } from './session.js';
import { twitchChat } from './twitch.js';

export { TwitchConfig } from './config.js';
export { twitchChat } from './twitch.js';

export const twitchComponent = defineSource({
  type: 'twitch',
  summary: 'Twitch chat (tmi.js): chat, subs, gifts, raids, cheers and moderation, with a connection that notices when it dies.',
  description:
    "Anonymous and read-only by default; with `username`, logs in with the token from the environment variable `token_env`. Emits `chat` (roles, badges, color, code-point emote ranges, bits, reply parent, `/me`, first message, Shared Chat source room) and `platform` events (`subscription`, `gift`, `raid`, `cheer`, `message_deleted`, `user_banned`, `user_timed_out`, `chat_cleared`, `room_state`). A dead connection (no answer to a PING) or a dropped socket ends the stream so the runtime reconnects with backoff; a server RECONNECT is followed without a gap; a message seen twice across a reconnect is emitted once. A refused login fails the node with a message naming the setting to fix. See docs/twitch.md.",
  config: TwitchConfig,
  examples: [
    'channels: [pajlada]',
    'channels: [mychannel, "#OtherChannel"]\nusername: mybot\ntoken_env: TWITCH_TOKEN',
    'channels: [test]\nserver: ws://127.0.0.1:6667\nping_interval: 5s\nping_timeout: 2s',
  ],
  create: (config, ctx) => {
    // Kept by the runtime across restarts, so the dedupe window spans a reconnect.
    const state = ctx.state.get('session', () => createTwitchNodeState());
    return twitchChat(config, {
      id: ctx.id,
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
