import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { type StoredUserToken, UserTokenFileError, UserTokenStore, userTokenFileIn } from './tokenStore.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

const TOKEN: StoredUserToken = {
  clientId: 'client',
  accountId: '987654321',
  accountName: 'chatflow_bot',
  scopes: ['user:read', 'chat:write'],
  accessToken: 'ACCESS-1',
  refreshToken: 'REFRESH-1',
  expiresIn: 7200,
  obtainedAt: 1_800_000_000_000,
};

async function store(platform: 'youtube' | 'kick' = 'kick', os: NodeJS.Platform = 'linux') {
  return new UserTokenStore(userTokenFileIn(await dirs.make('chatflow-usertoken-'), platform), platform, os);
}

describe('UserTokenStore', () => {
  it('keeps the file under .chatflow/, named for the platform', () => {
    expect(userTokenFileIn('/p', 'youtube')).toMatch(/[/\\]\.chatflow[/\\]youtube-tokens\.json$/);
    expect(userTokenFileIn('/p', 'kick')).toMatch(/[/\\]\.chatflow[/\\]kick-tokens\.json$/);
  });

  it('reads nothing before a sign-in, then what was saved', async () => {
    const s = await store();
    expect((await s.read()).token).toBeUndefined();
    await s.save(TOKEN);
    expect((await s.read()).token).toEqual(TOKEN);
  });

  it.skipIf(process.platform === 'win32')('writes the file 0600, leaves no temporary file, and replaces it whole', async () => {
    const s = await store();
    await s.save(TOKEN);
    await s.save({ ...TOKEN, accessToken: 'ACCESS-2', refreshToken: 'REFRESH-2' });
    expect((await stat(s.file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dirname(s.file))).toEqual(['kick-tokens.json']);
    const text = await readFile(s.file, 'utf8');
    expect(text).toContain('REFRESH-2');
    expect(text).not.toContain('REFRESH-1');
  });

  it.skipIf(process.platform === 'win32')('makes a file readable by others 0600 again, and says so', async () => {
    const s = await store();
    await s.save(TOKEN);
    await chmod(s.file, 0o644);
    expect((await s.read()).tightened).toBe(true);
    expect((await stat(s.file)).mode & 0o777).toBe(0o600);
    expect((await s.read()).tightened).toBe(false);
  });

  it('leaves the mode alone on Windows', async () => {
    const s = await store('youtube', 'win32');
    await s.save(TOKEN);
    await chmod(s.file, 0o644);
    expect((await s.read()).tightened).toBe(false);
  });

  it('refuses a file it did not write, naming where without quoting a value', async () => {
    const s = await store('youtube');
    await s.save(TOKEN);
    await writeFile(s.file, JSON.stringify({ version: 1, access_token: 'SECRET-VALUE' }));
    const err = await s.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserTokenFileError);
    expect((err as Error).message).toContain('chatflow auth youtube');
    expect((err as Error).message).not.toContain('SECRET-VALUE');
    await writeFile(s.file, 'not json');
    await expect(s.read()).rejects.toThrow(/is not JSON/);
  });

  it('forgets the token when saved as undefined', async () => {
    const s = await store();
    await s.save(TOKEN);
    await s.save(undefined);
    expect((await s.read()).token).toBeUndefined();
  });
});
