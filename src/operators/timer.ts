/**
 * `timer`: posts a message in chat every so often, only where chat has moved since the last
 * one (at least `min_lines` lines), rotating through a list: the timed messages every bot has.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { defineOperator } from '../core/component.js';
import type { ChatflowEvent, Platform, ReplyEvent } from '../core/events.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { checkTemplateFields, compileTemplate } from '../core/template.js';
import { duration } from '../core/units.js';

/** The fields a timer message may use. */
export const TIMER_FIELDS = ['platform', 'channel'] as const;

const message = z
  .string()
  .min(1)
  .max(500)
  .superRefine((text, ctx) => {
    for (const message of checkTemplateFields(text, TIMER_FIELDS, 'message field')) ctx.addIssue({ code: 'custom', message });
    if (/^[\s/.]/.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'A message must not start with whitespace, "/" or "." (chat would read it as a command)' });
    }
  });

export const TimerConfig = z
  .strictObject({
    every: duration()
      .refine((ms) => ms >= 1000, 'A timer fires at most once a second')
      .describe('How often the timer may post (`15m`); each channel gets the next message only if chat moved enough since its last one.'),
    min_lines: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe(
        'Chat lines a channel needs since the timer last posted there (or since start) for the timer to post again; the bot\'s own lines do not count. `0`: post every time in every channel that has had chat.',
      ),
    messages: z
      .array(message)
      .min(1)
      .describe('The messages, posted in turn (per channel). Fields: `{{ platform }}`, `{{ channel }}`.'),
  })
  .describe('Timed messages in chat.');
export type TimerConfig = z.output<typeof TimerConfig>;

/** Collaborators of {@link timer}. */
export interface TimerDeps {
  /** Clock and timer; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /** `receivedAt` of the messages it makes up (`performance.now()` in a pipeline); default `scheduler.now()`. */
  readonly clock?: () => number;
}

interface Channel {
  readonly platform: Platform;
  readonly channel: string;
  lines: number;
  next: number;
}

/**
 * Counts the chat lines of every channel it reads and, every `every`, posts the next of
 * `messages` as a {@link ReplyEvent} in each channel that had at least `min_lines` lines since
 * the timer last posted there, at priority `low` (after every answer to a viewer).
 *
 * ```text
 * every: 10ms, min_lines: 2, messages: [A, B]
 * source:   -cc--------c---------cc--------|
 * result:   ----------A-------------------B|
 *           at 10 ms two lines: A; at 20 ms one line: nothing; at 30 ms three since A: B
 * ```
 *
 * The count starts at subscription, so a restart waits for chat again. The bot's own lines
 * (`self`) are dropped as `own_message`, backfilled history and other events as `not_chat`,
 * without counting. Each channel goes through the list on its own. The timer stops with its
 * source.
 *
 * @param config Parsed config.
 * @param deps Scheduler, drop counter and clock.
 * @see textCommands, which answers commands.
 */
export function timer(config: TimerConfig, deps: TimerDeps = {}): OperatorFunction<ChatflowEvent, ReplyEvent> {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const drops = deps.drops ?? NO_DROPS;
  const clock = deps.clock ?? (() => scheduler.now());
  const render = config.messages.map((m) => compileTemplate(m));
  const { every, min_lines: minLines } = config;

  return (source) =>
    new Observable<ReplyEvent>((subscriber) => {
      // Per-subscription state: each channel's lines since its last message, and its place in the list.
      const channels = new Map<string, Channel>();
      const tick = scheduler.schedule(function post(this: SchedulerAction<undefined>) {
        for (const ch of channels.values()) {
          if (ch.lines < minLines) continue;
          const template = render[ch.next % render.length] as (typeof render)[number];
          ch.next += 1;
          ch.lines = 0;
          subscriber.next({
            kind: 'reply',
            platform: ch.platform,
            channel: ch.channel,
            text: template({ platform: ch.platform, channel: ch.channel }),
            // The bot speaking on its own: after every answer to a viewer (no `viewer`: the shared lane).
            priority: 'low',
            receivedAt: clock(),
          });
        }
        this.schedule(undefined, every);
      }, every);

      const subscription = source.subscribe({
        next: (event) => {
          if (event.kind !== 'chat' || event.backfill === true) {
            drops.drop('not_chat', true);
            return;
          }
          if (event.self === true) {
            drops.drop('own_message', true);
            return;
          }
          const key = `${event.platform}\u001f${event.channel}`;
          const ch = channels.get(key);
          if (ch) ch.lines += 1;
          else channels.set(key, { platform: event.platform, channel: event.channel, lines: 1, next: 0 });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      subscription.add(tick);
      return subscription;
    });
}

export const timerComponent = defineOperator({
  type: 'timer',
  summary: 'Posts timed messages in chat (every N minutes, only after M chat lines), rotating through a list.',
  description:
    'Reads chat to count lines per channel and emits `reply` events for the `chat` sink: every `every`, each channel with at least `min_lines` lines since the timer last posted there gets the next message.',
  config: TimerConfig,
  examples: [
    'every: 15m\nmin_lines: 10\nmessages:\n  - "Join the Discord: discord.gg/example"\n  - "Type !help to see what you can do with the synth."',
  ],
  create: (config, ctx) => timer(config, { scheduler: ctx.scheduler, drops: ctx.metrics, clock: ctx.clock }),
});
