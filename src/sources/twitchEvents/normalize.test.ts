import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadEventSubSamples, notificationSamples } from '../../../test/fakes/twitchEventSubSamples.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { type Normalized, normalizeEventSub } from './normalize.js';

/** The wall clock the golden file was made with (twitch-eventsub-golden.gen.ts). */
const GOLDEN_NOW = 1_773_515_000_000;

interface GoldenEntry {
  readonly sample: string;
  readonly type: string;
  readonly outcome: Normalized['outcome'];
  readonly events?: readonly (ChatEvent | PlatformEvent)[];
  readonly sharedId?: string;
}

const golden = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/twitch-eventsub-golden.json', import.meta.url), 'utf8'),
) as GoldenEntry[];
const samples = notificationSamples();

const ctx = (messageId = 'm-1') => ({ messageId, receivedAt: 7, now: () => GOLDEN_NOW });
const eventOf = (sampleId: string): { type: string; event: Record<string, unknown> } => {
  const found = samples.find((s) => s.id === sampleId);
  if (found === undefined) throw new Error(`no sample ${sampleId}`);
  return found;
};
const only = (type: string, event: Record<string, unknown>): ChatEvent | PlatformEvent => {
  const out = normalizeEventSub(type, event, ctx());
  if (out.outcome !== 'events') throw new Error(`not events: ${out.outcome}`);
  expect(out.events).toHaveLength(1);
  return out.events[0] as ChatEvent | PlatformEvent;
};
const platformOf = (sampleId: string, patch: Record<string, unknown> = {}): PlatformEvent => {
  const { type, event } = eventOf(sampleId);
  return only(type, { ...event, ...patch }) as PlatformEvent;
};

describe('normalizeEventSub: every sample payload (golden)', () => {
  it('has a golden entry for each of the 33 notification samples, in order, every one made into one event', () => {
    expect(samples).toHaveLength(33);
    expect(golden.map((g) => g.sample)).toEqual(samples.map((s) => s.id));
    expect(golden.every((g) => g.outcome === 'events' && g.events?.length === 1)).toBe(true);
  });

  it.each(samples.map((s, i) => [s.id, i] as const))('%s', (id, i) => {
    const { type, event } = eventOf(id);
    const expected = golden[i] as GoldenEntry;
    const { sample: _sample, type: _type, ...rest } = expected;
    expect(normalizeEventSub(type, event, { messageId: `golden-${i}`, receivedAt: i, now: () => GOLDEN_NOW })).toEqual(rest);
  });

  it('covers every event type of the issue', () => {
    const types = new Set(samples.map((s) => s.type));
    for (const type of [
      'channel.channel_points_custom_reward_redemption.add',
      'channel.channel_points_custom_reward_redemption.update',
      'channel.follow',
      'channel.subscribe',
      'channel.subscription.message',
      'channel.subscription.gift',
      'channel.cheer',
      'channel.raid',
      'channel.poll.begin',
      'channel.poll.progress',
      'channel.poll.end',
      'channel.prediction.begin',
      'channel.prediction.progress',
      'channel.prediction.lock',
      'channel.prediction.end',
      'channel.hype_train.begin',
      'channel.hype_train.progress',
      'channel.hype_train.end',
      'channel.ad_break.begin',
      'stream.online',
      'stream.offline',
      'channel.shared_chat.begin',
      'channel.chat.message',
      'channel.chat.notification',
      'channel.chat.message_delete',
      'channel.chat.clear',
    ]) {
      expect(types.has(type), type).toBe(true);
    }
  });
});

describe('normalizeEventSub: the payload details', () => {
  it('chat: roles and badges from the badges, code-point emote ranges, bits, reply parent', () => {
    const { type, event } = eventOf('channel.chat.message-emote-mention');
    const chat = only(type, event) as ChatEvent;
    expect(chat.author).toEqual({
      id: '4145994',
      login: 'viewer32',
      displayName: 'Viewer32',
      roles: ['mod', 'subscriber'],
      color: '#00FF7F',
      badges: { moderator: '1', subscriber: '12', 'sub-gifter': '1' },
    });
    expect(chat.emotes).toEqual([{ id: '25', name: 'Kappa', start: 13, end: 17 }]);
    const astral = only(type, {
      ...event,
      message: {
        text: '😀 Kappa',
        fragments: [
          { type: 'text', text: '😀 ', cheermote: null, emote: null, mention: null },
          { type: 'emote', text: 'Kappa', cheermote: null, emote: { id: '25', emote_set_id: '0', owner_id: '0', format: ['static'] }, mention: null },
        ],
      },
    }) as ChatEvent;
    expect(astral.emotes).toEqual([{ id: '25', name: 'Kappa', start: 2, end: 6 }]);
    expect((only(eventOf('channel.chat.message-cheer').type, eventOf('channel.chat.message-cheer').event) as ChatEvent).bits).toBe(100);
    const reply = eventOf('channel.chat.message-reply');
    const replied = only(reply.type, reply.event) as ChatEvent;
    expect(replied.replyTo).toEqual({ id: 'cc106a89-1814-419d-854c-f4f2f970aae7', login: 'viewer32', text: 'hi @streamer Kappa' });
    expect(replied.author.color).toBeUndefined();
  });

  it('chat from a partner channel in Shared Chat: sourceRoom, and the source message id to tell copies apart', () => {
    const { type, event } = eventOf('channel.chat.message-emote-mention');
    const out = normalizeEventSub(type, { ...event, source_broadcaster_user_id: '58126533', source_message_id: 'src-1' }, ctx());
    expect(out).toMatchObject({ outcome: 'events', sharedId: 'src-1', events: [{ sourceRoom: '58126533' }] });
  });

  it('ad break: the docs example writes the duration and the flag as strings; both are read', () => {
    expect(platformOf('channel.ad_break.begin', { duration_seconds: '60', is_automatic: 'true' }).data).toMatchObject({ durationSeconds: 60, automatic: true });
    expect(normalizeEventSub('channel.ad_break.begin', { ...eventOf('channel.ad_break.begin').event, duration_seconds: 'long' }, ctx()).outcome).toBe('malformed');
  });

  it('chat notification: `sub_plan` as Twitch writes it in its example is read as `sub_tier`; Prime is plan Prime', () => {
    const { type, event } = eventOf('channel.chat.notification-sub');
    const patched = { ...event, sub: { sub_plan: '2000', is_prime: false, duration_months: 1 } };
    expect((only(type, patched) as PlatformEvent).data).toMatchObject({ plan: '2000', prime: false });
    expect((only(type, { ...event, sub: { sub_tier: '1000', is_prime: true, duration_months: 1 } }) as PlatformEvent).data).toMatchObject({ plan: 'Prime', prime: true });
  });

  it('anonymous gifts and cheers have no author', () => {
    expect(platformOf('channel.subscription.gift', { is_anonymous: true, user_id: null, user_login: null, user_name: null, cumulative_total: null }).author).toBeUndefined();
    expect(platformOf('channel.cheer', { is_anonymous: true, user_id: null, user_login: null, user_name: null }).author).toBeUndefined();
  });

  it('a redelivered begin or end keeps its id (stored once); each progress notification is its own event', () => {
    const { type, event } = eventOf('channel.poll.begin');
    const first = normalizeEventSub(type, event, ctx('a'));
    const again = normalizeEventSub(type, event, ctx('b'));
    expect(first).toEqual(again);
    const progress = eventOf('channel.poll.progress');
    const p1 = normalizeEventSub(progress.type, progress.event, ctx('a'));
    const p2 = normalizeEventSub(progress.type, progress.event, ctx('b'));
    expect(p1).not.toEqual(p2);
  });

  it('poll choices and prediction outcomes are the items', () => {
    expect(platformOf('channel.poll.end').items).toEqual([
      { id: '3a1b9f2e-52a8-4c6a-9b0d-1c2d3e4f5a6b', title: 'Dragon', votes: 31, channelPointsVotes: 5 },
      { id: '4b2c0a3f-63b9-4d7b-8c1e-2d3e4f5a6b7c', title: 'Golem', votes: 14, channelPointsVotes: 2 },
    ]);
    expect(platformOf('channel.prediction.end').items?.map((o) => [o.title, o.channelPoints])).toEqual([
      ['Yes', 2800],
      ['No', 700],
    ]);
  });

  it('a notice chatflow does not turn into an event is unsupported; an unknown type too', () => {
    const { type, event } = eventOf('channel.chat.notification-sub');
    expect(normalizeEventSub(type, { ...event, notice_type: 'unraid', sub: null, unraid: {} }, ctx())).toEqual({ outcome: 'unsupported' });
    expect(normalizeEventSub('channel.moderate', {}, ctx())).toEqual({ outcome: 'unsupported' });
  });

  it('a payload missing what it needs is malformed, never a throw', () => {
    for (const s of samples) {
      expect(normalizeEventSub(s.type, {}, ctx()).outcome, s.id).toBe('malformed');
    }
    const { type, event } = eventOf('channel.channel_points_custom_reward_redemption.add');
    expect(normalizeEventSub(type, { ...event, reward: 'x' }, ctx()).outcome).toBe('malformed');
    expect(normalizeEventSub(type, { ...event, redeemed_at: 'yesterday' }, ctx()).outcome).toBe('malformed');
  });

  it('every session message sample is a frame of the documented envelope', () => {
    const kinds = loadEventSubSamples().map((s) => s.message.metadata.message_type);
    expect(new Set(kinds)).toEqual(new Set(['session_welcome', 'session_keepalive', 'session_reconnect', 'revocation', 'notification']));
  });
});
