/**
 * The `chat` sink as a pipeline builds it (its component, the run's Twitch sign-in service),
 * against the fake Helix over real HTTP, in virtual time: the fake's chat limits read the same
 * clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_STREAMER, FakeTwitchHelix } from '../../../test/fakes/twitchHelix.js';
import { testContext } from '../../../test/support/context.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { twitchChatAuth } from '../../../test/support/twitchChat.js';
import { chat } from '../../../test/support/events.js';
import type { ReplyEvent } from '../../core/events.js';
import { replyToChat } from '../../core/reply.js';
import { provide, Services } from '../../core/services.js';
import { TWITCH_AUTH } from '../../core/twitchAuth.js';
import { VirtualScheduler } from '../../testing/virtualScheduler.js';
import { ChatConfig, type ChatSink, chatComponent } from './index.js';

let fake: FakeTwitchHelix;
const dirs = tempDirs();
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
});
afterAll(async () => {
  await fake.close();
  await dirs.removeAll();
});

const START = 1_800_000_000_000;

async function setup(config: Record<string, unknown> = {}, options: { scopes?: string[]; signedIn?: boolean } = {}) {
  const scheduler = new VirtualScheduler(START);
  fake.chatNow = () => scheduler.now();
  const base = testContext({ id: 'bot', kind: 'sink', type: 'chat', scheduler });
  const services =
    options.signedIn === false
      ? new Services()
      : new Services([
          provide(
            TWITCH_AUTH,
            (await twitchChatAuth(fake, await dirs.make('chatflow-chat-'), options.scopes ? { scopes: options.scopes } : {})).service,
          ),
        ]);
  const ctx = { ...base, resources: { ...base.resources, services } };
  const sink = chatComponent.create(ChatConfig.parse(config), ctx) as ChatSink;
  const runTo = async (until: number) => {
    for (;;) {
      await sink.quiet();
      const next = scheduler.nextDue();
      if (next === undefined || next > until) break;
      await scheduler.advance(next);
    }
    await scheduler.advance(until);
    await sink.quiet();
  };
  const sent = () => fake.chatMessages.filter((m) => m.at >= START).map((m) => ({ text: m.message, after: m.at - START }));
  return { sink, ctx, scheduler, runTo, sent, dropped: () => ctx.metrics.snapshot().dropped };
}

const reply = (text: string, user = 'viewer'): ReplyEvent => replyToChat(chat(`!x ${text}`, { user, channel: FAKE_STREAMER.login }), text);

beforeEach(() => {
  fake.resetChat();
});

describe('chat sink (fake Twitch)', () => {
  it('never sends a command: /ban, .timeout and their whitespace and invisible variants arrive as plain text', async () => {
    const { sink, runTo, sent } = await setup();
    const attempts = ['/ban streamer', '.timeout viewer 600', '   /ban a', '\t.ban b', '\u200B/ban c', '\uFEFF\u00A0.mod d', '\u3000/ /ban e', '／ban f'];
    sink.write(attempts.map((t, i) => reply(t, `u${i}`)));
    await runTo(START + 1000);
    const texts = sent().map((m) => m.text);
    expect(texts).toEqual(['ban streamer', 'timeout viewer 600', 'ban a', 'ban b', 'ban c', 'mod d', 'ban e', 'ban f']);
    for (const text of texts) expect(text).not.toMatch(/^[\s./\\]/u);
  });

  it('holds an identical text for 30 s instead of having Twitch refuse it', async () => {
    const { sink, runTo, sent } = await setup({ queue: { max_age: '90s' } });
    sink.write([reply('cutoff set to 0.7', 'ada'), reply('cutoff set to 0.7', 'bob'), reply('thanks', 'cy')]);
    await runTo(START + 61_000);
    expect(sent()).toEqual([
      { text: 'cutoff set to 0.7', after: 0 },
      { text: 'thanks', after: 0 },
      { text: 'cutoff set to 0.7', after: 30_000 },
    ]);
    expect(fake.chatRefusals).toEqual([]);
  });

  it('splits a long reply on word boundaries into messages of at most 500 characters, or cuts it', async () => {
    const words = Array.from({ length: 150 }, (_, i) => `word${i}`).join(' ');
    const split = await setup();
    split.sink.write([reply(words)]);
    await split.runTo(START + 1000);
    const parts = split.sent().map((m) => m.text);
    expect(parts.length).toBe(3);
    expect(parts.join(' ')).toBe(words);
    for (const p of parts) expect([...p].length).toBeLessThanOrEqual(500);

    fake.resetChat();
    const cut = await setup({ long: 'cut' });
    cut.sink.write([reply(words)]);
    await cut.runTo(START + 1000);
    const [only] = cut.sent().map((m) => m.text);
    expect(cut.sent()).toHaveLength(1);
    expect(only?.endsWith('…')).toBe(true);
    expect([...(only ?? '')].length).toBeLessThanOrEqual(500);
  });

  it('counts every refusal with its reason: a duplicate Twitch refused, a missing scope', async () => {
    const dup = await setup();
    fake.dropChat = 1;
    dup.sink.write([reply('hello')]);
    await dup.runTo(START + 1000);
    expect(dup.dropped()).toEqual({ refused_msg_duplicate: { count: 1, intentional: false } });
    expect(dup.sink.refusals.get('msg_duplicate')).toBe(1);

    const scope = await setup({}, { scopes: ['user:read:moderated_channels'] });
    scope.sink.write([reply('hello')]);
    await scope.runTo(START + 1000);
    expect(scope.dropped()).toEqual({ refused_missing_scope: { count: 1, intentional: false } });
  });

  it('without a Twitch sign-in, replies are dropped as refused_not_signed_in (not lost silently)', async () => {
    const { sink, runTo, dropped } = await setup({}, { signedIn: false });
    sink.write([reply('hello'), reply('again', 'bob')]);
    await runTo(START + 1000);
    expect(dropped()).toEqual({ refused_not_signed_in: { count: 2, intentional: false } });
  });

  it('a 429 waits as long as Ratelimit-Reset says, then sends', async () => {
    const { sink, runTo, sent } = await setup();
    sink.write([reply('first')]);
    await runTo(START);
    fake.rateLimit(1, START / 1000 + 5);
    sink.write([reply('second', 'bob')]);
    await runTo(START + 10_000);
    expect(sent()).toEqual([
      { text: 'first', after: 0 },
      { text: 'second', after: 5000 },
    ]);
    expect(sink.refusals.get('http_429')).toBe(1);
  });

  it('as a viewer in the channel it sends 20 per 30 s; made moderator, 100 (read again every standing_every)', async () => {
    const { sink, runTo, sent } = await setup({ standing_every: '40s', queue: { per_viewer: 100, max_age: '5m' } });
    sink.write(Array.from({ length: 60 }, (_, i) => reply(`reply ${i}`, `u${i}`)));
    await runTo(START + 1000);
    expect(sent()).toHaveLength(20);
    fake.moderators.set(FAKE_STREAMER.id, new Set(['2914196']));
    await runTo(START + 31_000);
    expect(sent()).toHaveLength(40);
    await runTo(START + 61_000);
    expect(sent()).toHaveLength(60);
    expect(sent().filter((m) => m.after >= 40_000)).toHaveLength(20);
    expect(fake.chatRefusals).toEqual([]);
  });

  it('drops what is not a reply, and at shutdown what it could not send, each with a reason', async () => {
    const { sink, runTo, dropped } = await setup({ queue: { per_viewer: 100 } });
    sink.write([chat('not a reply'), ...Array.from({ length: 25 }, (_, i) => reply(`r${i}`, `u${i}`))]);
    await runTo(START + 1000);
    await sink.stop();
    expect(dropped()).toEqual({ not_reply: { count: 1, intentional: true }, shutdown: { count: 5, intentional: false } });
  });

  it('flush resolves once every queued reply is sent', async () => {
    const { sink, runTo, sent } = await setup();
    sink.write(Array.from({ length: 21 }, (_, i) => reply(`r${i}`, `u${i}`)));
    let flushed = false;
    void sink.flush().then(() => {
      flushed = true;
    });
    await runTo(START + 1000);
    expect(flushed).toBe(false);
    await runTo(START + 31_000);
    expect(flushed).toBe(true);
    expect(sent()).toHaveLength(21);
  });
});
