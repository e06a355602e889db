/**
 * `chatflow auth youtube [--check] [file]` (Device Authorization Grant: prints a URL and a code)
 * and `chatflow auth kick [--check] [file]` (authorization code with PKCE: prints a URL to open,
 * and waits for the browser to come back to the loopback redirect). Tokens go to
 * `.chatflow/<platform>-tokens.json` beside the pipeline. Prints no token, ever.
 */
import { dirname, relative, resolve } from 'node:path';
import type { CommandIo } from './commandIo.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import type { UserTokenPlatform } from '../core/userTokenAuth.js';
import { KickOAuth, KickOAuthError } from '../resources/kick/kickOAuth.js';
import { kickSetup, NO_KICK_CLIENT } from '../resources/kick/openKickAuth.js';
import { checkKick, signInKick } from '../resources/kick/signIn.js';
import type { TokenCheck } from '../resources/userToken/checkToken.js';
import type { DeviceCodeStart } from '../resources/userToken/deviceFlow.js';
import { UserTokenFileError, UserTokenStore, userTokenFileIn } from '../resources/userToken/tokenStore.js';
import { PLATFORM_NAMES } from '../resources/userToken/userTokenService.js';
import { GoogleOAuth, GoogleOAuthError } from '../resources/youtube/googleOAuth.js';
import { NO_YOUTUBE_CLIENT, youtubeSetup } from '../resources/youtube/openYoutubeAuth.js';
import { checkYoutube, signInYoutube } from '../resources/youtube/signIn.js';
import { lifetime } from './authText.js';
import { EXIT } from './exitCodes.js';

export interface UserAuthDeps {
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  readonly wallNow?: () => number;
  readonly fetch?: typeof fetch;
}

export async function userAuthCommand(
  platform: UserTokenPlatform,
  graph: PipelineGraph,
  file: string,
  options: { readonly check: boolean },
  io: CommandIo,
  deps: UserAuthDeps = {},
): Promise<number> {
  const name = PLATFORM_NAMES[platform];
  const prefix = `chatflow auth ${platform}`;
  const store = new UserTokenStore(userTokenFileIn(dirname(resolve(file)), platform), platform);
  const shown = relative(process.cwd(), store.file) || store.file;
  const wallNow = deps.wallNow ?? Date.now;
  const withFetch = deps.fetch ? { fetch: deps.fetch } : {};
  let host: string = name;
  try {
    if (platform === 'youtube') {
      const setup = youtubeSetup(graph, io.env);
      host = setup.endpoints.auth;
      if (setup.clientId === undefined || setup.clientSecret === undefined) {
        io.stderr.write(`${prefix}: ${NO_YOUTUBE_CLIENT}\n`);
        return EXIT.config;
      }
      const oauth = new GoogleOAuth({ endpoints: setup.endpoints, clientId: setup.clientId, clientSecret: setup.clientSecret, ...withFetch });
      if (options.check) return report(await checkYoutube({ oauth, store, wallNow }), platform, io);
      const result = await signInYoutube({
        oauth,
        store,
        wallNow,
        onCode: (start) => io.stdout.write(renderCode(start)),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        ...(io.shutdown ? { signal: io.shutdown } : {}),
      });
      if (!result.ok) {
        if (result.reason === 'aborted') return EXIT.interrupted;
        io.stderr.write(
          result.reason === 'expired'
            ? `${prefix}: the code expired before it was approved; run the command again for a new one.\n`
            : `${prefix}: the sign-in was declined at Google. Run the command again to retry.\n`,
        );
        return EXIT.noPermission;
      }
      io.stdout.write(
        `Signed in as the YouTube channel ${result.account.title} (${result.account.channelId}). Token saved to ${shown} (readable only by you).\n`,
      );
      return EXIT.ok;
    }
    const setup = kickSetup(graph, io.env);
    host = setup.endpoints.auth;
    if (setup.clientId === undefined || setup.clientSecret === undefined) {
      io.stderr.write(`${prefix}: ${NO_KICK_CLIENT}\n`);
      return EXIT.config;
    }
    const oauth = new KickOAuth({ endpoints: setup.endpoints, clientId: setup.clientId, clientSecret: setup.clientSecret, ...withFetch });
    if (options.check) return report(await checkKick({ oauth, store, wallNow }), platform, io);
    let listening: string | undefined;
    const result = await signInKick({
      oauth,
      store,
      redirectUri: setup.redirectUri,
      wallNow,
      onUrl: (url) => {
        listening = url;
        io.stdout.write(
          [
            'To sign in the Kick account chatflow sends chat as (log in to kick.com as that account first), open',
            `  ${url}`,
            `and approve. chatflow waits for your browser at ${setup.redirectUri} (this must be the redirect URL of your Kick application, exactly).`,
            'Waiting for approval...',
            '',
          ].join('\n'),
        );
      },
      ...(io.shutdown ? { signal: io.shutdown } : {}),
    }).catch((err: unknown) => {
      if (listening === undefined && err instanceof Error && !(err instanceof KickOAuthError)) {
        // Before any URL was shown: the redirect URI is wrong or its port is taken.
        io.stderr.write(`${prefix}: ${err.message}\n`);
        return { ok: false as const, reason: 'config' as const };
      }
      throw err;
    });
    if (!result.ok) {
      if (result.reason === 'config') return EXIT.config;
      if (result.reason === 'aborted') return EXIT.interrupted;
      io.stderr.write(
        result.reason === 'denied'
          ? `${prefix}: the sign-in was declined at Kick. Run the command again to retry.\n`
          : `${prefix}: Kick sent the browser back with an error (${result.error ?? 'unknown'}). Run the command again to retry.\n`,
      );
      return EXIT.noPermission;
    }
    io.stdout.write(
      `Signed in as ${result.account.username} (${result.account.userId}) on Kick. Tokens saved to ${shown} (readable only by you).\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof GoogleOAuthError || err instanceof KickOAuthError) {
      const hint =
        err instanceof GoogleOAuthError && /invalid_client|unauthorized_client/.test(err.error)
          ? ' (are the client id and secret right, and is the client of type "TVs and Limited Input devices"?)'
          : err instanceof KickOAuthError && err.status === 400
            ? ' (are the client id and secret right, and is the redirect URL registered exactly as resources.kick.redirect_uri?)'
            : '';
      io.stderr.write(`${prefix}: ${err.message}${hint}\n`);
      return EXIT.unavailable;
    }
    if (err instanceof UserTokenFileError) {
      io.stderr.write(`${prefix}: ${err.message}\n`);
      return EXIT.config;
    }
    if (err instanceof TypeError || (err instanceof Error && err.name === 'TimeoutError')) {
      const why = err instanceof TypeError ? String((err as { cause?: unknown }).cause ?? err.message) : 'no answer';
      io.stderr.write(`${prefix}: cannot reach ${host} (${why}).\n`);
      return EXIT.unavailable;
    }
    throw err;
  }
}

function renderCode(start: DeviceCodeStart): string {
  const minutes = Math.round(start.expiresIn / 60);
  return [
    'To sign in the YouTube channel chatflow sends chat as, open',
    `  ${start.verificationUrl}`,
    `and enter the code ${start.userCode} (valid for ${minutes} minute${minutes === 1 ? '' : 's'}). Pick the channel (or brand account) the bot posts as.`,
    'Waiting for approval...',
    '',
  ].join('\n');
}

/** The `--check` line, and its exit code. */
export function renderUserCheck(check: TokenCheck, platform: UserTokenPlatform): string {
  const again = `chatflow auth ${platform}`;
  const who = check.token ? `${check.token.accountName} (${check.token.accountId})` : '';
  const name = PLATFORM_NAMES[platform];
  switch (check.state) {
    case 'missing':
      return `${name}: not signed in. Run \`${again}\`.\n`;
    case 'other_client':
      return `${name}: ${who} was signed in with another client id. Run \`${again}\`.\n`;
    case 'failed':
      return `${name}: ${who}: the token was revoked or has expired and cannot be refreshed. Run \`${again}\`.\n`;
    case 'ok':
      return `${name}: ${who}, token valid for ${lifetime(check.expiresIn ?? 0)}${check.refreshed ? ' (refreshed now)' : ''}; ${
        check.missing.length === 0 ? 'may send chat' : `lacks ${check.missing.join(', ')} (cannot send chat). Run \`${again}\``
      }.\n`;
  }
}

function report(check: TokenCheck, platform: UserTokenPlatform, io: CommandIo): number {
  io.stdout.write(renderUserCheck(check, platform));
  return check.state === 'ok' && check.missing.length === 0 ? EXIT.ok : EXIT.warnings;
}
