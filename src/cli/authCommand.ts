/**
 * `chatflow auth twitch [--bot] [--check] [file]`: signs the broadcaster (or with `--bot` the bot
 * account) in with the Device Code Grant, requesting the scopes the pipeline's nodes need, and
 * stores the tokens in `.chatflow/twitch-tokens.json` beside the pipeline; `--check` says what
 * the stored tokens lack. Prints no token, ever.
 */
import { dirname, relative, resolve } from 'node:path';
import type { CommandIo } from './commandIo.js';
import type { Registry } from '../core/registry.js';
import type { TwitchAccountRole } from '../core/twitchAuth.js';
import { type DeviceCodeStart, TwitchOAuth, TwitchOAuthError } from '../resources/twitch/oauth.js';
import { NO_CLIENT_ID, twitchSetup } from '../resources/twitch/openTwitchAuth.js';
import { type NodeScopeNeed, scopeNeeds, scopesToRequest } from '../resources/twitch/scopes.js';
import { checkTokens, type RoleCheck, signIn } from '../resources/twitch/signIn.js';
import { type StoredTokens, TokenFileError, tokenFileIn, TwitchTokenStore } from '../resources/twitch/tokenStore.js';
import { userAuthCommand } from './authUserCommand.js';
import { lifetime } from './authText.js';
import { EXIT } from './exitCodes.js';
import { loadForCli } from './loadForCli.js';

export interface AuthOptions {
  readonly bot: boolean;
  readonly check: boolean;
}

/** What tests replace: the registry, the wait between polls, the clocks, fetch. */
export interface AuthDeps {
  readonly registry?: Registry;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  readonly wallNow?: () => number;
  readonly fetch?: typeof fetch;
}

export async function authCommand(
  platform: string | undefined,
  file: string,
  options: AuthOptions,
  io: CommandIo,
  deps: AuthDeps = {},
): Promise<number> {
  if (platform !== 'twitch' && platform !== 'youtube' && platform !== 'kick') {
    io.stderr.write('chatflow auth: which platform? `chatflow auth twitch`, `chatflow auth youtube` or `chatflow auth kick`.\n');
    return EXIT.usage;
  }
  if (platform !== 'twitch' && options.bot) {
    io.stderr.write(`chatflow auth ${platform}: --bot is for Twitch only; sign in the account the bot posts as.\n`);
    return EXIT.usage;
  }
  const graph = await loadForCli(file, io, deps.registry);
  if (!graph) return EXIT.config;
  if (platform !== 'twitch') return userAuthCommand(platform, graph, file, { check: options.check }, io, deps);
  const { clientId, endpoints } = twitchSetup(graph, io.env);
  if (clientId === undefined) {
    io.stderr.write(`chatflow auth twitch: ${NO_CLIENT_ID}\n`);
    return EXIT.config;
  }
  const oauth = new TwitchOAuth({ auth: endpoints.auth, clientId, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const store = new TwitchTokenStore(tokenFileIn(dirname(resolve(file))));
  const shown = relative(process.cwd(), store.file) || store.file;
  const needs = scopeNeeds(graph);
  const wallNow = deps.wallNow ?? Date.now;
  try {
    if (options.check) {
      const checks = await checkTokens({ oauth, store, needs, wallNow });
      io.stdout.write(renderChecks(checks, file));
      return checks.some((c) => c.state !== 'ok' || c.missing.length > 0) ? EXIT.warnings : EXIT.ok;
    }
    const role: TwitchAccountRole = options.bot ? 'bot' : 'broadcaster';
    const roleNeeds = needs.filter((n) => n.account === role);
    if (roleNeeds.length === 0) {
      io.stderr.write(
        `chatflow auth twitch: no node of ${file} needs the ${role} account, so there is nothing to sign in for${role === 'broadcaster' ? '' : ' (sign in the broadcaster without --bot)'}.\n`,
      );
      return EXIT.usage;
    }
    const stored = await store.read().catch((err: unknown) => {
      if (err instanceof TokenFileError) {
        io.stderr.write(`chatflow auth twitch: ${err.message} (It will be replaced.)\n`);
        return { tokens: {} as StoredTokens };
      }
      throw err;
    });
    const previous = stored.tokens[role];
    const scopes = scopesToRequest(needs, role, previous?.clientId === clientId ? previous.scopes : []);
    const result = await signIn({
      oauth,
      store,
      role,
      scopes,
      wallNow,
      onCode: (start) => io.stdout.write(renderCode(start, role, scopes, roleNeeds)),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(io.shutdown ? { signal: io.shutdown } : {}),
    });
    if (!result.ok) {
      if (result.reason === 'aborted') return EXIT.interrupted;
      io.stderr.write(
        result.reason === 'expired'
          ? 'chatflow auth twitch: the code expired before it was approved; run the command again for a new one.\n'
          : 'chatflow auth twitch: Twitch no longer accepts the code: it was declined (or already used). Run the command again to retry.\n',
      );
      return EXIT.noPermission;
    }
    io.stdout.write(
      `Signed in as ${result.account.login} (${result.account.userId}) for the ${role} account, with ${result.account.scopes.length} scope(s). Tokens saved to ${shown} (readable only by you).\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof TwitchOAuthError) {
      io.stderr.write(
        `chatflow auth twitch: ${err.message}${err.status === 400 && /client/i.test(err.twitchMessage) ? ` (is the client id ${clientId} right, and is the application of type Public?)` : ''}\n`,
      );
      return EXIT.unavailable;
    }
    if (err instanceof TokenFileError) {
      io.stderr.write(`chatflow auth twitch: ${err.message}\n`);
      return EXIT.config;
    }
    if (err instanceof TypeError || (err instanceof Error && err.name === 'TimeoutError')) {
      // fetch's network failure, or no answer in time
      const why = err instanceof TypeError ? String((err as { cause?: unknown }).cause ?? err.message) : 'no answer';
      io.stderr.write(`chatflow auth twitch: cannot reach ${endpoints.auth} (${why}).\n`);
      return EXIT.unavailable;
    }
    throw err;
  }
}

function renderCode(start: DeviceCodeStart, role: TwitchAccountRole, scopes: readonly string[], needs: readonly NodeScopeNeed[]): string {
  const minutes = Math.round(start.expiresIn / 60);
  const nodes = [...new Set(needs.map((n) => n.node))].join(', ');
  return [
    `To sign in the Twitch ${role} account${role === 'bot' ? ' (log in to twitch.tv as the bot first)' : ''}, open`,
    `  ${start.verificationUri}`,
    `and enter the code ${start.userCode} (valid for ${minutes} minute${minutes === 1 ? '' : 's'}).`,
    `Scopes requested (for ${nodes}): ${scopes.join(' ')}`,
    'Waiting for approval...',
    '',
  ].join('\n');
}

/** The `--check` report: one block per role. */
export function renderChecks(checks: readonly RoleCheck[], file: string): string {
  if (checks.length === 0) return `${file} needs no Twitch account, and none is signed in.\n`;
  const lines: string[] = [];
  for (const c of checks) {
    const again = `chatflow auth twitch${c.role === 'bot' ? ' --bot' : ''}`;
    const who = c.account ? `${c.account.login} (${c.account.userId})` : '';
    switch (c.state) {
      case 'missing':
        lines.push(`${c.role}: not signed in. Run \`${again}\`.`);
        break;
      case 'other_client':
        lines.push(`${c.role}: ${who} was signed in with another client id. Run \`${again}\`.`);
        break;
      case 'failed':
        lines.push(`${c.role}: ${who}: the token was revoked or has expired and cannot be refreshed. Run \`${again}\`.`);
        break;
      case 'ok':
        lines.push(
          `${c.role}: ${who}, token valid for ${lifetime(c.expiresIn ?? 0)}${c.refreshed ? ' (refreshed now)' : ''}; ${c.missing.length === 0 ? `has every scope the pipeline needs (${c.needed})` : `lacks ${c.missing.length} of ${c.needed} scope need(s). Run \`${again}\``}.`,
        );
        break;
    }
    for (const m of c.missing) lines.push(`  missing ${m.anyOf.join(' or ')}  (node ${m.node}: ${m.why})`);
  }
  return `${lines.join('\n')}\n`;
}
