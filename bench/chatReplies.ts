/**
 * `chat-replies` (issue 19): replies per second the `chat` sink's scheduling can handle — the
 * injection guard, length fitting, the fair per-viewer queue with priorities and the limits —
 * fed synchronously, to show it is never the bottleneck (the platform is: Twitch allows 100
 * messages per 30 s in a channel, 7,500 per 30 s = 250/s site-wide for a verified bot).
 *
 * - `open`: a sender that accepts everything at once (no limit reached): every reply goes
 *   through guard → fit → queue → send.
 * - `saturated`: Twitch's moderator limit (100 per 30 s) with the default queue (300, 5 per
 *   viewer): almost every reply meets a full queue and is dropped with a reason; the cost of
 *   the drop decisions (longest lane, per-viewer share).
 * - `baseline`: the same replies through a plain array push/shift, same run: what fairness costs.
 */
import { Subject, VirtualTimeScheduler } from 'rxjs';
import type { ReplyEvent, Role } from '../src/core/events.js';
import { paceReplies } from '../src/sinks/chat/pacer.js';
import type { ChatSender } from '../src/sinks/chat/sender.js';
import { writeResult } from './results.js';

const REPLIES = Number(process.env.BENCH_REPLIES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const VIEWERS = 5000;
/** 100× Twitch's site-wide rate for a verified bot (250 messages/s). */
const GOAL_PER_SEC = 25_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function replies(): ReplyEvent[] {
  return Array.from({ length: REPLIES }, (_, i) => {
    const v = i % VIEWERS;
    const roles: Role[] = v % 100 === 0 ? ['mod'] : [];
    const text = i % 10 === 0 ? ` /ban ${i} user${v} ${'word '.repeat(120)}${i}` : `@user${v} cutoff set to 0.${i}`;
    return {
      kind: 'reply',
      platform: 'twitch',
      channel: 'streamer',
      text,
      replyTo: `m${i}`,
      viewer: { id: `id${v}`, login: `user${v}`, roles },
      receivedAt: 0,
    };
  });
}

/** Replies/s (wall and CPU) through the pacer with a sender allowing `perWindow` per 30 s. */
function pace(events: readonly ReplyEvent[], perWindow: number): { perSec: number; perCpuSec: number; sent: number; dropped: number } {
  const sender: ChatSender = {
    platform: 'twitch',
    standing: () => ({ role: 'moderator', limits: { perWindow, windowMs: 30_000, maxLength: 500, duplicateMs: 30_000 } }),
    send: () => ({ kind: 'sent' }),
  };
  const input = new Subject<ReplyEvent>();
  let sent = 0;
  let dropped = 0;
  input
    .pipe(
      paceReplies({
        scheduler: new VirtualTimeScheduler(),
        senderFor: () => sender,
        queue: { max: 300, perViewer: 5 },
        maxAgeMs: 60_000,
        long: 'split',
        maxParts: 3,
        standingTtlMs: 300_000,
        maxAttempts: 3,
        retryDelayMs: 1000,
      }),
    )
    .subscribe((d) => {
      if (d.kind === 'sent') sent++;
      else if (d.kind === 'dropped') dropped++;
    });
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const e of events) input.next(e);
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { perSec: (events.length / elapsed) * 1000, perCpuSec: (events.length / ((used.user + used.system) / 1000)) * 1000, sent, dropped };
}

/** The same replies through a plain FIFO: the floor any queue costs. */
function baseline(events: readonly ReplyEvent[]): number {
  const cpu = process.cpuUsage();
  const queue: ReplyEvent[] = [];
  let n = 0;
  for (const e of events) {
    queue.push(e);
    if ((queue.shift()?.text.length ?? 0) > 0) n++;
  }
  const used = process.cpuUsage(cpu);
  if (n !== events.length) throw new Error('baseline lost replies');
  return (events.length / ((used.user + used.system) / 1000)) * 1000;
}

export async function chatReplies(): Promise<Record<string, unknown>> {
  const events = replies();
  pace(events, 1e9); // warm-up
  pace(events, 100);
  const open = Array.from({ length: ROUNDS }, () => pace(events, 1e9));
  const saturated = Array.from({ length: ROUNDS }, () => pace(events, 100));
  const base = Array.from({ length: ROUNDS }, () => baseline(events));
  const openPerSec = Math.round(median(open.map((r) => r.perSec)));
  const saturatedPerSec = Math.round(median(saturated.map((r) => r.perSec)));
  const results = {
    replies: REPLIES,
    viewers: VIEWERS,
    rounds: ROUNDS,
    openRepliesPerSec: openPerSec,
    openRepliesPerCpuSec: Math.round(median(open.map((r) => r.perCpuSec))),
    openMessagesSent: open[0]?.sent,
    saturatedRepliesPerSec: saturatedPerSec,
    saturatedRepliesPerCpuSec: Math.round(median(saturated.map((r) => r.perCpuSec))),
    saturatedSent: saturated[0]?.sent,
    saturatedDropped: saturated[0]?.dropped,
    baselineFifoPerCpuSec: Math.round(median(base)),
    twitchLimitPerSec: { channelModerator: 100 / 30, siteWideVerifiedBot: 250 },
    goal: `>= ${GOAL_PER_SEC} replies/s scheduled in both cases (100x Twitch's site-wide rate for a verified bot)`,
    method:
      'paceReplies (the chat sink minus HTTP) fed synchronously with 200k replies from 5000 viewers (1 in 100 a moderator, 1 in 10 a long reply starting with /ban that is guarded and split), a sender answering at once; open: no limit reached; saturated: 100 per 30 s with the default queue (300, 5 per viewer), virtual time standing still, so nearly all are dropped by the queue policy',
    pass: openPerSec >= GOAL_PER_SEC && saturatedPerSec >= GOAL_PER_SEC,
  };
  await writeResult('chat-replies', results);
  return results;
}
