import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { systemClockReads } from './clockRule.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('the system clock', () => {
  it('is read only by the CLI and the process watchdog, never by components, the runtime or the server', () => {
    expect(systemClockReads(ROOT)).toEqual([]);
  });

  it('is found outside the edges and allowed at them (fixture tree)', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'chatflow-clock-'));
    try {
      const files: Record<string, string> = {
        'src/cli/runCommand.ts': 'const wallClock = Date.now;\n',
        'src/resources/watchdog.ts': 'const until = Date.now() + 1;\n',
        'src/sinks/postgres.ts': '/**\n * Not `Date.now()`.\n */\nconst at = Date.now();\n// Date.now()\n',
        'src/operators/vote.ts': 'const stamp = new Date();\nconst parsed = new Date(0);\n',
        'src/sources/feed.ts': 'const epoch = () => performance.timeOrigin + performance.now();\n',
        // A string holding `/*` opens no comment; a comment after code is still a comment.
        'src/sinks/osc.ts': "const glob = '/cv/*';\nconst sent = Date.now(); // stamped\n/** Doc. */\nconst n = 1; // Date.now()\n",
      };
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
      expect(systemClockReads(root)).toEqual([
        'src/operators/vote.ts:1: const stamp = new Date();',
        'src/sinks/osc.ts:2: const sent = Date.now();',
        'src/sinks/postgres.ts:4: const at = Date.now();',
        'src/sources/feed.ts:1: const epoch = () => performance.timeOrigin + performance.now();',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
