/**
 * A signed-in Twitch bot for chat sink tests: the fake Helix, the bot's token in a token store
 * of a temp dir, and chatflow's real TwitchAuthService over it.
 */
import { FAKE_BOT, FAKE_CLIENT_ID, type FakeTwitchHelix, type FakeTwitchUser, fakeTwitchNow } from '../fakes/twitchHelix.js';
import { silentLogger } from '../../src/core/logger.js';
import type { TwitchAccountRole } from '../../src/core/twitchAuth.js';
import { tokenFileIn, TwitchTokenStore } from '../../src/resources/twitch/tokenStore.js';
import { TwitchAuthService } from '../../src/resources/twitch/twitchAuthService.js';

export const CHAT_SCOPES = ['user:write:chat', 'user:read:moderated_channels'];

/** Signs `user` in as `role` with `scopes` and returns the auth service a run would provide. */
export async function twitchChatAuth(
  fake: FakeTwitchHelix,
  dir: string,
  options: { role?: TwitchAccountRole; user?: FakeTwitchUser; scopes?: readonly string[] } = {},
): Promise<{ service: TwitchAuthService; accessToken: string }> {
  const role = options.role ?? 'bot';
  const user = options.user ?? FAKE_BOT;
  const scopes = [...(options.scopes ?? CHAT_SCOPES)];
  const pair = fake.signIn(user, scopes);
  const store = new TwitchTokenStore(tokenFileIn(dir));
  await store.save(role, {
    clientId: FAKE_CLIENT_ID,
    userId: user.id,
    login: user.login,
    scopes,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: 14124,
    obtainedAt: fakeTwitchNow(),
  });
  const { tokens } = await store.read();
  const service = new TwitchAuthService({
    clientId: FAKE_CLIENT_ID,
    endpoints: fake.endpoints,
    store,
    tokens,
    logger: silentLogger(),
    now: fakeTwitchNow,
  });
  return { service, accessToken: pair.accessToken };
}
