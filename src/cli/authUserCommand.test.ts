import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CHANNEL, FAKE_GOOGLE_CLIENT_ID, FAKE_GOOGLE_CLIENT_SECRET, FakeGoogle } from '../../test/fakes/googleOAuth.js';
import { FAKE_KICK_CLIENT_ID, FAKE_KICK_CLIENT_SECRET, FAKE_KICK_USER, FakeKick } from '../../test/fakes/kickOAuth.js';
import { captureIo } from '../../test/support/commandIo.js';
import { tempDirs } from '../../test/support/tempDirs.js';
import { main } from '../cli.js';
import { UserTokenStore, userTokenFileIn } from '../resources/userToken/tokenStore.js';
import { type AuthDeps, authCommand } from './authCommand.js';

let google: FakeGoogle;
let kick: FakeKick;
const dirs = tempDirs();
beforeAll(async () => {
  [google, kick] = await Promise.all([FakeGoogle.start(), FakeKick.start()]);
});
afterAll(async () => {
  await Promise.all([google.close(), kick.close()]);
  await dirs.removeAll();
});

/** A port nobody listens on now (the redirect URI must name one, as Kick matches it exactly). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function project(options: { youtube?: boolean; kick?: boolean; secrets?: boolean; redirectPort?: number } = {}) {
  const dir = await dirs.make('chatflow-userauth-');
  const file = join(dir, 'pipeline.yaml');
  const port = options.redirectPort ?? (await freePort());
  const redirect = `http://localhost:${port}/callback`;
  kick.redirectUris.add(redirect);
  const secrets = options.secrets !== false;
  await writeFile(join(dir, 'show.jsonl'), '');
  await writeFile(
    file,
    [
      'version: 1',
      'resources:',
      ...(options.youtube !== false
        ? [
            '  youtube:',
            `    client_id: ${FAKE_GOOGLE_CLIENT_ID}`,
            ...(secrets ? [`    client_secret: ${FAKE_GOOGLE_CLIENT_SECRET}`] : []),
            `    auth_url: ${google.authUrl}`,
            `    api_url: ${google.apiUrl}`,
          ]
        : []),
      ...(options.kick !== false
        ? [
            '  kick:',
            `    client_id: ${FAKE_KICK_CLIENT_ID}`,
            ...(secrets ? [`    client_secret: ${FAKE_KICK_CLIENT_SECRET}`] : []),
            `    redirect_uri: ${redirect}`,
            `    auth_url: ${kick.authUrl}`,
            `    api_url: ${kick.apiUrl}`,
          ]
        : []),
      'sources:',
      '  chat: { type: replay, path: show.jsonl }',
      'sinks:',
      '  out: { type: console, inputs: [chat] }',
      '',
    ].join('\n'),
  );
  return {
    dir,
    file,
    redirect,
    youtube: new UserTokenStore(userTokenFileIn(dir, 'youtube'), 'youtube'),
    kick: new UserTokenStore(userTokenFileIn(dir, 'kick'), 'kick'),
  };
}

function deps(): AuthDeps & { waits: number[] } {
  let t = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    wallNow: () => Date.now(),
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
  };
}

async function expectNoTokens(output: string, store: UserTokenStore) {
  const { token } = await store.read();
  expect(token).toBeDefined();
  expect(output).not.toContain(token?.accessToken);
  expect(output).not.toContain(token?.refreshToken);
}

/** Runs `chatflow auth kick` and plays the browser on the URL it prints. */
async function kickSignIn(file: string, browse: (url: string) => Promise<void> = async (url) => void (await kick.browse(url))) {
  const t = captureIo();
  const running = authCommand('kick', file, { bot: false, check: false }, t.io, deps());
  for (let i = 0; i < 200 && !/https?:\/\/\S+\/oauth\/authorize\S*/.test(t.out()); i++) await new Promise((r) => setTimeout(r, 10));
  const url = /https?:\/\/\S+\/oauth\/authorize\S*/.exec(t.out())?.[0] as string;
  expect(url).toBeDefined();
  await browse(url);
  return { code: await running, out: t.out(), err: t.err(), url };
}

describe('chatflow auth youtube', () => {
  it('prints the URL and code, polls at the interval (slower after slow_down), stores the channel 0600, prints no token', async () => {
    const p = await project();
    google.script({ pending: 2, slowDownAt: [1], interval: 5 });
    const t = captureIo();
    const d = deps();
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, t.io, d)).toBe(0);
    expect(t.out()).toContain('https://www.google.com/device');
    expect(t.out()).toContain('GQVQ-JKEC');
    expect(t.out()).toContain(`Signed in as the YouTube channel ${FAKE_CHANNEL.title} (${FAKE_CHANNEL.id})`);
    expect(d.waits).toEqual([5000, 10000, 10000]);
    const { token } = await p.youtube.read();
    expect(token).toMatchObject({ clientId: FAKE_GOOGLE_CLIENT_ID, accountId: FAKE_CHANNEL.id, scopes: ['https://www.googleapis.com/auth/youtube'] });
    if (process.platform !== 'win32') expect((await stat(p.youtube.file)).mode & 0o777).toBe(0o600);
    await expectNoTokens(t.out() + t.err(), p.youtube);
  });

  it('exits 77 when the user declines or the code expires, and stores nothing', async () => {
    const p = await project();
    google.script({ outcome: 'deny' });
    const denied = captureIo();
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, denied.io, deps())).toBe(77);
    expect(denied.err()).toContain('declined');
    google.script({ pending: 1000, expiresIn: 30 });
    const expired = captureIo();
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, expired.io, deps())).toBe(77);
    expect(expired.err()).toContain('expired');
    expect((await p.youtube.read()).token).toBeUndefined();
  });

  it('exits 78 without a client secret, naming both ways to give it', async () => {
    const p = await project({ secrets: false });
    const t = captureIo();
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, t.io, deps())).toBe(78);
    expect(t.err()).toContain('CHATFLOW_YOUTUBE_CLIENT_SECRET');
    const withEnv = captureIo({ CHATFLOW_YOUTUBE_CLIENT_SECRET: FAKE_GOOGLE_CLIENT_SECRET });
    google.script({});
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, withEnv.io, deps())).toBe(0);
  });

  it('exits 69 with a hint when Google refuses the client secret', async () => {
    const p = await project();
    const t = captureIo({ CHATFLOW_YOUTUBE_CLIENT_SECRET: 'wrong' });
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, t.io, deps())).toBe(69);
    expect(t.err()).toContain('invalid_client');
    expect(t.err()).toContain('TVs and Limited Input devices');
  });

  it('exits 130 when interrupted while waiting for approval, and 69 naming the URL when Google cannot be reached', async () => {
    const p = await project();
    google.script({ pending: 1000 });
    const stop = new AbortController();
    const t = captureIo();
    const d = deps();
    const sleep = d.sleep;
    const running = authCommand('youtube', p.file, { bot: false, check: false }, { ...t.io, shutdown: stop.signal }, {
      ...d,
      sleep: async (ms, signal) => {
        if (d.waits.length === 3) stop.abort();
        await sleep?.(ms, signal);
      },
    });
    expect(await running).toBe(130);
    expect((await p.youtube.read()).token).toBeUndefined();
    const down = await project();
    const text = (await readFile(down.file, 'utf8')).replace(google.authUrl, 'http://127.0.0.1:9');
    await writeFile(down.file, text);
    const u = captureIo();
    expect(await authCommand('youtube', down.file, { bot: false, check: false }, u.io, deps())).toBe(69);
    expect(u.err()).toContain('cannot reach http://127.0.0.1:9');
  });

  it('--check: not signed in (1), valid (0), refreshed after expiry (0), revoked (1)', async () => {
    const p = await project();
    const check = async () => {
      const t = captureIo();
      return { code: await authCommand('youtube', p.file, { bot: false, check: true }, t.io, deps()), out: t.out() };
    };
    expect(await check()).toEqual({ code: 1, out: 'YouTube: not signed in. Run `chatflow auth youtube`.\n' });
    google.script({});
    expect(await authCommand('youtube', p.file, { bot: false, check: false }, captureIo().io, deps())).toBe(0);
    const ok = await check();
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^YouTube: ChatFlow Bot \(UC\w+\), token valid for 0h 59m|^YouTube: ChatFlow Bot \(UC\w+\), token valid for 59m; may send chat\.\n$/);
    const before = (await p.youtube.read()).token;
    google.expireAccessTokens();
    const refreshed = await check();
    expect(refreshed.code).toBe(0);
    expect(refreshed.out).toContain('(refreshed now)');
    const after = (await p.youtube.read()).token;
    expect(after?.accessToken).not.toBe(before?.accessToken);
    expect(after?.refreshToken).toBe(before?.refreshToken);
    google.revokeAll();
    google.expireAccessTokens();
    const revoked = await check();
    expect(revoked.code).toBe(1);
    expect(revoked.out).toContain('revoked or has expired and cannot be refreshed. Run `chatflow auth youtube`.');
  });
});

describe('chatflow auth kick', () => {
  it('prints the authorize URL (S256 challenge, state, exact redirect), takes the browser back, stores the user 0600', async () => {
    const p = await project();
    const r = await kickSignIn(p.file);
    expect(r.code).toBe(0);
    const url = new URL(r.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(p.redirect);
    expect(url.searchParams.get('scope')).toBe('user:read chat:write');
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{16,}$/);
    expect(r.out).toContain(`Signed in as ${FAKE_KICK_USER.name} (${FAKE_KICK_USER.user_id}) on Kick.`);
    const { token } = await p.kick.read();
    expect(token).toMatchObject({ clientId: FAKE_KICK_CLIENT_ID, accountId: String(FAKE_KICK_USER.user_id), scopes: ['user:read', 'chat:write'] });
    if (process.platform !== 'win32') expect((await stat(p.kick.file)).mode & 0o777).toBe(0o600);
    await expectNoTokens(r.out + r.err, p.kick);
    // The verifier went only to the token endpoint, and matched the challenge there.
    const exchange = kick.requests.filter((q) => q.path === '/oauth/token' && q.params.grant_type === 'authorization_code').at(-1);
    expect(exchange?.params.code_verifier).toMatch(/^[\w-]{43}$/);
    expect(r.url).not.toContain(exchange?.params.code_verifier);
  });

  it('refuses a redirect with a wrong state (and exchanges nothing for it), then takes the right one', async () => {
    const p = await project();
    const before = kick.count('/oauth/token', 'authorization_code');
    const r = await kickSignIn(p.file, async (url) => {
      const forged = await kick.browse(url, (back) => back.searchParams.set('state', 'forged'));
      expect(forged).toEqual({ status: 400, redirected: true });
      expect(kick.count('/oauth/token', 'authorization_code')).toBe(before);
      await kick.browse(url);
    });
    expect(r.code).toBe(0);
    expect(kick.count('/oauth/token', 'authorization_code') - before).toBe(1);
  });

  it('exits 77 when the user declines at Kick', async () => {
    const p = await project();
    kick.decide = 'deny';
    const r = await kickSignIn(p.file).finally(() => {
      kick.decide = 'approve';
    });
    expect(r.code).toBe(77);
    expect(r.err).toContain('declined at Kick');
    expect((await p.kick.read()).token).toBeUndefined();
  });

  it('exits 69 with the hint when Kick refuses the code exchange (a wrong client secret)', async () => {
    const p = await project();
    const t = captureIo({ CHATFLOW_KICK_CLIENT_SECRET: 'wrong' });
    const running = authCommand('kick', p.file, { bot: false, check: false }, t.io, deps());
    for (let i = 0; i < 200 && !t.out().includes('/oauth/authorize'); i++) await new Promise((r) => setTimeout(r, 10));
    await kick.browse(/https?:\/\/\S+\/oauth\/authorize\S*/.exec(t.out())?.[0] as string);
    expect(await running).toBe(69);
    expect(t.err()).toContain('Kick answered 400: Invalid request');
    expect(t.err()).toContain('redirect URL registered exactly');
    expect((await p.kick.read()).token).toBeUndefined();
  });

  it('shows Kick refusing an unregistered redirect URL on its own page (nothing comes back), and exits 78 when the port is taken', async () => {
    const p = await project();
    kick.redirectUris.delete(p.redirect);
    const stop = new AbortController();
    const t = captureIo();
    const running = authCommand('kick', p.file, { bot: false, check: false }, { ...t.io, shutdown: stop.signal }, deps());
    for (let i = 0; i < 200 && !t.out().includes('/oauth/authorize'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await kick.browse(/https?:\/\/\S+\/oauth\/authorize\S*/.exec(t.out())?.[0] as string)).toEqual({ status: 400, redirected: false });
    const second = captureIo();
    expect(await authCommand('kick', p.file, { bot: false, check: false }, second.io, deps())).toBe(78);
    expect(second.err()).toContain('cannot listen on port');
    stop.abort();
    expect(await running).toBe(130);
  });

  it('exits 130 when interrupted while waiting for the browser, and frees the port', async () => {
    const p = await project();
    const stop = new AbortController();
    const t = captureIo();
    const running = authCommand('kick', p.file, { bot: false, check: false }, { ...t.io, shutdown: stop.signal }, deps());
    for (let i = 0; i < 200 && !t.out().includes('/oauth/authorize'); i++) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    expect(await running).toBe(130);
    const again = await kickSignIn(p.file);
    expect(again.code).toBe(0);
  });

  it('--check: valid (0), refreshed with the rotated pair stored (0), revoked (1); --bot is refused (64)', async () => {
    const p = await project();
    expect((await kickSignIn(p.file)).code).toBe(0);
    const check = async () => {
      const t = captureIo();
      return { code: await authCommand('kick', p.file, { bot: false, check: true }, t.io, deps()), out: t.out() };
    };
    const ok = await check();
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^Kick: chatflow_bot \(987654321\), token valid for 1h 59m; may send chat\.\n$|^Kick: chatflow_bot \(987654321\), token valid for 2h 0m; may send chat\.\n$/);
    const before = (await p.kick.read()).token;
    kick.expireAccessTokens();
    const refreshed = await check();
    expect(refreshed.out).toContain('(refreshed now)');
    expect((await p.kick.read()).token?.refreshToken).not.toBe(before?.refreshToken);
    kick.revokeAll();
    kick.expireAccessTokens();
    const revoked = await check();
    expect(revoked.code).toBe(1);
    expect(revoked.out).toContain('cannot be refreshed. Run `chatflow auth kick`.');
    const bot = captureIo();
    expect(await authCommand('kick', p.file, { bot: true, check: false }, bot.io, deps())).toBe(64);
  });

  it('refuses a redirect URI chatflow cannot listen at, when the pipeline is loaded (78)', async () => {
    const p = await project();
    await writeFile(p.file, (await readFile(p.file, 'utf8')).replace(p.redirect, 'https://example.com/callback'));
    const t = captureIo();
    expect(await authCommand('kick', p.file, { bot: false, check: false }, t.io, deps())).toBe(78);
    expect(t.err()).toContain('Expected a loopback URL with a port');
  });

  it('is reachable through main, and an unknown platform is a usage error', async () => {
    const p = await project();
    const t = captureIo();
    expect(await main(['auth', 'kick', p.file, '--check'], t.io)).toBe(1);
    expect(t.out()).toBe('Kick: not signed in. Run `chatflow auth kick`.\n');
    const u = captureIo();
    expect(await main(['auth', 'tiktok', p.file], u.io)).toBe(64);
    expect(u.err()).toContain('chatflow auth youtube');
    expect(await readFile(p.file, 'utf8')).toContain('kick:');
  });
});
