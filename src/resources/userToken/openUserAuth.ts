/**
 * A YouTube or Kick sign-in in a run, whatever the platform: reads `.chatflow/<platform>-tokens.json`,
 * makes the refreshing service, checks the token at start (refreshing one that expired while
 * chatflow was stopped) and provides the service under the platform's key. Never throws: a
 * missing client id or secret or a broken token file makes the account `failed` with a message
 * saying what to do, and whatever needs it fails with that message.
 */
import type { Logger } from '../../core/logger.js';
import { type Provided, provide, type ServiceKey } from '../../core/services.js';
import type { UserTokenAuth, UserTokenPlatform } from '../../core/userTokenAuth.js';
import { UserTokenFileError, UserTokenStore, userTokenFileIn } from './tokenStore.js';
import { UserTokenService, type UserTokenServiceOptions } from './userTokenService.js';

export interface OpenUserAuthOptions {
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
  readonly fetch?: typeof fetch;
}

/** What differs between the platforms. */
export interface UserAuthSpec<A, P extends UserTokenPlatform, E> {
  readonly platform: P;
  /** From the environment and `resources.<platform>`. */
  readonly setup: {
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly endpoints: E;
    readonly configured: boolean;
  };
  /** Said when the client id or secret is missing. */
  readonly noClient: string;
  /** The platform's OAuth calls for a client. */
  readonly oauth: (client: { clientId: string; clientSecret: string }) => Pick<UserTokenServiceOptions<A>, 'refresh' | 'check'>;
  readonly account: UserTokenServiceOptions<A>['account'];
  /** Fixed log messages, one per platform, as the docs quote them. */
  readonly messages: { readonly tightened: string; readonly missing: string };
}

/** The service as components see it: the platform, its endpoints, and the token calls. */
export type PlatformUserAuth<A, P extends UserTokenPlatform, E> = UserTokenAuth<A> & {
  readonly platform: P;
  readonly endpoints: E;
};

export interface OpenedUserAuth<A> {
  readonly provided: readonly Provided[];
  readonly service: UserTokenService<A> | undefined;
  close(): void;
}

export async function openUserAuth<A, P extends UserTokenPlatform, E>(
  spec: UserAuthSpec<A, P, E>,
  key: ServiceKey<PlatformUserAuth<A, P, E>>,
  options: OpenUserAuthOptions,
): Promise<OpenedUserAuth<A>> {
  const { platform, setup } = spec;
  if (!setup.configured) return { provided: [], service: undefined, close: () => {} };
  const log = options.logger.child({ component: `${platform}-auth` });
  const store = new UserTokenStore(userTokenFileIn(options.baseDir, platform), platform);
  let unavailable = setup.clientId === undefined || setup.clientSecret === undefined ? spec.noClient : undefined;
  let token: Awaited<ReturnType<UserTokenStore['read']>>['token'];
  try {
    const read = await store.read();
    token = read.token;
    if (read.tightened) log.warn({ file: store.file }, spec.messages.tightened);
  } catch (err) {
    unavailable ??= err instanceof UserTokenFileError ? err.message : `${store.file} cannot be read: ${String(err)}`;
  }
  const service = new UserTokenService<A>({
    platform,
    clientId: setup.clientId ?? '',
    token,
    store,
    logger: log,
    now: options.now,
    ...spec.oauth({ clientId: setup.clientId ?? '', clientSecret: setup.clientSecret ?? '' }),
    account: spec.account,
    ...(unavailable !== undefined ? { unavailable } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await service.validate();
  const now = service.currentStatus();
  // Said once at start, so a streamer sees it before the first answer goes missing.
  if (now.state === 'missing') log.warn({ reason: now.reason }, spec.messages.missing);
  const auth: PlatformUserAuth<A, P, E> = {
    platform,
    endpoints: setup.endpoints,
    account: () => service.account(),
    accessToken: () => service.accessToken(),
    fetch: (url, init) => service.fetch(url, init),
    status: () => service.status(),
  };
  return { provided: [provide(key, auth)], service, close: () => service.close() };
}
