/**
 * `filter`: lets through the events that match a declarative matcher and drops the rest.
 */
import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import { z } from 'zod';
import { PASSES_COMMANDS } from '../core/commandFlow.js';
import { defineOperator } from '../core/component.js';
import type { ChatflowEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { compileMatch, MATCH_ALL, MATCH_NONE, MatchConfig, type Matcher } from './shared/match.js';

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
  const match: Matcher = config.match ? compileMatch(config.match) : MATCH_ALL;
  const not: Matcher = config.not ? compileMatch(config.not) : MATCH_NONE;
  return (source) =>
    new Observable<T>((subscriber) => {
      let warned = false;
      return source.subscribe({
        next: (event) => {
          let pass: boolean;
          try {
            pass = match(event) && !not(event);
          } catch (err) {
            drops.drop('error', false);
            if (!warned) {
              warned = true;
              logger?.warn({ err, kind: event?.kind }, 'Filter could not match an event; dropped it.');
            }
            return;
          }
          if (pass) subscriber.next(event);
          else drops.drop('filtered', true);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
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
