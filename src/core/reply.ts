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

/**
 * Characters a platform may strip or ignore before it reads a command, so they must not hide
 * one: whitespace (incl. NBSP and the Unicode spaces), zero-width and joiner characters, the
 * soft hyphen, bidi marks and isolates, the word joiner family, the BOM, variation selectors,
 * the combining grapheme joiner, Hangul fillers, and Unicode tag characters (U+E0000–E007F).
 */
const IGNORABLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each is matched alone, at the start, and removed; combining ones included on purpose.
  /^[\s\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/u;

/**
 * Characters that start a command on some platform: `/` (Twitch, Kick, YouTube), `.` (Twitch's
 * old IRC form), `\` (read as `/` by some clients), and their full-width and other look-alikes
 * a platform might fold (`／`, `⁄`, `∕`, `．`, `｡`, `﹒`, `＼`).
 */
const COMMAND_START = new Set(['/', '.', '\\', '\uFF0F', '\u2044', '\u2215', '\uFF0E', '\uFF61', '\uFE52', '\uFF3C']);

/**
 * The text with everything a platform could read as a command removed from its start: leading
 * ignorable characters and command characters, as many times as they repeat (`/ /ban`, `​.ban`).
 * Returns the text unchanged when it starts safely; an empty string when nothing is left.
 */
export function withoutCommandStart(text: string): string {
  let out = text;
  for (;;) {
    const ignorable = IGNORABLE.exec(out);
    if (ignorable) {
      out = out.slice(ignorable[0].length);
      continue;
    }
    const first = String.fromCodePoint(out.codePointAt(0) ?? 32);
    if (out.length > 0 && COMMAND_START.has(first)) {
      out = out.slice(first.length);
      continue;
    }
    return out;
  }
}

/** A number as a reply shows it: integers as they are, others to three decimals (`0.7`, `0.333`). */
export function formatReplyNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
}
