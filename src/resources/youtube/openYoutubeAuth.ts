/**
 * YouTube sign-in in a run: when `resources.youtube` (or `CHATFLOW_YOUTUBE_CLIENT_ID`) is set,
 * reads `.chatflow/youtube-tokens.json`, provides `YOUTUBE_AUTH` in `resources.services`, and
 * checks the token at start (refreshing one that expired while chatflow was stopped). Never
 * throws: a missing client id or secret or a broken token file makes the account `failed`
 * with a message saying what to do, and whatever needs it fails with that message.
 */
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { YOUTUBE_AUTH, type YoutubeAccount, type YoutubeEndpoints } from '../../core/youtubeAuth.js';
import { type OpenedUserAuth, type OpenUserAuthOptions, openUserAuth } from '../userToken/openUserAuth.js';
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


/** YouTube sign-in in a run (src/resources/userToken/openUserAuth.ts), provided as `YOUTUBE_AUTH`. */
export function openYoutubeAuth(graph: PipelineGraph, options: OpenUserAuthOptions): Promise<OpenedUserAuth<YoutubeAccount>> {
  const setup = youtubeSetup(graph, options.env);
  const spec = {
    platform: 'youtube' as const,
    setup,
    noClient: NO_YOUTUBE_CLIENT,
    oauth: (client: { clientId: string; clientSecret: string }) => {
      const oauth = new GoogleOAuth({ endpoints: setup.endpoints, ...client, ...(options.fetch ? { fetch: options.fetch } : {}) });
      return {
        refresh: (refreshToken: string) => oauth.refresh(refreshToken),
        check: async (accessToken: string) => (await oauth.tokenInfo(accessToken)).valid,
      };
    },
    account: youtubeAccountOf,
    messages: {
      tightened: 'YouTube token file was readable by others; it is now 0600.',
      missing: 'YouTube sign-in missing; nothing can be sent there.',
    },
  };
  return openUserAuth(spec, YOUTUBE_AUTH, options);
}
