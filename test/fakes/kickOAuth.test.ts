import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_KICK_CLIENT_ID, FAKE_KICK_CLIENT_SECRET, FakeKick } from './kickOAuth.js';

let kick: FakeKick;
const REDIRECT = 'http://localhost:36521/callback';
beforeAll(async () => {
  kick = await FakeKick.start();
  kick.redirectUris.add(REDIRECT);
});
afterAll(() => kick.close());

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

function authorize(over: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: FAKE_KICK_CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'user:read chat:write',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'xyz',
    ...over,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${kick.authUrl}/oauth/authorize?${q.toString()}`;
}

/** The code of an approved authorize request (the redirect is not followed). */
async function code(over: Record<string, string | undefined> = {}): Promise<string> {
  const r = await fetch(authorize(over), { redirect: 'manual' });
  expect(r.status).toBe(302);
  const back = new URL(r.headers.get('location') as string);
  expect(back.searchParams.get('state')).toBe('xyz');
  return back.searchParams.get('code') as string;
}

async function token(form: Record<string, string>) {
  const r = await fetch(`${kick.authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: FAKE_KICK_CLIENT_ID, client_secret: FAKE_KICK_CLIENT_SECRET, ...form }).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const exchange = (c: string, over: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: VERIFIER, ...over });

describe('the fake Kick OAuth', () => {
  it('refuses an authorize request with an unregistered redirect, no S256 challenge or no state', async () => {
    for (const over of [
      { redirect_uri: 'http://127.0.0.1:36521/callback' },
      { redirect_uri: `${REDIRECT}/` },
      { code_challenge_method: 'plain' },
      { code_challenge: undefined },
      { state: undefined },
      { client_id: 'someone-else' },
    ]) {
      const r = await fetch(authorize(over), { redirect: 'manual' });
      expect(r.status, JSON.stringify(over)).toBe(400);
      expect(await r.json()).toEqual({ error: 'Invalid request' });
    }
  });

  it('gives tokens for the right verifier, once; a wrong verifier or redirect burns the code', async () => {
    const ok = await exchange(await code());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 7200, scope: 'user:read chat:write' });
    const c = await code();
    expect((await exchange(c, { code_verifier: `${VERIFIER.slice(0, -1)}A` })).status).toBe(400);
    expect((await exchange(c)).status).toBe(400); // burnt by the failed try
    expect((await exchange(await code(), { redirect_uri: 'http://localhost:36521/other' })).status).toBe(400);
    const used = await code();
    expect((await exchange(used)).status).toBe(200);
    expect((await exchange(used)).status).toBe(400);
  });

  it('requires the client secret even with PKCE', async () => {
    expect((await exchange(await code(), { client_secret: 'wrong' })).status).toBe(400);
  });

  it('rotates both tokens on refresh: the old refresh token is spent', async () => {
    const first = await exchange(await code());
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect((await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string })).status).toBe(400);
    expect((await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token as string })).status).toBe(200);
  });

  it('introspects, answers users for user:read, and refuses revoked tokens as Kick does', async () => {
    const pair = kick.issue(['user:read', 'chat:write']);
    const headers = { Authorization: `Bearer ${pair.accessToken}` };
    const intro = await fetch(`${kick.authUrl}/oauth/token/introspect`, { method: 'POST', headers });
    expect(await intro.json()).toMatchObject({ data: { active: true, scope: 'user:read chat:write', token_type: 'user' }, message: 'OK' });
    expect((await fetch(`${kick.apiUrl}/users`, { headers })).status).toBe(200);
    const noUserRead = kick.issue(['chat:write']);
    const denied = await fetch(`${kick.apiUrl}/users`, { headers: { Authorization: `Bearer ${noUserRead.accessToken}` } });
    expect([denied.status, await denied.json()]).toEqual([401, { data: {}, message: 'Unauthorized' }]);
    const revoke = await fetch(`${kick.authUrl}/oauth/revoke?token=${pair.refreshToken}&token_hint_type=refresh_token`, { method: 'POST' });
    expect([revoke.status, await revoke.text()]).toEqual([200, 'OK']);
    expect((await fetch(`${kick.apiUrl}/users`, { headers })).status).toBe(401);
    expect((await token({ grant_type: 'refresh_token', refresh_token: pair.refreshToken })).status).toBe(400);
  });

  it('sends a denied sign-in back with error=access_denied and the state', async () => {
    kick.decide = 'deny';
    const r = await fetch(authorize(), { redirect: 'manual' });
    kick.decide = 'approve';
    const back = new URL(r.headers.get('location') as string);
    expect([back.searchParams.get('error'), back.searchParams.get('state'), back.searchParams.get('code')]).toEqual(['access_denied', 'xyz', null]);
  });
});
