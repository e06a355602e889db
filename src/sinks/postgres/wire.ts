/**
 * How the `postgres` sink's main side hands events to its writer thread. Structured clone
 * writes every property name of every object it copies, so a chat event (a dozen keys, an
 * author object, emotes and badges the sink never stores) costs about 1.1 µs of the main loop;
 * the few fields its row needs, as consecutive entries of one flat array, about 0.45 µs
 * (bench/postgresThread.ts). Other kinds are rarer and go as they are.
 */
import type { ChatEvent, ChatflowEvent, Platform, Role } from '../../core/events.js';

/** Marks a chat event's fields in a packed slice; anything else is followed by one whole event. */
const CHAT = 0;
const WHOLE = 1;
/** Entries of a packed chat event after its mark. */
const CHAT_FIELDS = 13;

/** `batch[from, to)` as one flat array for `postMessage`. */
export function packEvents(batch: readonly ChatflowEvent[], from: number, to: number): unknown[] {
  const out: unknown[] = [];
  for (let i = from; i < to; i++) {
    const e = batch[i] as ChatflowEvent;
    if (e.kind !== 'chat') {
      out.push(WHOLE, e);
      continue;
    }
    const a = e.author;
    out.push(CHAT, e.platform, e.id, e.channel, a.id, a.login, a.displayName, a.roles, e.text, e.ts, e.bits, e.replyTo?.id, e.action, e.firstMessage);
  }
  return out;
}

/**
 * The events of a packed slice: a chat event comes back with the fields its row is made of
 * (no emotes, badges or color: the sink does not store them).
 */
export function unpackEvents(packed: readonly unknown[]): ChatflowEvent[] {
  const out: ChatflowEvent[] = [];
  let i = 0;
  while (i < packed.length) {
    if (packed[i] === WHOLE) {
      out.push(packed[i + 1] as ChatflowEvent);
      i += 2;
      continue;
    }
    const f = (k: number) => packed[i + k];
    const bits = f(10) as number | undefined;
    const replyTo = f(11) as string | undefined;
    const chat: ChatEvent = {
      kind: 'chat',
      platform: f(1) as Platform,
      id: f(2) as string,
      channel: f(3) as string,
      author: { id: f(4) as string, login: f(5) as string, displayName: f(6) as string, roles: f(7) as readonly Role[], badges: {} },
      text: f(8) as string,
      emotes: [],
      ts: f(9) as number,
      ...(bits === undefined ? {} : { bits }),
      ...(replyTo === undefined ? {} : { replyTo: { id: replyTo } }),
      action: f(12) as boolean,
      firstMessage: f(13) as boolean,
      receivedAt: 0,
    };
    out.push(chat);
    i += 1 + CHAT_FIELDS;
  }
  return out;
}
