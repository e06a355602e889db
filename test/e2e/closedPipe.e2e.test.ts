/**
 * `chatflow schema | head`: the reader closes the pipe after its first lines. chatflow stops
 * quietly with its own exit code instead of dying of an unhandled EPIPE with a stack trace.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

describe('a reader that closes the pipe early', () => {
  it('ends chatflow quietly, exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, [BIN, 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let first = '';
    // Like `head -c`: read one chunk, then close the pipe while chatflow is still writing.
    child.stdout.once('data', (chunk: Buffer) => {
      first = chunk.toString();
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(first.startsWith('{')).toBe(true);
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
