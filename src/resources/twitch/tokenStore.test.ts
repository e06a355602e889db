import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { type StoredToken, TokenFileError, tokenFileIn, TwitchTokenStore } from './tokenStore.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

const TOKEN: StoredToken = {
  clientId: 'hof5gwx0su6owfnys0nyan9c87zr6t',
  userId: '1971641',
  login: 'streamer',
  scopes: ['channel:read:redemptions'],
  accessToken: 'access-secret-1',
  refreshToken: 'refresh-secret-1',
  expiresIn: 14124,
  obtainedAt: 1_773_514_863_000,
};

// Modes are POSIX facts: this suite runs on Linux (CI); Windows behaviour is the 'win32' case below.
const posix = process.platform !== 'win32';

describe('TwitchTokenStore', () => {
  it('keeps each role under .chatflow/twitch-tokens.json and reads back what it wrote', async () => {
    const dir = await dirs.make('chatflow-tokens-');
    const store = new TwitchTokenStore(tokenFileIn(dir));
    expect(store.file).toBe(join(dir, '.chatflow', 'twitch-tokens.json'));
    expect(await store.read()).toEqual({ tokens: {}, tightened: false });
    await store.save('broadcaster', TOKEN);
    await store.save('bot', { ...TOKEN, userId: '2914196', login: 'chatflow_bot' });
    expect((await store.read()).tokens).toEqual({
      broadcaster: TOKEN,
      bot: { ...TOKEN, userId: '2914196', login: 'chatflow_bot' },
    });
    await store.save('bot', undefined);
    expect((await store.read()).tokens).toEqual({ broadcaster: TOKEN });
    const json = JSON.parse(await readFile(store.file, 'utf8')) as { version: number; accounts: Record<string, unknown> };
    expect(json.version).toBe(1);
    expect(Object.keys(json.accounts)).toEqual(['broadcaster']);
  });

  it('creates the file with mode 0600 and keeps it so across rewrites', async () => {
    const dir = await dirs.make('chatflow-tokens-');
    const store = new TwitchTokenStore(tokenFileIn(dir));
    await store.save('broadcaster', TOKEN);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    await store.save('broadcaster', { ...TOKEN, accessToken: 'access-secret-2' });
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it('makes a file others can read 0600 again when reading it, and says so', async () => {
    const dir = await dirs.make('chatflow-tokens-');
    const store = new TwitchTokenStore(tokenFileIn(dir));
    await store.save('broadcaster', TOKEN);
    await chmod(store.file, 0o644);
    expect((await store.read()).tightened).toBe(true);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect((await store.read()).tightened).toBe(false);
  });

  it('leaves the mode alone on Windows, where the folder ACL protects the file', async () => {
    const dir = await dirs.make('chatflow-tokens-');
    const store = new TwitchTokenStore(tokenFileIn(dir), 'win32');
    await store.save('broadcaster', TOKEN);
    if (posix) await chmod(store.file, 0o644);
    expect((await store.read()).tightened).toBe(false);
  });

  it('refuses a file it did not write, naming where, never quoting a value', async () => {
    const dir = await dirs.make('chatflow-tokens-');
    const store = new TwitchTokenStore(tokenFileIn(dir));
    await mkdir(join(dir, '.chatflow'), { recursive: true });
    await writeFile(store.file, '{"version":1,"accounts":{"broadcaster":{"access_token":"leaky-secret"}}}');
    const err = await store.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenFileError);
    expect((err as Error).message).toContain('accounts.broadcaster');
    expect((err as Error).message).toContain('chatflow auth twitch');
    expect((err as Error).message).not.toContain('leaky-secret');
    await writeFile(store.file, 'not json');
    await expect(store.read()).rejects.toThrow('is not JSON');
    // A sign-in replaces a broken file.
    await store.save('broadcaster', TOKEN);
    expect((await store.read()).tokens.broadcaster).toEqual(TOKEN);
  });

  it('serializes concurrent saves, so neither role is lost', async () => {
    const dir = await dirs.make('chatflow-tokens-');
    const store = new TwitchTokenStore(tokenFileIn(dir));
    await Promise.all([store.save('broadcaster', TOKEN), store.save('bot', { ...TOKEN, login: 'chatflow_bot' })]);
    expect(Object.keys((await store.read()).tokens).sort()).toEqual(['bot', 'broadcaster']);
  });
});
