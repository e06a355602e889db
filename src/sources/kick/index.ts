/** The `kick` source: the registry's record, and what other code may use. */
import { defineSource } from '../../core/component.js';
import { KickConfig } from './config.js';
import { createKickNodeState } from './session.js';
import { kickChat } from './kick.js';

export { KickConfig } from './config.js';
export { kickChat } from './kick.js';

export const kickComponent = defineSource({
  type: 'kick',
  summary: 'Kick chat (Pusher protocol 7): chat, subs, gifts, hosts and moderation, with reconnects that follow Pusher\'s close codes.',
  description:
    "Reads a Kick channel anonymously, as Kick's web client does: `channel` (the slug) is looked up through Kick's channel API to find its chatroom, or `chatroom_id` is given directly (the lookup is often refused with HTTP 403 by Cloudflare; the node then fails saying so). Emits `chat` (roles from badges, color, `[emote:id:name]` tokens as code-point emote ranges, reply parent) and `platform` events (`subscription`, `gift`, `host`, `message_deleted`, `user_banned`, `user_timed_out`, `chat_cleared`). Close codes 4000–4099 fail the node; 4100–4199 reconnect after a second or more, 4200–4299 at once, others with capped exponential backoff; a silent connection is found by `pusher:ping`. Kick keeps no history: what is said while disconnected is lost. The `lag_ms` gauge is how far chat arrives behind its `created_at`. See docs/kick.md.",
  config: KickConfig,
  examples: [
    'channel: xqc',
    'channel: xqc\nchatroom_id: 668',
    'chatroom_id: 668\nchannel_id: 676',
    'channel: test\nchatroom_id: 1\nws_url: ws://127.0.0.1:6001\napp_key: testkey123',
  ],
  create: (config, ctx) => {
    // Kept by the runtime across restarts, so the dedupe window spans a reconnect.
    const state = ctx.state.get('session', () => createKickNodeState());
    return kickChat(config, {
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
