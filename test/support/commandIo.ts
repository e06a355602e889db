import { PassThrough } from 'node:stream';

/**
 * A `CommandIo` for calling the CLI's `main` in-process, with what it wrote to stdout and
 * stderr so far.
 */
export function captureIo(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { io: { stdout, stderr, env }, out: () => out, err: () => err };
}
