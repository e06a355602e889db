/**
 * The chat sink under a flood, against the fake Helix over real HTTP, in virtual time (the fake's
 * chat limits read the same virtual clock): 1,000 commands from 50 viewers in 10 s, the bot a
 * moderator (100 messages per 30 s). Twitch refuses nothing; every viewer gets a fair share;
 * moderators' answers go first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_STREAMER, FakeTwitchHelix } from '../fakes/twitchHelix.js';
import { testContext } from '../support/context.js';
import { tempDirs } from '../support/tempDirs.js';
import { twitchChatAuth } from '../support/twitchChat.js';
import type { ReplyEvent, ReplyPriority, Role } from '../../src/core/events.js';
import { provide, Services } from '../../src/core/services.js';
import { TWITCH_AUTH } from '../../src/core/twitchAuth.js';
import { ChatConfig, type ChatSink, chatComponent } from '../../src/sinks/chat/index.js';
import { VirtualScheduler } from '../../src/testing/virtualScheduler.js';

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
const VIEWERS = 50;
const COMMANDS = 1000;
const MODS = new Set(['v00', 'v01']);

interface Sent {
  readonly text: string;
  readonly at: number;
}

/** Advances the run to `until`, letting every HTTP call the sink starts finish at the instant it started. */
async function runTo(scheduler: VirtualScheduler, sink: ChatSink, until: number): Promise<void> {
  for (;;) {
    await sink.quiet();
    const next = scheduler.nextDue();
    if (next === undefined || next > until) break;
    await scheduler.advance(next);
  }
  await scheduler.advance(until);
  await sink.quiet();
}

describe('chat sink: a flood of 1,000 commands from 50 viewers in 10 s (Twitch, bot is a moderator)', () => {
  it('is never refused, shares fairly, answers moderators first, and keeps the platform busy', async () => {
    const scheduler = new VirtualScheduler(START);
    fake.chatNow = () => scheduler.now();
    fake.moderators.set(FAKE_STREAMER.id, new Set([FAKE_BOT.id]));
    const { service } = await twitchChatAuth(fake, await dirs.make('chatflow-flood-'));
    const base = testContext({ id: 'bot', kind: 'sink', type: 'chat', scheduler });
    const ctx = { ...base, resources: { ...base.resources, services: new Services([provide(TWITCH_AUTH, service)]) } };
    const sink = chatComponent.create(ChatConfig.parse({}), ctx) as ChatSink;

    const arrivals = new Map<string, { at: number; priority: ReplyPriority; viewer: string }>();
    for (let k = 0; k < COMMANDS; k += 1) {
      const at = START + k * 10;
      await runTo(scheduler, sink, at);
      const login = `v${String(k % VIEWERS).padStart(2, '0')}`;
      const roles: Role[] = MODS.has(login) ? ['mod'] : [];
      const text = `@${login} cutoff set to 0.${k}`;
      const reply: ReplyEvent = {
        kind: 'reply',
        platform: 'twitch',
        channel: FAKE_STREAMER.login,
        text,
        replyTo: `msg-${k}`,
        viewer: { id: `id-${login}`, login, roles },
        receivedAt: 0,
      };
      arrivals.set(text, { at, priority: MODS.has(login) ? 'high' : 'normal', viewer: login });
      sink.write([reply]);
    }
    for (let t = START + 10_000; sink.pending > 0 && t < START + 300_000; t += 1000) await runTo(scheduler, sink, t);
    expect(sink.pending).toBe(0);

    // No refusal: Twitch (the fake, enforcing 100 per 30 s and duplicates) refused nothing.
    expect(fake.chatRefusals).toEqual([]);
    expect([...sink.refusals]).toEqual([]);
    const sent: Sent[] = fake.chatMessages.filter((m) => m.at >= START).map((m) => ({ text: m.message, at: m.at }));
    expect(sent.length).toBe(sink.sent);

    // The platform is the bottleneck, not the sink: the first window is used to the full.
    expect(sent.filter((m) => m.at < START + 30_000)).toHaveLength(100);

    // Every reply is accounted for: sent, or dropped with a reason.
    const dropped = ctx.metrics.snapshot().dropped;
    const drops = Object.values(dropped).reduce((n, d) => n + d.count, 0);
    expect(sent.length + drops).toBe(COMMANDS);
    expect(Object.keys(dropped).every((r) => ['viewer_queue_full', 'queue_full', 'stale'].includes(r))).toBe(true);

    // Most important first: every moderator's answer was sent, and no normal answer went out
    // while a moderator's answer that had arrived was still waiting.
    const highSent = sent.filter((m) => arrivals.get(m.text)?.priority === 'high');
    expect(highSent).toHaveLength(40);
    sent.forEach((m, i) => {
      if (arrivals.get(m.text)?.priority !== 'normal') return;
      const waiting = sent.slice(i + 1).filter((later) => {
        const a = arrivals.get(later.text);
        return a?.priority === 'high' && a.at <= m.at;
      });
      expect(waiting).toEqual([]);
    });

    // Fair share (the measure): among the 48 other viewers, the number of answers each got
    // differs by at most one between any two of them.
    const perViewer = new Map<string, number>();
    for (const m of sent) {
      const a = arrivals.get(m.text);
      if (a?.priority === 'normal') perViewer.set(a.viewer, (perViewer.get(a.viewer) ?? 0) + 1);
    }
    expect(perViewer.size).toBe(VIEWERS - MODS.size);
    const counts = [...perViewer.values()];
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    console.info(`chat flood: ${sent.length} sent, drops ${JSON.stringify(dropped)}, per viewer ${Math.min(...counts)}..${Math.max(...counts)}`);
  }, 120_000);
});
