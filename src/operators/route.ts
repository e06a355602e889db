/**
 * `route`: sends each event to the output port of the case it matches.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { PASSES_COMMANDS } from '../core/commandFlow.js';
import { defineOperator, type Routed } from '../core/component.js';
import type { ChatflowEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { compileMatch, MatchConfig, type Matcher } from './shared/match.js';

/** The port that gets the events no case matched. */
export const UNMATCHED_PORT = '_unmatched';

/** A case name is a port name; names starting with `_` are reserved for side channels. */
const CASE_NAME = /^[A-Za-z][\w-]*$/;

export const RouteConfig = z
  .strictObject({
    cases: z
      .record(
        z.string().regex(CASE_NAME),
        MatchConfig,
        {
          error: (issue) =>
            issue.code === 'invalid_key'
              ? 'A case name is a port name: it must start with a letter and hold only letters, digits, `_` and `-`'
              : undefined,
        },
      )
      .refine((cases) => Object.keys(cases).length > 0, 'Give at least one case')
      .describe(
        'Case name → matcher, tried in the order written. Each case name becomes an output port (`node.case`); events no case matches go to `node._unmatched`.',
      ),
    mode: z
      .enum(['first', 'all'])
      .default('first')
      .describe('`first`: an event goes to the first case it matches. `all`: to every case it matches.'),
  })
  .describe('Where events go.');
export type RouteConfig = z.output<typeof RouteConfig>;

/**
 * Sends each event to the port of the first case it matches (`mode: all`: of every case it
 * matches), and events no case matches to `_unmatched`.
 *
 * ```text
 * cases: { mods: { role: [mod] }, links: { text: "https?://" } }
 * a: chat by a mod   b: link by a viewer   c: link by a mod   d: chat by a viewer
 * source:   -a-b-c-d-|
 * result:   -m-l-m-u-|      m: mods a, l: links b, m: mods c, u: _unmatched d
 * ```
 *
 * A case matcher that throws on a malformed event drops that event (counted as an
 * unintentional `error` drop); the stream goes on.
 *
 * @param config Parsed config.
 * @param drops Where drops are counted; the node's metrics in a pipeline.
 * @param logger Warned once per subscription when a matcher throws.
 * @see filter, which keeps the events of one matcher and drops the rest.
 */
export function route(
  config: RouteConfig,
  drops: DropCounter = NO_DROPS,
  logger?: Logger,
): OperatorFunction<ChatflowEvent, Routed> {
  const cases: ReadonlyArray<{ readonly port: string; readonly match: Matcher }> = Object.entries(
    config.cases,
  ).map(([port, match]) => ({ port, match: compileMatch(match) }));
  const all = config.mode === 'all';
  return (source) =>
    new Observable<Routed>((subscriber) => {
      let warned = false;
      return source.subscribe({
        next: (event) => {
          // Match every case before sending anything, so a throwing matcher emits nothing.
          let first: string | undefined;
          let more: string[] | undefined;
          try {
            for (const { port, match } of cases) {
              if (!match(event)) continue;
              if (first === undefined) {
                first = port;
                if (!all) break;
              } else {
                more ??= [];
                more.push(port);
              }
            }
          } catch (err) {
            drops.drop('error', false);
            if (!warned) {
              warned = true;
              logger?.warn({ err, kind: event?.kind }, 'Route could not match an event; dropped it.');
            }
            return;
          }
          subscriber.next({ port: first ?? UNMATCHED_PORT, event });
          if (more) for (const port of more) subscriber.next({ port, event });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

export const routeComponent = defineOperator({
  type: 'route',
  commandFlow: PASSES_COMMANDS,
  summary: 'Sends each event to the output port of the case it matches.',
  description:
    'Cases use the same matcher as `filter`. Wire downstream nodes to `node.<case>` or `node._unmatched`; the node has no default output.',
  config: RouteConfig,
  ports: (config) => [...Object.keys(config.cases), UNMATCHED_PORT],
  examples: [
    'cases:\n  mods: { role: [broadcaster, mod] }\n  links: { text: "https?://" }',
    'mode: all\ncases:\n  twitch: { platform: [twitch] }\n  commands: { kind: [command] }',
  ],
  create: (config, ctx) => route(config, ctx.metrics, ctx.logger),
});
