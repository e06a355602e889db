/**
 * The run's Twitch sign-in: when an enabled node declares `scopes` (or `resources.twitch` is
 * set), reads the token file,
 * provides `TWITCH_AUTH` in `resources.services`, validates the tokens at start and every hour.
 * Never throws: a missing client id or a broken token file makes every account `failed` with a
 * message saying what to do, and the nodes that need one fail with it.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { type Provided, provide } from '../../core/services.js';
import { TWITCH_AUTH, type TwitchEndpoints } from '../../core/twitchAuth.js';
import { helixMockPort, TWITCH_ENDPOINTS } from './endpoints.js';
import { needsTwitchAuth } from './scopes.js';
import { TwitchAuthService } from './twitchAuthService.js';
import { type StoredTokens, TokenFileError, tokenFileIn, TwitchTokenStore } from './tokenStore.js';

export const CLIENT_ID_ENV = 'CHATFLOW_TWITCH_CLIENT_ID';
/**
 * For tests (a fake Twitch on this machine) and nothing else: these override
 * `resources.twitch.auth_url` / `helix_url`, so an unchanged pipeline (an example) can be
 * signed in and run against the fake. docs/twitch.md "Testing".
 */
export const AUTH_URL_ENV = 'CHATFLOW_TWITCH_AUTH_URL';
export const HELIX_URL_ENV = 'CHATFLOW_TWITCH_HELIX_URL';

/**
 * The client id and the endpoints: the environment first (`CHATFLOW_TWITCH_CLIENT_ID`, and the
 * test-only URL overrides), then `resources.twitch`, then Twitch's own.
 */
export function twitchSetup(
  graph: PipelineGraph,
  env: Readonly<Record<string, string | undefined>>,
): { clientId: string | undefined; endpoints: TwitchEndpoints } {
  const settings = graph.settings.resources.twitch;
  const fromEnv = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const base = settings ? { auth: settings.authUrl, helix: settings.helixUrl, eventsubWs: settings.eventsubUrl } : TWITCH_ENDPOINTS;
  return {
    clientId: fromEnv(CLIENT_ID_ENV) ?? settings?.clientId,
    endpoints: { ...base, auth: fromEnv(AUTH_URL_ENV) ?? base.auth, helix: fromEnv(HELIX_URL_ENV) ?? base.helix },
  };
}

export const NO_CLIENT_ID = `No Twitch client id: set resources.twitch.client_id in the pipeline or ${CLIENT_ID_ENV} (register an application at dev.twitch.tv/console/apps; docs/twitch.md "Sign-in").`;

export interface OpenTwitchAuthOptions {
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
  /** For the hourly validation. */
  readonly scheduler?: SchedulerLike;
}

export interface OpenedTwitchAuth {
  readonly provided: readonly Provided[];
  /** The service, when the graph needs one. */
  readonly service: TwitchAuthService | undefined;
  /** Stops the hourly validation; idempotent. */
  close(): void;
}

export async function openTwitchAuth(graph: PipelineGraph, options: OpenTwitchAuthOptions): Promise<OpenedTwitchAuth> {
  // Also with `resources.twitch` alone, so a reload that adds the first Twitch node finds it.
  if (!needsTwitchAuth(graph) && !graph.settings.resources.twitch) return { provided: [], service: undefined, close: () => {} };
  const log = options.logger.child({ component: 'twitch-auth' });
  const { clientId, endpoints } = twitchSetup(graph, options.env);
  const store = new TwitchTokenStore(tokenFileIn(options.baseDir));
  let tokens: StoredTokens = {};
  const port = helixMockPort(endpoints.helix);
  let unavailable: string | undefined =
    clientId === undefined ? NO_CLIENT_ID : typeof port === 'string' ? `resources.twitch.helix_url (or ${HELIX_URL_ENV}): ${port}` : undefined;
  try {
    const read = await store.read();
    tokens = read.tokens;
    if (read.tightened) log.warn({ file: store.file }, 'Twitch token file was readable by others; it is now 0600.');
  } catch (err) {
    unavailable ??= err instanceof TokenFileError ? err.message : `${store.file} cannot be read: ${String(err)}`;
  }
  if (unavailable !== undefined) log.error({ reason: unavailable }, 'Twitch sign-in is not usable.');
  const service = new TwitchAuthService({
    clientId: clientId ?? '',
    endpoints,
    store,
    tokens,
    logger: log,
    now: options.now,
    ...(unavailable !== undefined ? { unavailable } : {}),
  });
  await service.validate();
  let validating: Subscription | undefined = service.validateEvery(options.scheduler ?? asyncScheduler);
  return {
    provided: [provide(TWITCH_AUTH, service)],
    service,
    close: () => {
      validating?.unsubscribe();
      validating = undefined;
    },
  };
}
