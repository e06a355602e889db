/**
 * Building and ranking reply events (the contract between what produces replies and the `chat`
 * sink that sends them).
 */
import type { ChatEvent, ReplyEvent, ReplyPriority, ReplyViewer } from './events.js';

/** Roles whose replies jump the queue when the producer gave no priority. */
const STAFF_ROLES = new Set(['broadcaster', 'mod']);

/** The viewer behind a chat message, as a reply names it. */
export function viewerOf(chat: ChatEvent): ReplyViewer {
  return { id: chat.author.id, login: chat.author.login, roles: chat.author.roles };
}

/**
 * The reply answering `chat` with `text`: same platform and channel, threaded under the message,
 * queued in its author's lane. `priority` omitted: decided by {@link replyPriority}.
 */
export function replyToChat(chat: ChatEvent, text: string, priority?: ReplyPriority): ReplyEvent {
  return {
    kind: 'reply',
    platform: chat.platform,
    channel: chat.channel,
    text,
    replyTo: chat.id,
    viewer: viewerOf(chat),
    receivedAt: chat.receivedAt,
    ...(priority === undefined ? {} : { priority }),
  };
}

/** The priority a reply is queued at: its own, else `high` for staff, else `normal`. */
export function replyPriority(reply: ReplyEvent): ReplyPriority {
  if (reply.priority !== undefined) return reply.priority;
  return reply.viewer?.roles.some((r) => STAFF_ROLES.has(r)) === true ? 'high' : 'normal';
}
