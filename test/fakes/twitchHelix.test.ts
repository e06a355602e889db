/** The fake Twitch enforces the rules of reference/twitch-eventsub.md §4, §5, §8 over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_CLIENT_ID, FAKE_STREAMER, type FakeSubscription, FakeTwitchHelix, fakeTwitchNow } from './twitchHelix.js';

let fake: FakeTwitchHelix;
const subscribed: FakeSubscription[] = [];
const connected = new Set(['session_a']);
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
  fake.eventSub = {
    isConnected: (id) => connected.has(id),
    subscribed: (s) => subscribed.push(s),
  };
});
afterAll(() => fake.close());

async function call(method: string, path: string, options: { token?: string; clientId?: string; body?: unknown; form?: Record<string, string> } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.clientId !== undefined) headers['Client-Id'] = options.clientId;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(`http://localhost:${fake.port}${path}`, { method, headers, ...(body ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

describe('fake Twitch: OAuth', () => {
  it('reads parameters from the query string as twurple sends them, and from a form body', async () => {
    const viaQuery = await call('POST', `/oauth2/device?client_id=${FAKE_CLIENT_ID}&scopes=user:read:chat`);
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.body).toMatchObject({ expires_in: 1800, interval: 5 });
    const viaForm = await call('POST', '/oauth2/device', { form: { client_id: FAKE_CLIENT_ID, scopes: 'bits:read' } });
    expect(viaForm.status).toBe(200);
    // twurple's mock prefix for auth calls
    expect((await call('POST', `/auth/device?client_id=${FAKE_CLIENT_ID}`)).status).toBe(200);
  });

  it('rotates refresh tokens and refuses a used one; validate and revoke', async () => {
    const pair = fake.signIn(FAKE_BOT, ['user:write:chat']);
    const validate = (token: string) =>
      fetch(`http://localhost:${fake.port}/oauth2/validate`, { headers: { Authorization: `OAuth ${token}` } }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    expect(await validate(pair.accessToken)).toMatchObject({ status: 200, body: { login: 'chatflow_bot', user_id: FAKE_BOT.id, scopes: ['user:write:chat'] } });
    const refresh = (token: string) => call('POST', '/oauth2/token', { form: { grant_type: 'refresh_token', refresh_token: token, client_id: FAKE_CLIENT_ID } });
    const first = await refresh(pair.refreshToken);
    expect(first.status).toBe(200);
    expect(first.body?.refresh_token).not.toBe(pair.refreshToken);
    expect(first.body?.scope).toEqual(['user:write:chat']);
    expect(await refresh(pair.refreshToken)).toMatchObject({ status: 400, body: { status: 400, message: 'Invalid refresh token' } });
    const next = String(first.body?.access_token);
    expect((await call('POST', '/oauth2/revoke', { form: { client_id: FAKE_CLIENT_ID, token: next } })).status).toBe(200);
    expect(await validate(next)).toMatchObject({ status: 401, body: { status: 401, message: 'invalid access token' } });
    expect((await refresh(String(first.body?.refresh_token))).status).toBe(400);
  });
});

describe('fake Twitch: Helix', () => {
  it('needs Client-Id and a live Bearer token, and sends Ratelimit headers', async () => {
    const pair = fake.signIn(FAKE_STREAMER, []);
    expect((await call('GET', '/helix/users', { token: pair.accessToken })).body).toMatchObject({ status: 401, message: 'Missing Client ID or OAuth token' });
    const ok = await call('GET', '/mock/users', { token: pair.accessToken, clientId: FAKE_CLIENT_ID });
    expect(ok.status).toBe(200);
    expect(((ok.body?.data ?? []) as { login: string }[])[0]?.login).toBe('streamer');
    expect(ok.headers.get('ratelimit-limit')).toBe('800');
    expect(Number(ok.headers.get('ratelimit-reset'))).toBeGreaterThan(fakeTwitchNow() / 1000);
    fake.rateLimit(1, 1_900_000_000);
    const limited = await call('GET', '/helix/users', { token: pair.accessToken, clientId: FAKE_CLIENT_ID });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toBe('1900000000');
    fake.expireAccess(pair.accessToken);
    expect((await call('GET', '/helix/users', { token: pair.accessToken, clientId: FAKE_CLIENT_ID })).body).toMatchObject({ status: 401, message: 'Token expired' });
  });

  it('creates EventSub subscriptions only for a connected session with the scope, once (202, 400, 403, 409), lists and deletes them', async () => {
    const pair = fake.signIn(FAKE_STREAMER, ['moderator:read:followers']);
    const auth = { token: pair.accessToken, clientId: FAKE_CLIENT_ID };
    const follow = (session: string) => ({
      type: 'channel.follow',
      version: '2',
      condition: { broadcaster_user_id: FAKE_STREAMER.id, moderator_user_id: FAKE_STREAMER.id },
      transport: { method: 'websocket', session_id: session },
    });
    const created = await call('POST', '/eventsub/subscriptions', { ...auth, body: follow('session_a') });
    expect(created.status).toBe(202);
    const sub = ((created.body?.data ?? []) as FakeSubscription[])[0];
    expect(sub).toMatchObject({ status: 'enabled', type: 'channel.follow', transport: { method: 'websocket', session_id: 'session_a' }, cost: 0 });
    expect(created.body).toMatchObject({ total: 1, max_total_cost: 10 });
    expect(subscribed.map((s) => s.id)).toEqual([sub?.id]);
    expect((await call('POST', '/helix/eventsub/subscriptions', { ...auth, body: follow('session_a') })).status).toBe(409);
    expect((await call('POST', '/eventsub/subscriptions', { ...auth, body: follow('gone') })).status).toBe(400);
    const cheer = { ...follow('session_a'), type: 'channel.cheer', version: '1', condition: { broadcaster_user_id: FAKE_STREAMER.id } };
    expect((await call('POST', '/eventsub/subscriptions', { ...auth, body: cheer })).status).toBe(403);
    const list = await call('GET', '/eventsub/subscriptions', auth);
    expect(((list.body?.data ?? []) as FakeSubscription[]).map((s) => s.id)).toEqual([sub?.id]);
    expect((await call('DELETE', `/eventsub/subscriptions?id=${sub?.id}`, auth)).status).toBe(204);
    expect((await call('DELETE', `/eventsub/subscriptions?id=${sub?.id}`, auth)).status).toBe(404);
  });

  it('updates an UNFULFILLED redemption once (200 then 404), refuses a foreign reward (403), and tells the EventSub fake', async () => {
    const pair = fake.signIn(FAKE_STREAMER, ['channel:manage:redemptions']);
    const auth = { token: pair.accessToken, clientId: FAKE_CLIENT_ID };
    const updated: string[] = [];
    fake.eventSub = { isConnected: () => true, redemptionUpdated: (r) => updated.push(`${r.id}:${r.status}`) };
    const base = {
      broadcaster_id: FAKE_STREAMER.id,
      user_id: '4145994',
      user_login: 'viewer32',
      user_name: 'Viewer32',
      user_input: '0.8',
      redeemed_at: '2026-03-14T19:01:02Z',
      reward: { id: 'reward-1', title: 'Filter sweep', prompt: '', cost: 500 },
    };
    fake.addRedemption({ ...base, id: 'r1', rewardOwner: FAKE_CLIENT_ID });
    fake.addRedemption({ ...base, id: 'r2', rewardOwner: 'dashboard', reward: { ...base.reward, id: 'reward-2' } });
    const patch = (id: string, reward: string, status: string) =>
      call('PATCH', `/mock/channel_points/custom_rewards/redemptions?broadcaster_id=${FAKE_STREAMER.id}&reward_id=${reward}&id=${id}`, { ...auth, body: { status } });
    const done = await patch('r1', 'reward-1', 'CANCELED');
    expect(done.status).toBe(200);
    expect(((done.body?.data ?? []) as { status: string }[])[0]?.status).toBe('CANCELED');
    expect((await patch('r1', 'reward-1', 'FULFILLED')).status).toBe(404);
    expect((await patch('r2', 'reward-2', 'FULFILLED')).status).toBe(403);
    expect(updated).toEqual(['r1:CANCELED']);
  });

  it('sends chat with ids from the query (twurple) or the body, refusing 501 characters and dropping on demand', async () => {
    const pair = fake.signIn(FAKE_BOT, ['user:write:chat']);
    const auth = { token: pair.accessToken, clientId: FAKE_CLIENT_ID };
    const q = `/helix/chat/messages?broadcaster_id=${FAKE_STREAMER.id}&sender_id=${FAKE_BOT.id}`;
    expect((await call('POST', q, { ...auth, body: { message: 'hi' } })).body).toMatchObject({ data: [{ is_sent: true }] });
    expect((await call('POST', '/helix/chat/messages', { ...auth, body: { broadcaster_id: FAKE_STREAMER.id, sender_id: FAKE_BOT.id, message: 'yo' } })).status).toBe(200);
    expect((await call('POST', q, { ...auth, body: { message: 'x'.repeat(501) } })).status).toBe(422);
    fake.dropChat = 1;
    expect((await call('POST', q, { ...auth, body: { message: 'hi' } })).body).toMatchObject({ data: [{ is_sent: false, drop_reason: { code: 'msg_duplicate' } }] });
    expect(fake.chatMessages.map((m) => m.message)).toEqual(['hi', 'yo']);
  });
});
