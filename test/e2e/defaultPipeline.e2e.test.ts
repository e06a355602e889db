/**
 * The default pipeline.yaml, run as `npm start` runs it, into a real OSC receiver (liblo's
 * `oscdump`): every variable it declares must be moved by chat, not only sent its default.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type OscDump, startOscDump, until } from '../integration/oscSupport.js';
import type { ChildProcess } from 'node:child_process';
import { chatflow } from '../support/cli.js';

const VARIABLES = ['cutoff', 'resonance', 'pitch', 'wobble'] as const;

let receiver: OscDump | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  // Whatever happened in the test, nothing it started outlives it.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await receiver?.stop();
  receiver = undefined;
});

/** `/cv/wobble f 0.675000` → how many messages each variable got. */
function countsByVariable(lines: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const match = /^\/cv\/([a-z_]+) f /.exec(line);
    if (match) counts[match[1] as string] = (counts[match[1] as string] ?? 0) + 1;
  }
  return counts;
}

describe('npm start: the default pipeline.yaml', () => {
  it('moves all four variables over OSC, the crowd-voted wobble included', async () => {
    receiver = await startOscDump();
    const dump = receiver;
    // The repository's own pipeline.yaml, as `npm start` runs it; storage off so nothing is
    // started beside it, and chat fast enough that a 5 s vote window reaches its quorum of 3.
    const run = chatflow(['run', 'pipeline.yaml'], {
      env: {
        CHATFLOW_OSC_TARGET: `127.0.0.1:${dump.port}`,
        CHATFLOW_LISTEN: '127.0.0.1:0',
        CHATFLOW_SIM_RATE: '100/s',
        REDIS_URL: 'off',
        DATABASE_URL: 'off',
      },
    });
    child = run.child;
    // Each variable is sent its default once at start; a second message is a change from chat
    // (`!cv`, `!pitch`, and for wobble only a `vote` result).
    const moved = () => {
      const counts = countsByVariable(dump.lines());
      return VARIABLES.every((name) => (counts[name] ?? 0) >= 2);
    };
    try {
      await until(() => moved() || run.child.exitCode !== null, 'every variable to move', 40_000);
    } finally {
      run.child.kill('SIGTERM');
    }
    const finished = await run.finished;
    const counts = countsByVariable(dump.lines());
    expect(counts, finished.stderr).toEqual({
      cutoff: expect.any(Number),
      resonance: expect.any(Number),
      pitch: expect.any(Number),
      wobble: expect.any(Number),
    });
    for (const name of VARIABLES) expect(counts[name], name).toBeGreaterThanOrEqual(2);
    expect(finished.code, finished.stderr).toBe(0);
  }, 60_000);
});
