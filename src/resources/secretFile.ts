/**
 * A JSON file that holds secrets (sign-in tokens): read and checked against its schema, made
 * 0600 again on POSIX when found readable by others, written whole through a fresh temporary
 * file (so the mode applies) and a rename. What is thrown never quotes the file's values.
 */
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';

/** Why a secret file cannot be used, in words that quote none of its values. */
export class SecretFileInvalid extends Error {}

/**
 * The file's value (undefined when there is none); `tightened` when it was readable by others.
 * Throws {@link SecretFileInvalid} when it is not JSON or not of `schema`.
 */
export async function readSecretJson<S extends z.ZodType>(
  file: string,
  schema: S,
  os: NodeJS.Platform = process.platform,
): Promise<{ value: z.output<S> | undefined; tightened: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { value: undefined, tightened: false };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SecretFileInvalid('is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    // Paths only: a zod message could quote a value, and values here are secrets.
    const where = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(top)'))].join(', ');
    throw new SecretFileInvalid(`is not a token file chatflow wrote (at ${where})`);
  }
  let tightened = false;
  if (os !== 'win32') {
    const mode = (await stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      await chmod(file, 0o600);
      tightened = true;
    }
  }
  return { value: parsed.data, tightened };
}

/** Replaces the file with `value` as JSON, mode 0600. */
export async function writeSecretJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  // `flag: 'wx'` creates it afresh, so the mode applies (it does not to an existing file).
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temp, file);
}
