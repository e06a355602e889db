import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CHANNEL, FAKE_GOOGLE_CLIENT_ID, FAKE_GOOGLE_CLIENT_SECRET, FakeGoogle } from './googleOAuth.js';

let google: FakeGoogle;
beforeAll(async () => {
  google = await FakeGoogle.start();
});
afterAll(() => google.close());

async function post(path: string, form: Record<string, string>) {
  const r = await fetch(`${google.authUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const YOUTUBE = 'https://www.googleapis.com/auth/youtube';
const poll = (code: string, secret = FAKE_GOOGLE_CLIENT_SECRET) =>
  post('/token', { client_id: FAKE_GOOGLE_CLIENT_ID, client_secret: secret, device_code: code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
const start = async () => (await post('/device/code', { client_id: FAKE_GOOGLE_CLIENT_ID, scope: YOUTUBE })).body.device_code as string;

describe('the fake Google OAuth', () => {
  it('refuses a scope the device flow does not allow, and an unknown client', async () => {
    expect(await post('/device/code', { client_id: FAKE_GOOGLE_CLIENT_ID, scope: 'https://www.googleapis.com/auth/youtube.force-ssl' })).toEqual({
      status: 400,
      body: { error: 'invalid_scope' },
    });
    expect((await post('/device/code', { client_id: 'nobody', scope: YOUTUBE })).status).toBe(401);
  });

  it('answers polls as Google does: 428 pending, 403 slow_down, then tokens once', async () => {
    google.script({ pending: 2, slowDownAt: [2] });
    const code = await start();
    expect(await poll(code)).toMatchObject({ status: 428, body: { error: 'authorization_pending' } });
    expect(await poll(code)).toMatchObject({ status: 403, body: { error: 'slow_down' } });
    const ok = await poll(code);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ expires_in: 3599, scope: YOUTUBE, token_type: 'Bearer' });
    expect(typeof ok.body.refresh_token).toBe('string');
    expect(await poll(code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('checks the client secret, and says access_denied and expired_token', async () => {
    expect((await poll(await start(), 'wrong')).body).toMatchObject({ error: 'invalid_client' });
    google.script({ outcome: 'deny' });
    expect(await poll(await start())).toMatchObject({ status: 403, body: { error: 'access_denied' } });
    google.script({ outcome: 'expire' });
    expect(await poll(await start())).toMatchObject({ status: 400, body: { error: 'expired_token' } });
  });

  it('does not rotate the refresh token, and refuses it once revoked with invalid_grant', async () => {
    const pair = google.issue();
    const refresh = () => post('/token', { client_id: FAKE_GOOGLE_CLIENT_ID, client_secret: FAKE_GOOGLE_CLIENT_SECRET, grant_type: 'refresh_token', refresh_token: pair.refreshToken });
    const first = await refresh();
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBeUndefined();
    expect((await refresh()).status).toBe(200);
    expect((await post('/revoke', { token: pair.refreshToken })).status).toBe(200);
    expect(await refresh()).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
  });

  it('serves tokeninfo and the signed-in channel, 401 authError for a dead token', async () => {
    const pair = google.issue();
    const info = await fetch(`${google.authUrl}/tokeninfo?access_token=${pair.accessToken}`);
    expect(await info.json()).toMatchObject({ aud: FAKE_GOOGLE_CLIENT_ID, scope: YOUTUBE });
    const mine = await fetch(`${google.apiUrl}/channels?part=snippet&mine=true`, { headers: { Authorization: `Bearer ${pair.accessToken}` } });
    expect(((await mine.json()) as { items: unknown[] }).items).toEqual([{ kind: 'youtube#channel', id: FAKE_CHANNEL.id, snippet: { title: FAKE_CHANNEL.title } }]);
    google.expireAccessTokens();
    const dead = await fetch(`${google.apiUrl}/channels?part=snippet&mine=true`, { headers: { Authorization: `Bearer ${pair.accessToken}` } });
    expect(dead.status).toBe(401);
    expect(((await dead.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]?.reason).toBe('authError');
    expect((await fetch(`${google.authUrl}/tokeninfo?access_token=${pair.accessToken}`)).status).toBe(400);
  });
});
