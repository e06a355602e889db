/** The `chat` sink on Kick, against the fake `POST /public/v1/chat` over real HTTP, in virtual time. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKickSend } from '../../../test/fakes/kickSend.js';
import { CHAT_START, chatRun, replyOn } from '../../../test/support/chatRun.js';
import { KICK_AUTH, type KickAuth } from '../../core/kickAuth.js';
import { provide } from '../../core/services.js';

let fake: FakeKickSend;
beforeAll(async () => {
  fake = await FakeKickSend.start();
});
afterAll(async () => {
  await fake.close();
});

function run(config: Record<string, unknown> = {}, token = 'kick-token') {
  fake.messages.length = 0;
  fake.refusals.length = 0;
  fake.rate.clear();
  fake.unsent = 0;
  const r = chatRun({ twitch: { enabled: false }, kick: { api_url: fake.api, ...config }, queue: { per_viewer: 100, max_age: '5m' } }, [
    provide(KICK_AUTH, { accessToken: async () => token } as unknown as KickAuth),
  ]);
  fake.now = () => r.scheduler.now();
  return r;
}

const reply = (text: string, user = 'viewer') => replyOn('kick', 'streamer', text, user);

describe('chat sink on Kick (fake public chat API)', () => {
  it("posts as the user into the broadcaster's chat (id looked up from the slug), as a reply, paced without a refusal", async () => {
    const { sink, runTo } = run();
    sink.write(Array.from({ length: 30 }, (_, i) => reply(`thanks ${i}`, `u${i}`)));
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(20);
    expect(fake.messages[0]).toMatchObject({ broadcaster_user_id: 123456789, content: 'thanks 0', reply_to_message_id: expect.stringMatching(/^m-u0-/) });
    await runTo(CHAT_START + 31_000);
    expect(fake.messages).toHaveLength(30);
    expect(fake.refusals).toEqual([]);
  });

  it('a 429 (sending faster than Kick allows) waits Retry-After, then sends', async () => {
    const { sink, runTo } = run({ per_30s: 30 });
    sink.write(Array.from({ length: 22 }, (_, i) => reply(`r${i}`, `u${i}`)));
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(20);
    expect(fake.refusals).toEqual(['rate_limited']);
    await runTo(CHAT_START + 31_000);
    expect(fake.messages).toHaveLength(22);
    expect(sink.refusals.get('http_429')).toBe(1);
  });

  it('counts refusals by reason: no chat:write, is_sent false, an unknown channel', async () => {
    fake.tokens.set('read-only', ['user:read']);
    const scope = run({}, 'read-only');
    scope.sink.write([reply('hello')]);
    await scope.runTo(CHAT_START + 1000);
    expect(scope.dropped()).toEqual({ refused_unauthorized: { count: 1, intentional: false } });

    const unsent = run();
    fake.unsent = 1;
    unsent.sink.write([reply('hello')]);
    await unsent.runTo(CHAT_START + 1000);
    expect(unsent.dropped()).toEqual({ refused_not_sent: { count: 1, intentional: false } });

    const nowhere = run();
    nowhere.sink.write([replyOn('kick', 'no-such-channel', 'hello')]);
    await nowhere.runTo(CHAT_START + 1000);
    expect(nowhere.dropped()).toEqual({ refused_channel_not_found: { count: 1, intentional: false } });
  });

  it('never sends a command and never over 500 characters', async () => {
    const { sink, runTo } = run();
    sink.write([reply('  /ban streamer'), reply(`${'x'.repeat(499)} tail`, 'bob')]);
    await runTo(CHAT_START + 1000);
    expect(fake.messages.map((m) => m.content)).toEqual(['ban streamer', 'x'.repeat(499), 'tail']);
  });
});
