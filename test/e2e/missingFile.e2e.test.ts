import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatflow } from '../support/cli.js';

/** A moderate node whose word list is not there, with storage left `embedded` (the default). */
const PIPELINE = `version: 1
server: { listen: 127.0.0.1:0 }
sources:
  demo: { type: simulate, rate: 5/s }
operators:
  mod:
    type: moderate
    inputs: [demo]
    words: { file: banned.txt }
sinks:
  history: { type: postgres, inputs: [mod.flagged] }
  state: { type: redis_state, inputs: [mod.clean] }
`;

describe('a word list that is not there', () => {
  it('fails validate and run alike with its position (exit 78), before any server starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-missing-file-'));
    await writeFile(join(dir, 'pipeline.yaml'), PIPELINE);

    const validated = await chatflow(['validate'], { cwd: dir }).finished;
    expect(validated.code, validated.stderr + validated.stdout).toBe(78);
    expect(validated.stdout + validated.stderr).toContain('pipeline.yaml:9:20: error: File "banned.txt" not found');

    const ran = await chatflow(['run'], { cwd: dir }).finished;
    expect(ran.code, ran.stderr).toBe(78);
    expect(ran.stderr).toContain('pipeline.yaml:9:20: error: File "banned.txt" not found');
    // Embedded Redis and PostgreSQL live under .chatflow/: refused before either started.
    expect(existsSync(join(dir, '.chatflow'))).toBe(false);
    expect(ran.stderr).not.toContain('Pipeline started.');
  }, 60_000);
});
