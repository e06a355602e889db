/**
 * The signed-in Twitch accounts' tokens, in `.chatflow/twitch-tokens.json` beside the pipeline:
 * never in pipeline.yaml, never logged. Written whole to a temporary file created with mode
 * 0600 and renamed over the old one, so a crash never leaves half a file and the file is never
 * readable by other users on POSIX. (Windows ignores the mode; the file inherits the ACL of the
 * user's folder: docs/twitch.md.)
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readSecretJson, SecretFileInvalid, writeSecretJson } from '../secretFile.js';
import { TWITCH_ACCOUNT_ROLES, type TwitchAccountRole } from '../../core/twitchAuth.js';

/** One account's token as stored. */
export interface StoredToken {
  /** The client id the token was issued to (a token is useless with another). */
  readonly clientId: string;
  readonly userId: string;
  readonly login: string;
  readonly scopes: readonly string[];
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds the access token lived when obtained. */
  readonly expiresIn: number;
  /** Epoch ms. */
  readonly obtainedAt: number;
}

export type StoredTokens = Partial<Record<TwitchAccountRole, StoredToken>>;

const StoredTokenFile = z.strictObject({
  client_id: z.string(),
  user_id: z.string(),
  login: z.string(),
  scopes: z.array(z.string()),
  access_token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number(),
  obtained_at: z.number(),
});

const TokenFile = z.strictObject({
  version: z.literal(1),
  accounts: z.strictObject({ broadcaster: StoredTokenFile.optional(), bot: StoredTokenFile.optional() }),
});

/** The token file is there but is not one chatflow wrote. */
export class TokenFileError extends Error {
  constructor(file: string, what: string) {
    super(`${file} ${what}; delete it and sign in again with \`chatflow auth twitch\`.`);
    this.name = 'TokenFileError';
  }
}

/** `.chatflow/twitch-tokens.json` under a pipeline's directory. */
export function tokenFileIn(baseDir: string): string {
  return join(baseDir, '.chatflow', 'twitch-tokens.json');
}

export class TwitchTokenStore {
  /** Writes in this process, one after another (a refresh may race a second one). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /**
   * The stored tokens ({} when there is no file). On POSIX a file readable by others is made
   * 0600 again, and `tightened` says so.
   */
  async read(): Promise<{ tokens: StoredTokens; tightened: boolean }> {
    let read: Awaited<ReturnType<typeof readSecretJson<typeof TokenFile>>>;
    try {
      read = await readSecretJson(this.file, TokenFile, this.platform);
    } catch (err) {
      if (err instanceof SecretFileInvalid) throw new TokenFileError(this.file, err.message);
      throw err;
    }
    const { value, tightened } = read;
    if (value === undefined) return { tokens: {}, tightened: false };
    const tokens: StoredTokens = {};
    for (const role of TWITCH_ACCOUNT_ROLES) {
      const t = value.accounts[role];
      if (!t) continue;
      tokens[role] = {
        clientId: t.client_id,
        userId: t.user_id,
        login: t.login,
        scopes: t.scopes,
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresIn: t.expires_in,
        obtainedAt: t.obtained_at,
      };
    }
    return { tokens, tightened };
  }

  /** Stores (or with undefined, forgets) one account's token, keeping the other. */
  save(role: TwitchAccountRole, token: StoredToken | undefined): Promise<void> {
    const next = this.#queue.then(async () => {
      const { tokens } = await this.read().catch((err: unknown) => {
        // A broken file is replaced by a sign-in, not kept.
        if (err instanceof TokenFileError) return { tokens: {} as StoredTokens };
        throw err;
      });
      if (token) tokens[role] = token;
      else delete tokens[role];
      await this.#write(tokens);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(tokens: StoredTokens): Promise<void> {
    const accounts: Record<string, z.input<typeof StoredTokenFile>> = {};
    for (const role of TWITCH_ACCOUNT_ROLES) {
      const t = tokens[role];
      if (!t) continue;
      accounts[role] = {
        client_id: t.clientId,
        user_id: t.userId,
        login: t.login,
        scopes: [...t.scopes],
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        expires_in: t.expiresIn,
        obtained_at: t.obtainedAt,
      };
    }
    await writeSecretJson(this.file, { version: 1, accounts });
  }
}
