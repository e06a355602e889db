import { asyncScheduler, type MonoTypeOperatorFunction, Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { PASSES_COMMANDS } from '../core/commandFlow.js';
import { defineOperator } from '../core/component.js';
import { type ChatflowEvent, PLATFORMS } from '../core/events.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { duration } from '../core/units.js';
import { SeenKeys } from './shared/seenKeys.js';

export const DedupeConfig = z
  .strictObject({
    window: duration()
      .prefault('5m')
      .describe(
        'How long an id is remembered after it was first seen; a repeat within it is dropped (`duplicate`). Repeats do not extend it.',
      ),
    max_keys: z
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe(
        'Most ids remembered at once; beyond it the oldest are forgotten, even inside their window (the newest `max_keys / 2` are always kept).',
      ),
  })
  .describe('Duplicate suppression by (platform, message id).');
export type DedupeConfig = z.output<typeof DedupeConfig>;

/** Collaborators of {@link dedupe}. */
export interface DedupeDeps {
  /** Clock; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
}

/** `chat:<platform>:` per platform, so a chat key's prefix is not built per event. */
const CHAT_PREFIX: Readonly<Record<string, string>> = Object.fromEntries(PLATFORMS.map((p) => [p, `chat:${p}:`]));

/**
 * The identity of an event for {@link dedupe} without its last part: `chat:platform:`,
 * `platform:platform:type:`, `command:platform:chat id:`; undefined for other kinds and for
 * events without an id, which always pass.
 */
export function dedupePrefix(event: ChatflowEvent): string | undefined {
  switch (event.kind) {
    case 'chat':
      return event.id ? (CHAT_PREFIX[event.platform] ?? `chat:${event.platform}:`) : undefined;
    case 'platform':
      return event.id ? `platform:${event.platform}:${event.type}:` : undefined;
    case 'command':
      return event.chat.id ? `command:${event.chat.platform}:${event.chat.id}:` : undefined;
    default:
      return undefined;
  }
}

/** The last part of an event's identity: the message id, or the command's name. */
function dedupeTail(event: ChatflowEvent): string {
  switch (event.kind) {
    case 'chat':
    case 'platform':
      return event.id;
    case 'command':
      return event.name;
    default:
      return '';
  }
}

/**
 * The identity of an event for {@link dedupe}: `chat:platform:id`,
 * `platform:platform:type:id`, `command:platform:chat id:name`; undefined for other kinds and
 * for events without an id, which always pass.
 */
export function dedupeKey(event: ChatflowEvent): string | undefined {
  const prefix = dedupePrefix(event);
  return prefix === undefined ? undefined : prefix + dedupeTail(event);
}

/**
 * Drops chat, platform and command events whose id was already seen within `window`; every
 * other event passes.
 *
 * ```text
 * window: 5ms (a and b carry the same message id, c another)
 * source:   -a-b-c----b-|
 * result:   -a---c----b-|
 * ```
 *
 * Every platform can deliver a message twice: Twitch during a RECONNECT overlap and through
 * Shared Chat, Kick on resubscribe, YouTube on its first page and on token resume. The window
 * runs from the first sighting and is half-open: a repeat exactly `window` later passes. Memory
 * is bounded by `max_keys` ids, forgotten oldest first a generation at a time (at least the
 * `max_keys / 2` newest are always kept), and ids older than the window are forgotten as time
 * passes.
 *
 * @param config The parsed {@link DedupeConfig}.
 * @param deps Scheduler (clock) and drop counter.
 * @see throttle
 */
export function dedupe(config: DedupeConfig, deps: DedupeDeps = {}): MonoTypeOperatorFunction<ChatflowEvent> {
  const { scheduler = asyncScheduler, drops = NO_DROPS } = deps;
  const { window: windowMs, max_keys: maxKeys } = config;

  return (source) =>
    new Observable<ChatflowEvent>((subscriber) => {
      // Per-subscription state: the ids first seen within the window.
      const seen = new SeenKeys(maxKeys, windowMs);

      return source.subscribe({
        next: (event) => {
          try {
            const prefix = dedupePrefix(event);
            if (prefix !== undefined && seen.seen(prefix, dedupeTail(event), scheduler.now())) {
              drops.drop('duplicate');
              return;
            }
          } catch {
            drops.drop('error', false);
            return;
          }
          subscriber.next(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

export const dedupeComponent = defineOperator({
  type: 'dedupe',
  commandFlow: PASSES_COMMANDS,
  summary: 'Drops events whose (platform, message id) was already seen within a time window.',
  description:
    'Chat events are keyed by platform and message id, platform events by platform, type and id, commands by platform, chat message id and command name. Repeats within `window` are counted as `duplicate` and dropped; other event kinds pass untouched.',
  config: DedupeConfig,
  examples: ['window: 5m', 'window: 30s\nmax_keys: 20000'],
  create: (config, ctx) => dedupe(config, { scheduler: ctx.scheduler, drops: ctx.metrics }),
});
