/**
 * A component for tests of YouTube and Kick sign-in in a run: `user_token_reader`, a source that
 * calls the platform every `every` through the `YOUTUBE_AUTH` or `KICK_AUTH` service's `fetch`
 * (as the chat sink sends through it), counts the answers by status in `answers`, and fails for
 * good once the token fails (core/userTokenAuth.ts `userTokenFailure`).
 */
import { defer, EMPTY, interval, merge, switchMap } from 'rxjs';
import { z } from 'zod';
import { defineSource } from '../../src/core/component.js';
import { PlatformAuthError, SourceFatalError } from '../../src/core/errors.js';
import { KICK_AUTH } from '../../src/core/kickAuth.js';
import { userTokenFailure } from '../../src/core/userTokenAuth.js';
import { duration } from '../../src/core/units.js';
import { YOUTUBE_AUTH } from '../../src/core/youtubeAuth.js';

export function userTokenReaderComponent(answers: Map<number, number>) {
  return defineSource({
    type: 'user_token_reader',
    summary: 'Calls YouTube or Kick with the signed-in token (tests).',
    config: z.strictObject({
      platform: z.enum(['youtube', 'kick']).describe('Which sign-in it uses.'),
      every: duration().prefault('50ms').describe('How often it calls.'),
    }),
    examples: ['platform: kick'],
    create: (config, ctx) => {
      const auth = config.platform === 'kick' ? ctx.resources.services?.get(KICK_AUTH) : ctx.resources.services?.get(YOUTUBE_AUTH);
      if (!auth) throw new SourceFatalError(ctx.id, `No ${config.platform} sign-in service.`);
      const url = config.platform === 'kick' ? `${auth.endpoints.api}/users` : `${auth.endpoints.api}/channels?part=snippet&mine=true`;
      ctx.setHealth('live');
      const calls = interval(config.every, ctx.scheduler).pipe(
        switchMap(() =>
          defer(async () => {
            try {
              const response = await auth.fetch(url);
              await response.body?.cancel();
              answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
            } catch (err) {
              if (err instanceof PlatformAuthError) throw new SourceFatalError(ctx.id, err.message, { cause: err });
              throw err;
            }
          }).pipe(switchMap(() => EMPTY)),
        ),
      );
      return merge(userTokenFailure<unknown>(auth, ctx.id), calls);
    },
  });
}
