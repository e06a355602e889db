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

/** The client id (the environment first, then `resources.twitch.client_id`) and the endpoints. */
export function twitchSetup(
  graph: PipelineGraph,
  env: Readonly<Record<string, string | undefined>>,
): { clientId: string | undefined; endpoints: TwitchEndpoints } {
  const settings = graph.settings.resources.twitch;
  const fromEnv = env[CLIENT_ID_ENV]?.trim();
  return {
    clientId: fromEnv !== undefined && fromEnv !== '' ? fromEnv : settings?.clientId,
    endpoints: settings
      ? { auth: settings.authUrl, helix: settings.helixUrl, eventsubWs: settings.eventsubUrl }
      : TWITCH_ENDPOINTS,
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
    clientId === undefined ? NO_CLIENT_ID : typeof port === 'string' ? `resources.twitch.helix_url: ${port}` : undefined;
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
