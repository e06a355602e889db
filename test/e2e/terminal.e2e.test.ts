/**
 * `chatflow run` in a real terminal (tmux): the live status line and the console's value lines
 * share the screen, and no row ever holds both (the status line glued to a value line was
 * `… · 0:01resonance = 0.13`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { until } from '../support/poll.js';

const sessions: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) {
    try {
      execFileSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** Everything the pane shows, scrollback included, one string per row. */
function capture(session: string): string[] {
  return tmux('capture-pane', '-p', '-J', '-S', '-1000', '-t', session).split('\n');
}

const STATUS = /^chatflow ▸ .* · \d+:\d\d$/;

describe('chatflow run in a terminal', () => {
  it('prints value lines above the status line, never on its row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-tty-'));
    dirs.push(dir);
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
sources:
  demo: { type: simulate, rate: 20/s, users: 5, seed: 3 }
sinks:
  show:
    type: console
    inputs: [demo]
    format: "value {{ author.login }}"
`,
    );
    const session = `chatflow-tty-${process.pid}-${Date.now()}`;
    sessions.push(session);
    tmux(
      'new-session', '-d', '-s', session, '-x', '160', '-y', '40',
      `cd '${dir}' && '${process.execPath}' '${BIN}' run pipeline.yaml; sleep 60`,
    );
    // Several ticks of the status line with value lines printed between them.
    await until('three status ticks', () => capture(session).some((row) => / · 0:0[3-9]$/.test(row)));
    const rows = capture(session).filter((row) => row !== '');
    tmux('send-keys', '-t', session, 'C-c');

    const statusRows = rows.filter((row) => row.includes('chatflow ▸'));
    const valueRows = rows.filter((row) => row.includes('value '));
    expect(valueRows.length).toBeGreaterThan(20);
    // One status row: the last one, alone on it; every value line on a row of its own.
    expect(statusRows).toHaveLength(1);
    expect(statusRows[0]).toMatch(STATUS);
    expect(rows.at(-1)).toBe(statusRows[0]);
    for (const row of valueRows) expect(row).toMatch(/^value \S+$/);
  });
});
