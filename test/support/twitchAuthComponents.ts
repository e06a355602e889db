/**
 * Components for tests of Twitch sign-in: `twitch_reader`, a source that declares the scopes of
 * the EventSub types it is given (and `user:write:chat` on the bot when it `replies`) and, while
 * running, reads its broadcaster through the `TWITCH_AUTH` service's ApiClient every `every`,
 * failing for good once the token fails; and `collect`, a sink that keeps what it is given.
 */
import { defer, EMPTY, interval, merge, switchMap } from 'rxjs';
import { z } from 'zod';
import { defineSink, defineSource } from '../../src/core/component.js';
import { SourceFatalError, TwitchAuthError } from '../../src/core/errors.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { TWITCH_AUTH } from '../../src/core/twitchAuth.js';
import { duration } from '../../src/core/units.js';
import { eventSubScopeNeeds, HELIX_SCOPES } from '../../src/resources/twitch/eventSubScopes.js';
import { tokenFailure } from '../../src/resources/twitch/twitchAuthService.js';

export const TwitchReaderConfig = z.strictObject({
  types: z.array(z.string()).default([]).describe('EventSub types it would subscribe to.'),
  replies: z.boolean().default(false).describe('Sends chat as the bot.'),
  every: duration().prefault('50ms').describe('How often it reads its broadcaster through Helix.'),
});

export const twitchReaderComponent = defineSource({
  type: 'twitch_reader',
  summary: 'Reads its broadcaster through Helix with the signed-in token (tests).',
  config: TwitchReaderConfig,
  examples: ['types: [channel.follow]'],
  scopes: (config) => [
    ...eventSubScopeNeeds(config.types, 'broadcaster'),
    ...(config.replies ? [{ account: 'bot' as const, anyOf: HELIX_SCOPES.sendChat, why: 'sends replies' }] : []),
  ],
  create: (config, ctx) => {
    const auth = ctx.resources.services?.get(TWITCH_AUTH);
    if (!auth) throw new SourceFatalError(ctx.id, 'No TWITCH_AUTH service.');
    ctx.setHealth('live');
    const reads = interval(config.every, ctx.scheduler).pipe(
      switchMap(() =>
        defer(async () => {
          try {
            await auth.api().users.getUserById(auth.account('broadcaster')?.userId ?? '0');
          } catch (err) {
            if (err instanceof TwitchAuthError) throw new SourceFatalError(ctx.id, err.message, { cause: err });
            throw err;
          }
        }).pipe(switchMap(() => EMPTY)),
      ),
    );
    return merge(tokenFailure(auth, 'broadcaster', ctx.id), reads);
  },
});

/** Events given to `collect` sinks, by node id, for the test that made the registry. */
export function collectComponent(into: Map<string, ChatflowEvent[]>) {
  return defineSink({
    type: 'collect',
    summary: 'Keeps what it is given (tests).',
    config: z.strictObject({}),
    examples: [''],
    create: (_config, ctx) => ({
      write: (batch) => {
        into.set(ctx.id, [...(into.get(ctx.id) ?? []), ...batch]);
      },
    }),
  });
}
