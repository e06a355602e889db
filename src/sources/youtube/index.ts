/** The `youtube` source: the registry's record, and what other code may use. */
import { defineSource } from '../../core/component.js';
import { YoutubeConfig } from './config.js';
import { YOUTUBE_QUOTA, YoutubeQuota } from '../../core/youtubeQuota.js';
import { createYoutubeNodeState } from './session.js';
import { youtubeChat } from './youtube.js';

export { YoutubeConfig } from './config.js';
export { youtubeChat } from './youtube.js';

export const youtubeComponent = defineSource({
  type: 'youtube',
  summary:
    'YouTube live chat: the Data API v3 with a quota budget that lasts the stream, or innertube without a key; chat, Super Chats, memberships and moderation.',
  description:
    `\`api\` mode (default) needs an API key (\`api_key: "\${YOUTUBE_API_KEY}"\`) and looks up the live chat of \`video_id\`, then polls it at the pace YouTube asks for, slower when \`daily_quota\` would not last \`stream_hours\`; the quota is counted once for the process, with the \`chat\` sink's sends to YouTube (\`quota_project\`); the units this node spent, the project's units left today and the forecast of when they run out are node metrics (\`quota_used\`, \`quota_remaining\`, \`quota_exhausted_in_s\`), with warnings at 80% and 95%. \`innertube\` mode reads the chat the way YouTube's web page does: no key and no quota, but unofficial. Emits \`chat\` (roles broadcaster/mod/member/verified) and \`platform\` events (\`super_chat\` with amount and currency, \`membership\`, \`gift\`, \`message_deleted\`, \`user_banned\`, \`user_timed_out\`). The first page is history (\`backfill\`). A chat that ends completes the source; a bad key or a disabled chat fails it with a message naming what to fix. See docs/youtube.md.`,
  config: YoutubeConfig,
  examples: [
    `video_id: jfKfPfyJRdk\napi_key: "\${YOUTUBE_API_KEY}"`,
    `video_id: "https://www.youtube.com/watch?v=jfKfPfyJRdk"\napi_key: "\${YOUTUBE_API_KEY}"\ndaily_quota: 10000\nstream_hours: 6\nbackfill: emit`,
    'mode: innertube\nvideo_id: jfKfPfyJRdk',
  ],
  create: (config, ctx) => {
    // Kept by the runtime across restarts, so the dedupe window spans a reconnect.
    const state = ctx.state.get('session', () => createYoutubeNodeState());
    // The process's one count, shared with the chat sink's sends; without it (a bare context),
    // one kept for the node across restarts.
    const quota = ctx.resources.services?.get(YOUTUBE_QUOTA) ?? ctx.state.get('quota', () => new YoutubeQuota());
    return youtubeChat(config, {
      id: ctx.id,
      logger: ctx.logger,
      scheduler: ctx.scheduler,
      clock: ctx.clock,
      now: ctx.wallClock,
      metrics: ctx.metrics,
      setHealth: ctx.setHealth,
      state,
      quota,
    });
  },
});
