import type { Author, ChatEvent, Platform, Role } from '../../src/core/events.js';

/** A chat event with sensible defaults, for tests. */
export function chat(
  text: string,
  overrides: Partial<Omit<ChatEvent, 'kind' | 'author'>> & {
    user?: string;
    roles?: readonly Role[];
    platform?: Platform;
  } = {},
): ChatEvent {
  const { user = 'viewer', roles = [], ...rest } = overrides;
  const author: Author = { id: `id-${user}`, login: user, displayName: user, roles, badges: {} };
  return {
    kind: 'chat',
    id: `m-${text}-${user}`,
    platform: 'twitch',
    channel: 'chan',
    author,
    text,
    emotes: [],
    ts: 0,
    action: false,
    firstMessage: false,
    receivedAt: 0,
    ...rest,
  };
}
