/**
 * Kick sign-in in a run: when `resources.kick` (or `CHATFLOW_KICK_CLIENT_ID`) is set, reads
 * `.chatflow/kick-tokens.json`, provides `KICK_AUTH` in `resources.services`, and checks the
 * token at start (introspect; refreshing one that expired while chatflow was stopped). Never
 * throws: a missing client id or secret or a broken token file makes the account `failed`
 * with a message saying what to do, and whatever needs it fails with that message.
 */
import { KICK_AUTH, type KickAccount, type KickAuth, type KickEndpoints } from '../../core/kickAuth.js';
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { type Provided, provide } from '../../core/services.js';
import { UserTokenFileError, UserTokenStore, userTokenFileIn } from '../userToken/tokenStore.js';
import { UserTokenService } from '../userToken/userTokenService.js';
import type { OpenUserAuthOptions } from '../youtube/openYoutubeAuth.js';
import { KickOAuth } from './kickOAuth.js';

export const KICK_CLIENT_ID_ENV = 'CHATFLOW_KICK_CLIENT_ID';
export const KICK_CLIENT_SECRET_ENV = 'CHATFLOW_KICK_CLIENT_SECRET';

export const KICK_ENDPOINTS: KickEndpoints = { auth: 'https://id.kick.com', api: 'https://api.kick.com/public/v1' };
export const KICK_REDIRECT_URI = 'http://localhost:36521/callback';

export const NO_KICK_CLIENT = `No Kick application: set resources.kick.client_id and client_secret in the pipeline, or ${KICK_CLIENT_ID_ENV} and ${KICK_CLIENT_SECRET_ENV} (create one at kick.com/settings/developer; docs/kick.md "Sign-in").`;

function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function kickSetup(
  graph: PipelineGraph,
  env: Readonly<Record<string, string | undefined>>,
): {
  clientId: string | undefined;
  clientSecret: string | undefined;
  redirectUri: string;
  endpoints: KickEndpoints;
  configured: boolean;
} {
  const settings = graph.settings.resources.kick;
  const clientId = envValue(env, KICK_CLIENT_ID_ENV) ?? settings?.clientId;
  const clientSecret = envValue(env, KICK_CLIENT_SECRET_ENV) ?? settings?.clientSecret;
  return {
    clientId: clientId === '' ? undefined : clientId,
    clientSecret: clientSecret === '' ? undefined : clientSecret,
    redirectUri: settings?.redirectUri ?? KICK_REDIRECT_URI,
    endpoints: settings ? { auth: settings.authUrl, api: settings.apiUrl } : KICK_ENDPOINTS,
    configured: settings !== undefined || envValue(env, KICK_CLIENT_ID_ENV) !== undefined,
  };
}

export function kickAccountOf(token: { accountId: string; accountName: string; scopes: readonly string[] }): KickAccount {
  return { userId: Number(token.accountId), username: token.accountName, scopes: token.scopes };
}

export interface OpenedKickAuth {
  readonly provided: readonly Provided[];
  readonly service: UserTokenService<KickAccount> | undefined;
  close(): void;
}

export async function openKickAuth(graph: PipelineGraph, options: OpenUserAuthOptions): Promise<OpenedKickAuth> {
  const setup = kickSetup(graph, options.env);
  if (!setup.configured) return { provided: [], service: undefined, close: () => {} };
  const log = options.logger.child({ component: 'kick-auth' });
  const store = new UserTokenStore(userTokenFileIn(options.baseDir, 'kick'), 'kick');
  let unavailable = setup.clientId === undefined || setup.clientSecret === undefined ? NO_KICK_CLIENT : undefined;
  let token: Awaited<ReturnType<UserTokenStore['read']>>['token'];
  try {
    const read = await store.read();
    token = read.token;
    if (read.tightened) log.warn({ file: store.file }, 'Kick token file was readable by others; it is now 0600.');
  } catch (err) {
    unavailable ??= err instanceof UserTokenFileError ? err.message : `${store.file} cannot be read: ${String(err)}`;
  }
  const oauth = new KickOAuth({
    endpoints: setup.endpoints,
    clientId: setup.clientId ?? '',
    clientSecret: setup.clientSecret ?? '',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const service = new UserTokenService<KickAccount>({
    platform: 'kick',
    clientId: setup.clientId ?? '',
    token,
    store,
    logger: log,
    now: options.now,
    refresh: (refreshToken) => oauth.refresh(refreshToken),
    check: async (accessToken) => (await oauth.introspect(accessToken)).active,
    account: kickAccountOf,
    ...(unavailable !== undefined ? { unavailable } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await service.validate();
  const now = service.currentStatus();
  // Said once at start, so a streamer sees it before the first answer goes missing.
  if (now.state === 'missing') log.warn({ reason: now.reason }, 'Kick sign-in missing; nothing can be sent there.');
  const auth: KickAuth = {
    platform: 'kick',
    endpoints: setup.endpoints,
    account: () => service.account(),
    accessToken: () => service.accessToken(),
    fetch: (url, init) => service.fetch(url, init),
    status: () => service.status(),
  };
  return { provided: [provide(KICK_AUTH, auth)], service, close: () => service.close() };
}
