/**
 * The signed-in YouTube or Kick account's token, in `.chatflow/<platform>-tokens.json` beside
 * the pipeline: never in pipeline.yaml, never logged. Written whole to a temporary file created
 * with mode 0600 and renamed over the old one, so a crash never leaves half a file (a lost Kick
 * refresh token, which Kick rotates, would mean signing in again) and the file is never readable
 * by other users on POSIX. Windows ignores the mode; the file inherits the ACL of the user's
 * folder (docs/youtube.md, docs/kick.md).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { UserTokenPlatform } from '../../core/userTokenAuth.js';
import { readSecretJson, SecretFileInvalid, writeSecretJson } from '../secretFile.js';

/** The account's token as stored. */
export interface StoredUserToken {
  /** The client id the token was issued to (useless with another). */
  readonly clientId: string;
  /** YouTube: the channel id; Kick: the user id (as text). */
  readonly accountId: string;
  /** YouTube: the channel title; Kick: the username. */
  readonly accountName: string;
  readonly scopes: readonly string[];
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds the access token lived when obtained. */
  readonly expiresIn: number;
  /** Epoch ms. */
  readonly obtainedAt: number;
}

const TokenFile = z.strictObject({
  version: z.literal(1),
  client_id: z.string(),
  account_id: z.string(),
  account_name: z.string(),
  scopes: z.array(z.string()),
  access_token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number(),
  obtained_at: z.number(),
});

/** The token file is there but is not one chatflow wrote. */
export class UserTokenFileError extends Error {
  constructor(file: string, what: string, platform: UserTokenPlatform) {
    super(`${file} ${what}; delete it and sign in again with \`chatflow auth ${platform}\`.`);
    this.name = 'UserTokenFileError';
  }
}

/** `.chatflow/<platform>-tokens.json` under a pipeline's directory. */
export function userTokenFileIn(baseDir: string, platform: UserTokenPlatform): string {
  return join(baseDir, '.chatflow', `${platform}-tokens.json`);
}

export class UserTokenStore {
  /** Writes in this process, one after another (a refresh may race a sign-out). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    readonly platform: UserTokenPlatform,
    readonly os: NodeJS.Platform = process.platform,
  ) {}

  /**
   * The stored token (undefined when there is no file). On POSIX a file readable by others is
   * made 0600 again, and `tightened` says so.
   */
  async read(): Promise<{ token: StoredUserToken | undefined; tightened: boolean }> {
    let read: Awaited<ReturnType<typeof readSecretJson<typeof TokenFile>>>;
    try {
      read = await readSecretJson(this.file, TokenFile, this.os);
    } catch (err) {
      if (err instanceof SecretFileInvalid) throw new UserTokenFileError(this.file, err.message, this.platform);
      throw err;
    }
    const { value: t, tightened } = read;
    if (t === undefined) return { token: undefined, tightened: false };
    return {
      token: {
        clientId: t.client_id,
        accountId: t.account_id,
        accountName: t.account_name,
        scopes: t.scopes,
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresIn: t.expires_in,
        obtainedAt: t.obtained_at,
      },
      tightened,
    };
  }

  /** Stores the token (replacing the file), or with undefined removes it. */
  save(token: StoredUserToken | undefined): Promise<void> {
    const next = this.#queue.then(() => (token ? this.#write(token) : rm(this.file, { force: true })));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(t: StoredUserToken): Promise<void> {
    const body: z.input<typeof TokenFile> = {
      version: 1,
      client_id: t.clientId,
      account_id: t.accountId,
      account_name: t.accountName,
      scopes: [...t.scopes],
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      expires_in: t.expiresIn,
      obtained_at: t.obtainedAt,
    };
    await writeSecretJson(this.file, body);
  }
}
