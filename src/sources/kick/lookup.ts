/** The `kick` source's channel lookup: where Kick's channel API is and what its answer says. */
import { kickId } from './normalize.js';

export const KICK_API_BASE = 'https://kick.com';

/** What the channel API (`GET /api/v2/channels/<slug>`) told us. */
export interface KickChannelInfo {
  readonly slug: string;
  /** `chatroom.id`: the chat channel is `chatrooms.<id>.v2`. */
  readonly chatroomId: string;
  /** Top-level `id`: the events channel is `channel.<id>`. */
  readonly channelId?: string;
}

/** Reads the channel API's answer; undefined when it holds no chatroom id. */
export function parseChannelLookup(body: unknown, slug: string): KickChannelInfo | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { id, slug: realSlug, chatroom } = body as { id?: unknown; slug?: unknown; chatroom?: unknown };
  const chatroomId = typeof chatroom === 'object' && chatroom !== null ? kickId((chatroom as { id?: unknown }).id) : undefined;
  if (chatroomId === undefined) return undefined;
  const channelId = kickId(id);
  const name = typeof realSlug === 'string' && realSlug !== '' ? realSlug : slug;
  return channelId === undefined ? { slug: name, chatroomId } : { slug: name, chatroomId, channelId };
}
