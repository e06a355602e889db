/**
 * `filter`: lets through the events that match a declarative matcher and drops the rest.
 */
import { type MonoTypeOperatorFunction, Observable, Subscriber } from 'rxjs';
import { z } from 'zod';
import { PASSES_COMMANDS } from '../core/commandFlow.js';
import { defineOperator } from '../core/component.js';
import type { ChatflowEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { compileMatch, MATCH_ALL, MatchConfig, type Matcher } from './shared/match.js';

export const FilterConfig = z
  .strictObject({
    match: MatchConfig.optional().describe(
      'Events must match this to pass. Left out: every event matches (use `not` alone to exclude).',
    ),
    not: MatchConfig.optional().describe(
      'Events that match this are dropped, even when they match `match`. Same keys as `match`.',
    ),
  })
  .superRefine((config, ctx) => {
    if (config.match === undefined && config.not === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'A filter needs `match`, `not` or both; without them it would pass everything',
      });
    }
  })
  .describe('Which events pass.');
export type FilterConfig = z.output<typeof FilterConfig>;

/**
 * Lets an event through when it matches `match` and does not match `not`; every other event is
 * dropped and counted as an intentional `filtered` drop.
 *
 * ```text
 * match: { kind: [chat], role: [mod] }     a: chat by a mod   b: chat by a viewer
 * not:   { text: "^!" }                    c: "!cv" by a mod  d: command by a mod
 * source:   -a-b-c-d-|
 * result:   -a-------|
 * ```
 *
 * A matcher is plain data compiled once, so it cannot throw on well-formed events; if a
 * malformed event (a bad replay file, a buggy upstream node) makes it throw anyway, that event
 * is dropped and counted as an unintentional `error` drop, and the stream goes on.
 *
 * @param config Parsed config.
 * @param drops Where drops are counted; the node's metrics in a pipeline.
 * @param logger Warned once per subscription when the matcher throws.
 * @see route, which sends each event to the port of the case it matches instead of dropping.
 */
export function filter<T extends ChatflowEvent>(
  config: FilterConfig,
  drops: DropCounter = NO_DROPS,
  logger?: Logger,
): MonoTypeOperatorFunction<T> {
  const passes = passesFilter(config);
  return (source) =>
    new Observable<T>((subscriber) => source.subscribe(new FilterSubscriber(subscriber, passes, drops, logger)));
}

/**
 * The one predicate a filter calls per event: `match` alone when there is no `not` (so
 * `match: {}` costs one call to a function returning true), `not` alone when `match` is left out.
 */
export function passesFilter(config: FilterConfig): Matcher {
  const match: Matcher = config.match ? compileMatch(config.match) : MATCH_ALL;
  if (config.not === undefined) return match;
  const not = compileMatch(config.not);
  if (match === MATCH_ALL) return (event) => !not(event);
  return (event) => match(event) && !not(event);
}

/**
 * A `Subscriber` subclass rather than an observer object, which RxJS would wrap in two more
 * layers (a SafeSubscriber and its ConsumerObserver, each a call and a try) on every event of
 * every filter node on the hot path. Its warn-once flag is per subscription.
 */
class FilterSubscriber<T extends ChatflowEvent> extends Subscriber<T> {
  #warned = false;

  constructor(
    destination: Subscriber<T>,
    private readonly passes: Matcher,
    private readonly drops: DropCounter,
    private readonly logger: Logger | undefined,
  ) {
    super(destination);
  }

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next(event: T): void {
    if (this.isStopped) return;
    let pass: boolean;
    try {
      pass = this.passes(event);
    } catch (err) {
      this.drops.drop('error', false);
      if (!this.#warned) {
        this.#warned = true;
        this.logger?.warn({ err, kind: event?.kind }, 'Filter could not match an event; dropped it.');
      }
      return;
    }
    if (pass) this.destination.next(event);
    else this.drops.drop('filtered', true);
  }
}

export const filterComponent = defineOperator({
  type: 'filter',
  commandFlow: PASSES_COMMANDS,
  summary: 'Passes the events that match a declarative matcher and drops the rest.',
  description:
    'Every constraint given in `match` must hold (within one list, any entry may). `text`, `role`, `user` and `length` look at the chat message an event carries (a chat event, or the chat behind a command or moderation event); events without one do not match them. Dropped events are counted as `filtered`.',
  config: FilterConfig,
  examples: [
    'match: { kind: [chat], platform: [twitch], role: [mod, vip] }',
    'match: { kind: [chat] }\nnot: { user: [nightbot, streamelements] }',
    'not: { text: "https?://|www\\\\." }',
    'match: { kind: [command], command: [cv, pitch] }',
    'match: { text: "^!vote\\\\b", length: { max: 40 } }',
  ],
  create: (config, ctx) => filter(config, ctx.metrics, ctx.logger),
});
