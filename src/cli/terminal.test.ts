import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CLEAR_ROW, Terminal } from './terminal.js';

/** A fake terminal: stdout and stderr writes land, in order, in one byte log. */
function fakeTty(columns?: number) {
  const log: string[] = [];
  const stream = (name: 'out' | 'err') =>
    Object.assign(
      new Writable({
        write: (chunk: Buffer, _e, done) => {
          log.push(`${name}:${chunk.toString()}`);
          done();
        },
      }),
      { isTTY: true, columns },
    );
  return { stdout: stream('out'), stderr: stream('err'), log };
}

/** What the rows of a terminal show after `bytes` (carriage return, newline, erase-row). */
function screen(bytes: string): string[] {
  const rows: string[] = [''];
  let col = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes.startsWith('\x1b[2K', i)) {
      rows[rows.length - 1] = '';
      i += 3;
      continue;
    }
    const c = bytes[i] as string;
    if (c === '\r') col = 0;
    else if (c === '\n') {
      rows.push('');
      col = 0;
    } else {
      const row = rows[rows.length - 1] as string;
      rows[rows.length - 1] = row.slice(0, col) + c + row.slice(col + 1);
      col += 1;
    }
  }
  return rows;
}

describe('the terminal writer', () => {
  it('clears the status row, prints the line, and redraws the status line: exact bytes', () => {
    const tty = fakeTty();
    const terminal = new Terminal(tty);
    terminal.status('chatflow ▸ 0:01');
    terminal.stdout.write('resonance = 0.13 (via command)\n');
    terminal.stderr.write('[12:00:00.000] INFO: Pipeline started.\n');
    terminal.status('chatflow ▸ 0:02');
    terminal.clearStatus();
    terminal.stdout.write('cutoff = 0.70 (via command)\n');
    expect(tty.log).toEqual([
      `err:${CLEAR_ROW}chatflow ▸ 0:01`,
      `err:${CLEAR_ROW}`,
      'out:resonance = 0.13 (via command)\n',
      'err:chatflow ▸ 0:01',
      `err:${CLEAR_ROW}`,
      'err:[12:00:00.000] INFO: Pipeline started.\n',
      'err:chatflow ▸ 0:01',
      `err:${CLEAR_ROW}chatflow ▸ 0:02`,
      `err:${CLEAR_ROW}`,
      'out:cutoff = 0.70 (via command)\n',
    ]);
  });

  it('never leaves a printed line on the status row', () => {
    const tty = fakeTty();
    const terminal = new Terminal(tty);
    for (let second = 1; second <= 3; second++) {
      terminal.status(`chatflow ▸ 0:0${second}`);
      terminal.stdout.write(`resonance = 0.${second}0 (via command)\n`);
      terminal.stderr.write(`[12:00:0${second}.000] WARN: Something.\n`);
    }
    const rows = screen(tty.log.map((entry) => entry.slice(4)).join(''));
    expect(rows).toEqual([
      'resonance = 0.10 (via command)',
      '[12:00:01.000] WARN: Something.',
      'resonance = 0.20 (via command)',
      '[12:00:02.000] WARN: Something.',
      'resonance = 0.30 (via command)',
      '[12:00:03.000] WARN: Something.',
      'chatflow ▸ 0:03',
    ]);
  });

  it('holds a line written in pieces until its newline', () => {
    const tty = fakeTty();
    const terminal = new Terminal(tty);
    terminal.status('S');
    terminal.stdout.write('resonance = ');
    expect(tty.log).toEqual([`err:${CLEAR_ROW}S`]);
    terminal.stdout.write('0.13\nnext');
    terminal.stdout.end();
    expect(tty.log).toEqual([`err:${CLEAR_ROW}S`, `err:${CLEAR_ROW}`, 'out:resonance = 0.13\n', 'err:S', `err:${CLEAR_ROW}`, 'out:next\n', 'err:S']);
  });

  it('cuts the status line to the terminal width, so it stays on one row', () => {
    const tty = fakeTty(12);
    new Terminal(tty).status('chatflow ▸ 20 ev/s in · 18 ev/s out');
    expect(tty.log).toEqual([`err:${CLEAR_ROW}chatflow ▸…`]);
  });

  it('passes stdout through untouched when it is not the terminal (piped to a file)', () => {
    const tty = fakeTty();
    const piped = Object.assign(tty.stdout, { isTTY: false });
    const terminal = new Terminal({ stdout: piped, stderr: tty.stderr });
    expect(terminal.stdout).toBe(piped);
  });
});
