import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_CLIENT_ID, FAKE_STREAMER, FakeTwitchHelix } from '../../test/fakes/twitchHelix.js';
import { captureIo } from '../../test/support/commandIo.js';
import { tempDirs } from '../../test/support/tempDirs.js';
import { collectComponent, twitchReaderComponent } from '../../test/support/twitchAuthComponents.js';
import { main } from '../cli.js';
import { buildRegistry } from '../core/registry.js';
import { tokenFileIn, TwitchTokenStore } from '../resources/twitch/tokenStore.js';
import { type AuthDeps, authCommand } from './authCommand.js';

let fake: FakeTwitchHelix;
const dirs = tempDirs();
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
});
afterAll(async () => {
  await fake.close();
  await dirs.removeAll();
});

const registry = buildRegistry([twitchReaderComponent], [], [collectComponent(new Map())]);

/** A pipeline whose reader needs follows and redemptions on the broadcaster and chat on the bot. */
async function project(options: { types?: string[]; clientId?: string | null } = {}) {
  const dir = await dirs.make('chatflow-auth-');
  const file = join(dir, 'pipeline.yaml');
  const types = options.types ?? ['channel.follow', 'channel.channel_points_custom_reward_redemption.add'];
  const clientId = options.clientId === undefined ? FAKE_CLIENT_ID : options.clientId;
  await writeFile(
    file,
    [
      'version: 1',
      'resources:',
      '  twitch:',
      ...(clientId === null ? [] : [`    client_id: ${clientId}`]),
      `    auth_url: ${fake.endpoints.auth}`,
      `    helix_url: ${fake.endpoints.helix}`,
      'sources:',
      '  reader:',
      '    type: twitch_reader',
      `    types: [${types.join(', ')}]`,
      '    replies: true',
      'sinks:',
      '  keep: { type: collect, inputs: [reader] }',
      '',
    ].join('\n'),
  );
  return { dir, file, store: new TwitchTokenStore(tokenFileIn(dir)) };
}

function deps(): AuthDeps & { waits: number[] } {
  let t = 0;
  const waits: number[] = [];
  return {
    registry,
    waits,
    now: () => t,
    wallNow: () => 1_800_000_000_000 + t,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
  };
}

async function signedIn(file: string, bot = false) {
  fake.scriptDevice({ user: bot ? FAKE_BOT : FAKE_STREAMER });
  const t = captureIo();
  expect(await authCommand('twitch', file, { bot, check: false }, t.io, deps())).toBe(0);
}

/** Stdout and stderr hold no token the store ever held. */
async function expectNoTokens(output: string, store: TwitchTokenStore) {
  const { tokens } = await store.read();
  for (const t of Object.values(tokens)) {
    expect(output).not.toContain(t.accessToken);
    expect(output).not.toContain(t.refreshToken);
  }
}

describe('chatflow auth twitch (device code)', () => {
  it('prints the URL and code, requests the scopes the nodes need, polls, and stores the tokens 0600', async () => {
    const { file, store } = await project();
    fake.scriptDevice({ pending: 2 });
    const t = captureIo();
    const d = deps();
    expect(await authCommand('twitch', file, { bot: false, check: false }, t.io, d)).toBe(0);
    const device = fake.requests.filter((r) => r.path === '/oauth2/device').at(-1);
    expect(device?.params.scopes).toBe('channel:read:redemptions moderator:read:followers');
    const out = t.out();
    expect(out).toMatch(/open\n {2}https:\/\/www\.twitch\.tv\/activate\?public=true&device-code=([A-Z]+)\nand enter the code \1 \(valid for 30 minutes\)\./);
    expect(out).toContain('Scopes requested (for reader): channel:read:redemptions moderator:read:followers');
    expect(out).toContain('Signed in as streamer (1971641) for the broadcaster account, with 2 scope(s).');
    expect(d.waits).toEqual([5000, 5000, 5000]);
    const { tokens } = await store.read();
    expect(tokens.broadcaster).toMatchObject({ login: 'streamer', userId: '1971641', clientId: FAKE_CLIENT_ID, obtainedAt: 1_800_000_015_000 });
    expect(fake.isValid(tokens.broadcaster?.accessToken ?? '')).toBe(true);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    await expectNoTokens(out + t.err(), store);
  });

  it('--bot signs the bot account in with what the nodes send as the bot, keeping the broadcaster', async () => {
    const { file, store } = await project();
    await signedIn(file);
    fake.scriptDevice({ user: FAKE_BOT, pending: 1 });
    const t = captureIo();
    expect(await authCommand('twitch', file, { bot: true, check: false }, t.io, deps())).toBe(0);
    expect(fake.requests.filter((r) => r.path === '/oauth2/device').at(-1)?.params.scopes).toBe('user:write:chat');
    expect(t.out()).toContain('Signed in as chatflow_bot (2914196) for the bot account');
    const { tokens } = await store.read();
    expect(tokens.bot?.login).toBe('chatflow_bot');
    expect(tokens.broadcaster?.login).toBe('streamer');
    await expectNoTokens(t.out() + t.err(), store);
  });

  it('exits 77 saying to run it again when the code is declined, and when it expires', async () => {
    const { file, store } = await project();
    fake.scriptDevice({ pending: 1, outcome: 'deny' });
    const declined = captureIo();
    expect(await authCommand('twitch', file, { bot: false, check: false }, declined.io, deps())).toBe(77);
    expect(declined.err()).toContain('it was declined (or already used). Run the command again');
    fake.scriptDevice({ pending: 1000, expiresIn: 30 });
    const expired = captureIo();
    expect(await authCommand('twitch', file, { bot: false, check: false }, expired.io, deps())).toBe(77);
    expect(expired.err()).toContain('the code expired before it was approved');
    expect((await store.read()).tokens).toEqual({});
  });

  it('exits 78 naming both settings when there is no client id; the environment one is used first', async () => {
    const { file, store } = await project({ clientId: null });
    const t = captureIo();
    expect(await authCommand('twitch', file, { bot: false, check: false }, t.io, deps())).toBe(78);
    expect(t.err()).toContain('resources.twitch.client_id');
    expect(t.err()).toContain('CHATFLOW_TWITCH_CLIENT_ID');
    fake.scriptDevice({});
    const withEnv = captureIo({ CHATFLOW_TWITCH_CLIENT_ID: FAKE_CLIENT_ID });
    expect(await authCommand('twitch', file, { bot: false, check: false }, withEnv.io, deps())).toBe(0);
    expect((await store.read()).tokens.broadcaster?.clientId).toBe(FAKE_CLIENT_ID);
  });

  it('exits 69 when Twitch refuses the client id', async () => {
    const { file } = await project({ clientId: 'notregistered' });
    const t = captureIo();
    expect(await authCommand('twitch', file, { bot: false, check: false }, t.io, deps())).toBe(69);
    expect(t.err()).toContain('invalid client');
    expect(t.err()).toContain('is the client id notregistered right');
  });

  it('exits 64 when no node needs the account asked for', async () => {
    const { file } = await project();
    await writeFile(file, (await readFile(file, 'utf8')).replace('    replies: true\n', ''));
    const t = captureIo();
    expect(await authCommand('twitch', file, { bot: true, check: false }, t.io, deps())).toBe(64);
    expect(t.err()).toContain('no node of');
    expect(t.err()).toContain('needs the bot account');
  });
});

describe('chatflow auth twitch --check', () => {
  const check = async (file: string) => {
    const t = captureIo();
    const code = await authCommand('twitch', file, { bot: false, check: true }, t.io, deps());
    return { code, out: t.out(), err: t.err() };
  };

  it('says each account has what the pipeline needs (exit 0)', async () => {
    const { file, store } = await project();
    await signedIn(file);
    await signedIn(file, true);
    const { code, out } = await check(file);
    expect(out).toBe(
      [
        'broadcaster: streamer (1971641), token valid for 3h 55m; has every scope the pipeline needs (2).',
        'bot: chatflow_bot (2914196), token valid for 3h 55m; has every scope the pipeline needs (1).',
        '',
      ].join('\n'),
    );
    expect(code).toBe(0);
    await expectNoTokens(out, store);
  });

  it('lists each scope the stored token lacks with the node that needs it (exit 1)', async () => {
    const { file } = await project();
    await signedIn(file);
    await writeFile(file, (await readFile(file, 'utf8')).replace('types: [', 'types: [channel.cheer, channel.subscribe, '));
    const { code, out } = await check(file);
    expect(out).toBe(
      [
        'broadcaster: streamer (1971641), token valid for 3h 55m; lacks 2 of 4 scope need(s). Run `chatflow auth twitch`.',
        '  missing bits:read  (node reader: reads channel.cheer)',
        '  missing channel:read:subscriptions  (node reader: reads channel.subscribe)',
        'bot: not signed in. Run `chatflow auth twitch --bot`.',
        '  missing user:write:chat  (node reader: sends replies)',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it('reports a revoked token as needing a new sign-in (exit 1)', async () => {
    const { file } = await project();
    await signedIn(file);
    await signedIn(file, true);
    fake.revokeUser(FAKE_BOT.id);
    const { code, out } = await check(file);
    expect(out).toContain('bot: chatflow_bot (2914196): the token was revoked or has expired and cannot be refreshed. Run `chatflow auth twitch --bot`.');
    expect(out).toContain('  missing user:write:chat  (node reader: sends replies)');
    expect(code).toBe(1);
  });

  it('refreshes an expired access token and stores the new pair', async () => {
    const { file, store } = await project();
    await signedIn(file);
    await signedIn(file, true);
    const before = (await store.read()).tokens.broadcaster;
    fake.expireAccess(before?.accessToken ?? '');
    const { code, out } = await check(file);
    expect(out).toContain('broadcaster: streamer (1971641), token valid for 3h 55m (refreshed now); has every scope');
    expect(code).toBe(0);
    const after = (await store.read()).tokens.broadcaster;
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect(fake.isValid(after?.accessToken ?? '')).toBe(true);
    await expectNoTokens(out, store);
  });
});

describe('chatflow auth (the command line)', () => {
  it('is a command of main: usage, --help, and --check of a pipeline that needs no Twitch account', async () => {
    const dir = await dirs.make('chatflow-auth-main-');
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, 'version: 1\nsources:\n  fake: { type: simulate, rate: 1/s }\nsinks:\n  out: { type: blackhole, inputs: [fake] }\n');
    const none = captureIo({ CHATFLOW_TWITCH_CLIENT_ID: FAKE_CLIENT_ID });
    expect(await main(['auth', 'twitch', '--check', file], none.io)).toBe(0);
    expect(none.out()).toBe(`${file} needs no Twitch account, and none is signed in.\n`);
    const bare = captureIo();
    expect(await main(['auth'], bare.io)).toBe(64);
    expect(bare.err()).toContain('Only `chatflow auth twitch` exists so far.');
    const help = captureIo();
    expect(await main(['auth', '--help'], help.io)).toBe(0);
    expect(help.out()).toContain('chatflow auth twitch [file] [--bot] [--check]');
  });
});

describe('chatflow auth twitch when Twitch cannot be reached', () => {
  it('exits 69 naming the OAuth URL', async () => {
    const dir = await dirs.make('chatflow-auth-down-');
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `version: 1\nresources:\n  twitch: { client_id: abc, auth_url: "http://127.0.0.1:9/oauth2" }\nsources:\n  reader: { type: twitch_reader, types: [channel.follow] }\nsinks:\n  keep: { type: collect, inputs: [reader] }\n`,
    );
    const t = captureIo();
    expect(await authCommand('twitch', file, { bot: false, check: false }, t.io, deps())).toBe(69);
    expect(t.err()).toContain('cannot reach http://127.0.0.1:9/oauth2');
  });
});
