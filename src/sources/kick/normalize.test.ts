import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  goldenOf,
  KICK_GOLDEN_NOW,
  KICK_SAMPLES_NOT_FRAMES,
  type KickGoldenEntry,
  kickLookupSample,
  loadKickSamples,
  loadKickSamplesFile,
} from '../../../test/fakes/kickSamples.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { parseChannelLookup } from './lookup.js';
import { decodePusherFrame } from './pusher.js';
import { codePointLength, kickEventName, type KickOutcome, normalizeKickEvent, parseKickEmotes } from './normalize.js';

const golden = JSON.parse(readFileSync(new URL('../../../test/fixtures/kick-golden.json', import.meta.url), 'utf8')) as {
  frames: KickGoldenEntry[];
  lookup: { slug: string; result: unknown };
};
const frames = loadKickSamples();

function normalize(name: string, data: unknown, now = KICK_GOLDEN_NOW) {
  const events: (ChatEvent | PlatformEvent)[] = [];
  const outcome: KickOutcome = normalizeKickEvent(name, data, 'chan', 1, () => now, (e) => events.push(e));
  return { outcome, events };
}

/** The decoded `data` of the sample frame named `sample`. */
function sampleData(sample: string): Record<string, unknown> {
  const frame = frames.find((f) => f.sample === sample);
  if (frame === undefined) throw new Error(`no sample ${sample}`);
  return decodePusherFrame(frame.frame)?.data as Record<string, unknown>;
}

const one = (name: string, data: unknown, now?: number) => {
  const { outcome, events } = normalize(name, data, now);
  expect(outcome).toBe('events');
  expect(events).toHaveLength(1);
  return events[0] as ChatEvent | PlatformEvent;
};
const chat = (data: unknown) => {
  const event = one('App\\Events\\ChatMessageEvent', data);
  if (event.kind !== 'chat') throw new Error('not chat');
  return event;
};
const platform = (name: string, data: unknown, now?: number) => {
  const event = one(name, data, now);
  if (event.kind !== 'platform') throw new Error('not platform');
  return event;
};

describe('normalizeKickEvent: every captured sample (golden)', () => {
  it('accounts for every sample of kick-samples.json: one golden entry per frame, in order', () => {
    const ids = loadKickSamplesFile().samples.map((s) => s.id);
    expect(ids).toHaveLength(22);
    const framed = new Set(frames.map((f) => f.sample.replace(/#\d+$/, '')));
    for (const id of ids) expect(framed.has(id) || id in KICK_SAMPLES_NOT_FRAMES, id).toBe(true);
    expect(golden.frames.map((g) => g.sample)).toEqual(frames.map((f) => f.sample));
    // 22 frames: the two ping-pong frames and the two chat messages of one sample count separately.
    expect(frames).toHaveLength(22);
  });

  it.each(frames.map((f, index) => [f.sample, index] as const))('%s', (_sample, index) => {
    const frame = frames[index] as (typeof frames)[number];
    expect(goldenOf(frame, index + 1)).toEqual(golden.frames[index]);
  });

  it('reads the captured channel-lookup answer', () => {
    const { slug, body } = kickLookupSample();
    expect(parseChannelLookup(body, slug)).toEqual(golden.lookup.result);
    expect(golden.lookup.result).toEqual({ slug: 'averagedad', chatroomId: '90874', channelId: '90876' });
  });

  it('makes 14 events of the 22 frames: 6 chat, 8 platform, and drops only what it means to', () => {
    const events = golden.frames.flatMap((g) => g.events);
    expect(events.filter((e) => e.kind === 'chat')).toHaveLength(6);
    expect(events.filter((e) => e.kind === 'platform').map((e) => (e as PlatformEvent).type)).toEqual([
      'subscription',
      'message_deleted',
      'user_timed_out',
      'user_banned',
      'user_timed_out',
      'subscription',
      'gift',
      'host',
    ]);
    expect(golden.frames.filter((g) => g.outcome === 'unsupported').map((g) => g.sample)).toEqual([
      'user-unbanned',
      'pinned-message-created',
      'legacy-v1-message-deleted',
    ]);
  });
});

describe('normalizeKickEvent: hand-checked samples', () => {
  it('plain chat: author from sender (slug is the login), color, platform time from created_at', () => {
    expect(chat(sampleData('chat-message-plain'))).toEqual({
      kind: 'chat',
      id: 'cb4cd57d-926c-4f28-859d-abccca87e119',
      platform: 'kick',
      channel: 'chan',
      author: { id: '1840624', login: 'imtoolazytoputaname', displayName: 'Imtoolazytoputaname', roles: [], color: '#E9113C', badges: {} },
      text: 'mhm',
      emotes: [],
      ts: Date.parse('2024-04-25T07:29:14Z'),
      action: false,
      firstMessage: false,
      receivedAt: 1,
    });
  });

  it('an emote token glued to the text becomes its name with a code-point range; badges give roles', () => {
    const event = chat(sampleData('chat-message-emote-badges'));
    expect(event.text).toBe('litneyspears4Maxon my way to show you love');
    expect(event.emotes).toEqual([{ id: '3989851', name: 'litneyspears4Max', start: 0, end: 15 }]);
    expect(event.author.roles).toEqual(['vip', 'subscriber']);
    expect(event.author.badges).toEqual({ vip: '1', subscriber: '26' });
  });

  it('replies: the parent as replyTo, whether its sender id is a number (2025) or a string (2023)', () => {
    expect(chat(sampleData('chat-message-reply-2025')).replyTo).toEqual({
      id: 'f08e9286-3390-4720-a292-266b7f80ab39',
      login: 'thestaticmagetest',
      text: 'Test 6',
    });
    const old = chat(sampleData('chat-message-reply-2023'));
    expect(old.replyTo).toEqual({ id: '518d2ef3-620c-4048-ade6-d0167ca52123', login: 'duhkee', text: 'would you recommend streaming?' });
    expect(old.author.roles).toEqual(['mod', 'subscriber']);
  });

  it('an emote with an empty name still has a range; a trailing backslash survives', () => {
    const emoteOnly = chat(sampleData('chat-message-emote-only-empty-name#0'));
    expect(emoteOnly.text).toBe('emote_37244');
    expect(emoteOnly.emotes).toEqual([{ id: '37244', start: 0, end: 10 }]);
    expect(chat(sampleData('chat-message-emote-only-empty-name#1')).text).toBe('whaa . \\');
  });

  it('a renewed-subscription celebration is a subscription with the shared message, not chat', () => {
    expect(platform('App\\Events\\ChatMessageEvent', sampleData('chat-message-celebration'))).toMatchObject({
      type: 'subscription',
      id: '971f5e15-3d1a-4603-b730-46dcffb5fdf1',
      author: { login: 'yaaaooo', roles: ['subscriber'], badges: { subscriber: '13', sub_gifter: '5' } },
      data: { celebration: 'subscription_renewed', months: 13, message: '🎉' },
    });
    // Another kind of celebration stays chat.
    const data = { ...sampleData('chat-message-celebration'), metadata: { celebration: { type: 'something_new' } } };
    expect(chat(data).text).toBe('🎉');
  });

  it('MessageDeletedEvent: the deleted message id is the event id', () => {
    expect(platform('App\\Events\\MessageDeletedEvent', sampleData('message-deleted'))).toEqual({
      kind: 'platform',
      type: 'message_deleted',
      id: '8a5db04a-149c-489b-afec-7a2d8ff4084d',
      platform: 'kick',
      channel: 'chan',
      ts: KICK_GOLDEN_NOW,
      data: { messageId: '8a5db04a-149c-489b-afec-7a2d8ff4084d', deletionId: '94bbd762-ae08-40cd-aec8-27956f9bbc11', aiModerated: false },
      receivedAt: 1,
    });
  });

  it('UserBannedEvent: permanent → user_banned; a timeout → user_timed_out with its expiry and duration', () => {
    const timeout = platform('App\\Events\\UserBannedEvent', sampleData('user-banned-timeout'));
    expect(timeout.type).toBe('user_timed_out');
    expect(timeout.author?.login).toBe('timeoutuser');
    expect(timeout.data).toEqual({
      userId: '23498234',
      login: 'timeoutuser',
      bannedBy: 'thestaticmage',
      expiresAt: '2025-09-01T18:16:58.000Z',
      durationSeconds: 300,
    });
    // When the expiry has passed (a late delivery), `duration` (minutes) is the fallback.
    const late = platform('App\\Events\\UserBannedEvent', sampleData('user-banned-timeout'), Date.parse('2025-09-02T00:00:00Z'));
    expect(late.data.durationSeconds).toBe(300);
    expect(platform('App\\Events\\UserBannedEvent', sampleData('user-banned-permanent')).type).toBe('user_banned');
    // 2023: no `permanent`, only `expires_at` → a timeout.
    expect(platform('App\\Events\\UserBannedEvent', sampleData('user-banned-2023')).type).toBe('user_timed_out');
    // Neither `permanent` nor an expiry: a ban.
    expect(platform('UserBannedEvent', { id: 'x', user: { id: 1, username: 'A', slug: 'a' } }).type).toBe('user_banned');
  });

  it('SubscriptionEvent, GiftedSubscriptionsEvent (bare name) and StreamHostEvent', () => {
    expect(platform('App\\Events\\SubscriptionEvent', sampleData('subscription'))).toMatchObject({
      type: 'subscription',
      author: { login: 'jonelsdon23', displayName: 'JonElsdon23' },
      data: { months: 1 },
    });
    expect(platform('GiftedSubscriptionsEvent', sampleData('gifted-subscriptions'))).toMatchObject({
      type: 'gift',
      author: { login: 'adrighh' },
      data: { count: 1, recipients: '4headschair', anonymous: false, gifterTotal: 355 },
    });
    expect(platform('App\\Events\\StreamHostEvent', sampleData('stream-host'))).toMatchObject({
      type: 'host',
      author: { login: 'bortnykchess', displayName: 'BortnykChess' },
      data: { viewers: 216, login: 'bortnykchess', displayName: 'BortnykChess' },
    });
  });

  it('the channel-events LuckyUsers… event and the chatroom GiftedSubscriptionsEvent of one gift share an id', () => {
    const fromChatroom = platform('GiftedSubscriptionsEvent', { gifted_usernames: ['B', 'a'], gifter_username: 'G', gifter_total: 3 });
    const fromChannel = platform('App\\Events\\LuckyUsersWhoGotGiftSubscriptionsEvent', {
      channel: { id: 1 },
      usernames: ['a', 'B'],
      gifter_username: 'G',
    });
    expect(fromChannel.id).toBe(fromChatroom.id);
    expect(fromChannel.data).toMatchObject({ count: 2, anonymous: false });
  });

  it('ChatroomClearEvent → chat_cleared', () => {
    expect(platform('App\\Events\\ChatroomClearEvent', { id: 'c1' })).toMatchObject({ type: 'chat_cleared', id: 'c1', data: {} });
    expect(platform('App\\Events\\ChatroomClearEvent', null).id).toBe(`clear:chan:${KICK_GOLDEN_NOW}`);
  });
});

describe('normalizeKickEvent: defensive reading', () => {
  it('takes ids as strings or numbers', () => {
    const base = sampleData('chat-message-plain');
    const numeric = chat({ ...base, id: 12345, sender: { ...(base.sender as object), id: '77' } });
    expect(numeric.id).toBe('12345');
    expect(numeric.author.id).toBe('77');
  });

  it('reports malformed events instead of throwing', () => {
    const cases: unknown[] = [null, 'text', [], { id: 'x' }, { id: 'x', content: 'hi' }, { id: 'x', content: 5, sender: { slug: 'a' } }];
    for (const data of cases) expect(normalize('ChatMessageEvent', data).outcome).toBe('malformed');
    expect(normalize('MessageDeletedEvent', { id: 'x', message: {} }).outcome).toBe('malformed');
    expect(normalize('UserBannedEvent', { id: 'x' }).outcome).toBe('malformed');
    expect(normalize('SubscriptionEvent', { months: 1 }).outcome).toBe('malformed');
    expect(normalize('GiftedSubscriptionsEvent', { gifter_username: 'g' }).outcome).toBe('malformed');
    expect(normalize('StreamHostEvent', { number_viewers: 1 }).outcome).toBe('malformed');
  });

  it('counts unknown events apart from known unsupported ones', () => {
    expect(normalize('App\\Events\\SomethingNew2030', {}).outcome).toBe('unknown');
    expect(normalize('App\\Events\\PollUpdateEvent', {}).outcome).toBe('unsupported');
  });

  it('uses the receipt time when created_at is missing or bad; ignores a color that is not #rrggbb', () => {
    const base = sampleData('chat-message-plain');
    const event = chat({ ...base, created_at: 'yesterday', sender: { ...(base.sender as object), identity: { color: 'red', badges: 'x' } } });
    expect(event.ts).toBe(KICK_GOLDEN_NOW);
    expect(event.author.color).toBeUndefined();
    expect(event.author.badges).toEqual({});
  });

  it('never throws on arbitrary data', () => {
    fc.assert(
      fc.property(fc.constantFrom('ChatMessageEvent', 'UserBannedEvent', 'GiftedSubscriptionsEvent', 'MessageDeletedEvent'), fc.anything(), (name, data) => {
        expect(() => normalize(name, data)).not.toThrow();
      }),
    );
  });
});

describe('kickEventName', () => {
  it('keeps only the last segment of a namespaced name', () => {
    expect(kickEventName('App\\Events\\ChatMessageEvent')).toBe('ChatMessageEvent');
    expect(kickEventName('GiftedSubscriptionsEvent')).toBe('GiftedSubscriptionsEvent');
  });
});

describe('parseKickEmotes', () => {
  it('turns tokens into names with inclusive code-point ranges, glued or spaced', () => {
    expect(parseKickEmotes('Hello [emote:4148074:HYPERCLAP] [emote:37226:KEKW]')).toEqual({
      text: 'Hello HYPERCLAP KEKW',
      emotes: [
        { id: '4148074', name: 'HYPERCLAP', start: 6, end: 14 },
        { id: '37226', name: 'KEKW', start: 16, end: 19 },
      ],
    });
    expect(parseKickEmotes('a[emote:1:X][emote:2:Y]b').emotes).toEqual([
      { id: '1', name: 'X', start: 1, end: 1 },
      { id: '2', name: 'Y', start: 2, end: 2 },
    ]);
  });

  it('counts astral characters (emoji) as one code point', () => {
    const { text, emotes } = parseKickEmotes('🎉🎉[emote:37226:KEKW] 👍🏽[emote:5:é]');
    expect(text).toBe('🎉🎉KEKW 👍🏽é');
    expect(emotes).toEqual([
      { id: '37226', name: 'KEKW', start: 2, end: 5 },
      { id: '5', name: 'é', start: 9, end: 9 },
    ]);
    // The ranges select the names when the text is indexed by code point.
    const points = [...text];
    for (const e of emotes) expect(points.slice(e.start, e.end + 1).join('')).toBe(e.name);
  });

  it('leaves text without tokens, broken tokens and old [emoji:…] tokens alone', () => {
    for (const text of ['plain', '[emote:abc:X]', '[emote:1:X', '[emoji:smile]', '']) {
      expect(parseKickEmotes(text)).toEqual({ text, emotes: [] });
    }
  });

  it('ranges always select the emote name (property)', () => {
    const token = fc.record({ id: fc.nat().map(String), name: fc.string({ unit: 'grapheme' }).filter((s) => !s.includes(']')) });
    const piece = fc.oneof(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('[')), token);
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const content = pieces.map((p) => (typeof p === 'string' ? p : `[emote:${p.id}:${p.name}]`)).join('');
        const { text, emotes } = parseKickEmotes(content);
        const points = [...text];
        expect(emotes).toHaveLength(pieces.filter((p) => typeof p !== 'string').length);
        for (const e of emotes) expect(points.slice(e.start, e.end + 1).join('')).toBe(e.name ?? `emote_${e.id}`);
      }),
    );
  });
});

describe('codePointLength', () => {
  it('counts a surrogate pair once and a lone surrogate once', () => {
    expect(codePointLength('a🎉b')).toBe(3);
    expect(codePointLength('\ud83c')).toBe(1);
    expect(codePointLength('')).toBe(0);
  });
});
