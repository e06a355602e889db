/**
 * `text_commands` counters in a real redis-server: a count goes on where the last process left
 * it (a restart of chatflow is a fresh node with fresh state), and two nodes of the same id
 * share one count.
 */
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatflowEvent, ReplyEvent } from '../../src/core/events.js';
import { TextCommandsConfig, textCommandsComponent } from '../../src/operators/textCommands/index.js';
import { testContext } from '../support/context.js';
import { chat } from '../support/events.js';
import { startTestRedis, type TestServer } from '../support/servers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestRedis();
});
afterAll(async () => {
  await server?.destroy();
});

const config = TextCommandsConfig.parse({
  commands: { hug: { reply: '{{ user }} hugs {{ args.0 }} ({{ count }} hugs so far)' } },
});

/** One "process": a node made by the component, fed `texts`, until every reply is out. */
async function session(id: string, texts: readonly string[]): Promise<string[]> {
  const ctx = testContext({ id, type: 'text_commands' });
  const withRedis = { ...ctx, resources: { ...ctx.resources, redis: { url: server.url } } };
  const input = new Subject<ChatflowEvent>();
  const out: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    input.pipe(textCommandsComponent.create(config, withRedis)).subscribe({
      next: (event) => out.push((event as ReplyEvent).text),
      error: reject,
      complete: resolve,
    });
  });
  for (const text of texts) input.next(chat(text));
  input.complete();
  await done;
  return out;
}

describe('text_commands counters in Redis', () => {
  it('survive a restart: the next process counts on', async () => {
    expect(await session('bot', ['!hug ann', '!hug bob'])).toEqual(['viewer hugs ann (1 hugs so far)', 'viewer hugs bob (2 hugs so far)']);
    expect(await session('bot', ['!hug cat'])).toEqual(['viewer hugs cat (3 hugs so far)']);
    const redis = new Redis(server.url);
    try {
      expect(await redis.hget('chatflow:counters:bot', 'hug')).toBe('3');
    } finally {
      redis.disconnect();
    }
  });

  it('are kept per node id', async () => {
    expect(await session('other', ['!hug ann'])).toEqual(['viewer hugs ann (1 hugs so far)']);
  });
});
