/**
 * YouTube sign-in in a run: when `resources.youtube` (or `CHATFLOW_YOUTUBE_CLIENT_ID`) is set,
 * reads `.chatflow/youtube-tokens.json`, provides `YOUTUBE_AUTH` in `resources.services`, and
 * checks the token at start (refreshing one that expired while chatflow was stopped). Never
 * throws: a missing client id or secret or a broken token file makes the account `failed`
 * with a message saying what to do, and whatever needs it fails with that message.
 */
import type { Logger } from '../../core/logger.js';
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { type Provided, provide } from '../../core/services.js';
import { YOUTUBE_AUTH, type YoutubeAccount, type YoutubeAuth, type YoutubeEndpoints } from '../../core/youtubeAuth.js';
import { UserTokenFileError, UserTokenStore, userTokenFileIn } from '../userToken/tokenStore.js';
import { UserTokenService } from '../userToken/userTokenService.js';
import { GoogleOAuth } from './googleOAuth.js';

export const YOUTUBE_CLIENT_ID_ENV = 'CHATFLOW_YOUTUBE_CLIENT_ID';
export const YOUTUBE_CLIENT_SECRET_ENV = 'CHATFLOW_YOUTUBE_CLIENT_SECRET';

export const YOUTUBE_ENDPOINTS: YoutubeEndpoints = {
  auth: 'https://oauth2.googleapis.com',
  api: 'https://www.googleapis.com/youtube/v3',
};

export const NO_YOUTUBE_CLIENT = `No Google OAuth client: set resources.youtube.client_id and client_secret in the pipeline, or ${YOUTUBE_CLIENT_ID_ENV} and ${YOUTUBE_CLIENT_SECRET_ENV} (create a client of type "TVs and Limited Input devices"; docs/youtube.md "Sign-in").`;

function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The client (the environment first, then `resources.youtube`) and the endpoints. */
export function youtubeSetup(
  graph: PipelineGraph,
  env: Readonly<Record<string, string | undefined>>,
): { clientId: string | undefined; clientSecret: string | undefined; endpoints: YoutubeEndpoints; configured: boolean } {
  const settings = graph.settings.resources.youtube;
  const clientId = envValue(env, YOUTUBE_CLIENT_ID_ENV) ?? settings?.clientId;
  const clientSecret = envValue(env, YOUTUBE_CLIENT_SECRET_ENV) ?? settings?.clientSecret;
  return {
    clientId: clientId === '' ? undefined : clientId,
    clientSecret: clientSecret === '' ? undefined : clientSecret,
    endpoints: settings ? { auth: settings.authUrl, api: settings.apiUrl } : YOUTUBE_ENDPOINTS,
    configured: settings !== undefined || envValue(env, YOUTUBE_CLIENT_ID_ENV) !== undefined,
  };
}

export function youtubeAccountOf(token: { accountId: string; accountName: string; scopes: readonly string[] }): YoutubeAccount {
  return { channelId: token.accountId, title: token.accountName, scopes: token.scopes };
}

export interface OpenUserAuthOptions {
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
  readonly fetch?: typeof fetch;
}

export interface OpenedYoutubeAuth {
  readonly provided: readonly Provided[];
  readonly service: UserTokenService<YoutubeAccount> | undefined;
  close(): void;
}

export async function openYoutubeAuth(graph: PipelineGraph, options: OpenUserAuthOptions): Promise<OpenedYoutubeAuth> {
  const setup = youtubeSetup(graph, options.env);
  if (!setup.configured) return { provided: [], service: undefined, close: () => {} };
  const log = options.logger.child({ component: 'youtube-auth' });
  const store = new UserTokenStore(userTokenFileIn(options.baseDir, 'youtube'), 'youtube');
  let unavailable = setup.clientId === undefined || setup.clientSecret === undefined ? NO_YOUTUBE_CLIENT : undefined;
  let token: Awaited<ReturnType<UserTokenStore['read']>>['token'];
  try {
    const read = await store.read();
    token = read.token;
    if (read.tightened) log.warn({ file: store.file }, 'YouTube token file was readable by others; it is now 0600.');
  } catch (err) {
    unavailable ??= err instanceof UserTokenFileError ? err.message : `${store.file} cannot be read: ${String(err)}`;
  }
  const oauth = new GoogleOAuth({
    endpoints: setup.endpoints,
    clientId: setup.clientId ?? '',
    clientSecret: setup.clientSecret ?? '',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const service = new UserTokenService<YoutubeAccount>({
    platform: 'youtube',
    clientId: setup.clientId ?? '',
    token,
    store,
    logger: log,
    now: options.now,
    refresh: (refreshToken) => oauth.refresh(refreshToken),
    check: async (accessToken) => (await oauth.tokenInfo(accessToken)).valid,
    account: youtubeAccountOf,
    ...(unavailable !== undefined ? { unavailable } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await service.validate();
  const now = service.currentStatus();
  // Said once at start, so a streamer sees it before the first answer goes missing.
  if (now.state === 'missing') log.warn({ reason: now.reason }, 'YouTube sign-in missing; nothing can be sent there.');
  const auth: YoutubeAuth = {
    platform: 'youtube',
    endpoints: setup.endpoints,
    account: () => service.account(),
    accessToken: () => service.accessToken(),
    fetch: (url, init) => service.fetch(url, init),
    status: () => service.status(),
  };
  return { provided: [provide(YOUTUBE_AUTH, auth)], service, close: () => service.close() };
}
