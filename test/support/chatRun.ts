/** A `chat` sink built by its component in virtual time, for tests against the fake platforms. */
import { testContext } from './context.js';
import { chat } from './events.js';
import type { Platform, ReplyEvent } from '../../src/core/events.js';
import { replyToChat } from '../../src/core/reply.js';
import type { Provided } from '../../src/core/services.js';
import { Services } from '../../src/core/services.js';
import { ChatConfig, type ChatSink, chatComponent } from '../../src/sinks/chat/index.js';
import { VirtualScheduler } from '../../src/testing/virtualScheduler.js';

export const CHAT_START = 1_800_000_000_000;

export function chatRun(config: Record<string, unknown>, provided: readonly Provided[]) {
  const scheduler = new VirtualScheduler(CHAT_START);
  const base = testContext({ id: 'bot', kind: 'sink', type: 'chat', scheduler });
  const ctx = { ...base, resources: { ...base.resources, services: new Services(provided) } };
  const sink = chatComponent.create(ChatConfig.parse(config), ctx) as ChatSink;
  /** Advances to `until`, letting each platform call finish at the instant it started. */
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
  return { sink, ctx, scheduler, runTo, dropped: () => ctx.metrics.snapshot().dropped };
}

/** A reply answering `user`'s chat message on `platform` in `channel`. */
export function replyOn(platform: Platform, channel: string, text: string, user = 'viewer'): ReplyEvent {
  return replyToChat(chat(`!x ${text}`, { user, channel, platform, id: `m-${user}-${text.length}` }), text);
}
