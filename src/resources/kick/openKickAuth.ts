/**
 * Kick sign-in in a run: when `resources.kick` (or `CHATFLOW_KICK_CLIENT_ID`) is set, reads
 * `.chatflow/kick-tokens.json`, provides `KICK_AUTH` in `resources.services`, and checks the
 * token at start (introspect; refreshing one that expired while chatflow was stopped). Never
 * throws: a missing client id or secret or a broken token file makes the account `failed`
 * with a message saying what to do, and whatever needs it fails with that message.
 */
import { KICK_AUTH, type KickAccount, type KickEndpoints } from '../../core/kickAuth.js';
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { type OpenedUserAuth, type OpenUserAuthOptions, openUserAuth } from '../userToken/openUserAuth.js';
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

/** Kick sign-in in a run (src/resources/userToken/openUserAuth.ts), provided as `KICK_AUTH`. */
export function openKickAuth(graph: PipelineGraph, options: OpenUserAuthOptions): Promise<OpenedUserAuth<KickAccount>> {
  const setup = kickSetup(graph, options.env);
  const spec = {
    platform: 'kick' as const,
    setup,
    noClient: NO_KICK_CLIENT,
    oauth: (client: { clientId: string; clientSecret: string }) => {
      const oauth = new KickOAuth({ endpoints: setup.endpoints, ...client, ...(options.fetch ? { fetch: options.fetch } : {}) });
      return {
        refresh: (refreshToken: string) => oauth.refresh(refreshToken),
        check: async (accessToken: string) => (await oauth.introspect(accessToken)).active,
      };
    },
    account: kickAccountOf,
    messages: {
      tightened: 'Kick token file was readable by others; it is now 0600.',
      missing: 'Kick sign-in missing; nothing can be sent there.',
    },
  };
  return openUserAuth(spec, KICK_AUTH, options);
}
