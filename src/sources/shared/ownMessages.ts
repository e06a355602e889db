/**
 * The bot reading its own messages: a source that knows the bot's account (`bot_login`) marks
 * the chat it sends as `self`, so no command node answers it and no `timer` counts it.
 */
import { z } from 'zod';
import type { ChatEvent } from '../../core/events.js';

/** The `bot_login` field of a chat source. */
export function botLoginField(what: string) {
  return z
    .string()
    .trim()
    .max(64)
    .optional()
    // Empty (an unset `${VAR:-}`): no bot account.
    .transform((value) => (value === '' ? undefined : value))
    .describe(
      `The account the \`chat\` sink speaks as (${what}): its messages are marked \`self\`, so commands never run from them and timers do not count them. When it is the channel's own account, the broadcaster's messages stay commands (only the replies' guard against starting with a command prefix keeps the bot from answering itself).`,
    );
}

/**
 * Marks chat from `bot` (a login, or a platform user id, case-insensitively) as `self`; the
 * identity when no bot is configured.
 */
export function ownMessages(bot: string | undefined): (event: ChatEvent) => ChatEvent {
  if (bot === undefined) return (event) => event;
  const name = bot.toLowerCase().replace(/^@/, '');
  return (event) => {
    const author = event.author;
    if (author.login !== name && author.id.toLowerCase() !== name) return event;
    // One account for streamer and bot: its messages are the streamer's, commands included.
    if (author.roles.includes('broadcaster')) return event;
    return { ...event, self: true };
  };
}
