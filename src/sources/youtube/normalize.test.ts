import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { GOLDEN_NOW, youtubeGolden } from '../../../test/fixtures/youtubeGolden.js';
import { apiChatItems, loadDocumentedItems, loadYoutubeSamples } from '../../../test/fakes/youtubeSamples.js';
import { microsToAmount, normalizeYoutubeItem, parsePublishedAt, type YoutubeItemContext } from './normalize.js';

const ctx = (backfill = false): YoutubeItemContext => ({ channel: 'chat-1', receivedAt: 7, backfill, now: () => GOLDEN_NOW });

function run(item: unknown, backfill = false) {
  const events: (ChatEvent | PlatformEvent)[] = [];
  const outcome = normalizeYoutubeItem(item as never, ctx(backfill), (e) => events.push(e));
  return { outcome, events };
}

const byId = (id: string) => {
  const item = apiChatItems().find((i) => i.id === id);
  if (item === undefined) throw new Error(id);
  return item;
};

describe('youtube golden file', () => {
  it('matches what the normalizers make of every sample and every documented item', () => {
    const golden = JSON.parse(readFileSync(new URL('../../../test/fixtures/youtube-golden.json', import.meta.url), 'utf8'));
    const fresh = JSON.parse(JSON.stringify(youtubeGolden()));
    expect(fresh).toEqual(golden);
    // Every sample and every documented item has an entry.
    expect(golden).toHaveLength(loadYoutubeSamples().length + loadDocumentedItems().items.length + 1);
  });
});

describe('normalizeYoutubeItem', () => {
  it('turns a text message into chat with the author, roles, the live chat id as channel and publishedAt as ts', () => {
    const [item] = apiChatItems() as [never];
    const { outcome, events } = run(item);
    expect(outcome).toBe('events');
    expect(events).toEqual([
      {
        kind: 'chat',
        id: 'LCC.CjgKDQoLRDlmcUZkdjVFTm8qJwoYVUNQc2ZNNHZ1dV9GbWpRWGZXQ0hkaDRnEgtEOWZxRmR2NUVObxIcChpDSzdtNC02aWtmOENGYkFJMWdBZFBTVURSZw',
        platform: 'youtube',
        channel: 'Cg0KC0Q5ZnFGZHY1RU5vKicKGFVDUHNmTTR2dXVfRm1qUVhmV0NIZGg0ZxILRDlmcUZkdjVFTm8',
        author: { id: 'UCrjdRCm0gGcdrYtl8z66t6g', login: 'UCrjdRCm0gGcdrYtl8z66t6g', displayName: 'Mr Perfect', roles: [], badges: {} },
        text: 'kitni hai',
        emotes: [],
        ts: Date.UTC(2023, 4, 25, 20, 8, 8, 479),
        action: false,
        firstMessage: false,
        receivedAt: 7,
      },
    ]);
  });

  it('maps isChatOwner, isChatModerator, isChatSponsor and isVerified to roles, and trims padded names', () => {
    const roles = (flags: Record<string, boolean>) =>
      (run({ ...byId('LCC.doc-owner-text-1'), authorDetails: { channelId: 'UCx', displayName: '  Padded  ', ...flags } }).events[0] as ChatEvent)
        .author;
    expect(roles({ isChatOwner: true }).roles).toEqual(['broadcaster']);
    expect(roles({ isChatModerator: true, isChatSponsor: true }).roles).toEqual(['mod', 'member']);
    expect(roles({ isVerified: true, isChatOwner: true }).roles).toEqual(['broadcaster', 'verified']);
    expect(roles({}).displayName).toBe('Padded');
  });

  it('marks every event of the first page as backfill', () => {
    const { events } = run(apiChatItems()[3], true);
    expect(events.map((e) => e.backfill)).toEqual([true, true]);
  });

  it('turns a Super Chat into chat with bits and super_chat with the amount from the amountMicros string', () => {
    const { events } = run(apiChatItems()[3]);
    expect(events.map((e) => (e.kind === 'chat' ? `chat:${e.text}:${e.bits}` : `${e.type}:${JSON.stringify(e.data)}`))).toEqual([
      'chat:test:2',
      'super_chat:{"amount":2,"currency":"EUR","amountDisplay":"€2.00","tier":2,"message":"test"}',
    ]);
    expect(events[0]?.id).toBe(events[1]?.id);
  });

  it('emits only super_chat for a Super Chat without a comment, and for a Super Sticker', () => {
    const superChat = apiChatItems()[3] as { snippet: Record<string, unknown> };
    const silent = { ...superChat, snippet: { ...superChat.snippet, superChatDetails: { amountMicros: '5000000', currency: 'USD', tier: 2 } } };
    expect(run(silent).events.map((e) => e.kind)).toEqual(['platform']);
    expect(run(byId('LCC.doc-superSticker-1')).events.map((e) => e.kind)).toEqual(['platform']);
  });

  it('reports a temporary ban as user_timed_out with its duration and a permanent one as user_banned, with the banned user as author', () => {
    const [timeout] = run(byId('LCC.doc-banned-temporary-1')).events as [PlatformEvent];
    expect(timeout.type).toBe('user_timed_out');
    expect(timeout.data.durationSeconds).toBe(300);
    expect(timeout.author?.displayName).toBe('Mr Perfect');
    const [ban] = run(byId('LCC.doc-banned-permanent-1')).events as [PlatformEvent];
    expect(ban.type).toBe('user_banned');
    expect(ban.data.durationSeconds).toBeUndefined();
  });

  it('says which items end the chat, are silent, unsupported or malformed', () => {
    expect(run(loadDocumentedItems().chatEnded).outcome).toBe('ended');
    expect(run(byId('LCC.doc-tombstone-1')).outcome).toBe('silent');
    expect(run(byId('LCC.doc-poll-1')).outcome).toBe('unsupported');
    expect(run({}).outcome).toBe('malformed');
    expect(run({ snippet: { type: 'textMessageEvent' } }).outcome).toBe('malformed');
    expect(run({ snippet: { type: 'superChatEvent', superChatDetails: { amountMicros: '-1' } } }).outcome).toBe('malformed');
    expect(run({ snippet: { type: 'messageDeletedEvent' } }).outcome).toBe('malformed');
  });
});

describe('microsToAmount', () => {
  it('reads the uint64 string exactly, beyond 2^53 micros too', () => {
    expect(microsToAmount('2000000')).toBe(2);
    expect(microsToAmount('1990000')).toBe(1.99);
    expect(microsToAmount('123456789012345678')).toBeCloseTo(123_456_789_012.3457, 4);
    expect(microsToAmount(5_000_000)).toBe(5);
    expect(microsToAmount('1e6')).toBeUndefined();
    expect(microsToAmount(undefined)).toBeUndefined();
  });
});

describe('parsePublishedAt', () => {
  it('reads microsecond timestamps with an offset', () => {
    expect(parsePublishedAt('2023-05-25T20:08:08.479833+00:00')).toBe(Date.UTC(2023, 4, 25, 20, 8, 8, 479));
    expect(parsePublishedAt('2023-05-25T22:08:08.1+02:00')).toBe(Date.UTC(2023, 4, 25, 20, 8, 8, 100));
    expect(parsePublishedAt('2018-08-01T10:19:52.000Z')).toBe(Date.UTC(2018, 7, 1, 10, 19, 52));
    expect(parsePublishedAt('yesterday')).toBeUndefined();
    expect(parsePublishedAt(undefined)).toBeUndefined();
  });
});
