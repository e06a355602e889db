/**
 * The one writer of a terminal that shows a live status line under scrolling output. The
 * status line sits on the last row without a newline; every line printed above it (console
 * values on stdout, logs on stderr) first clears that row, then is printed, then the status
 * line is drawn again, so a printed line never shares its row with the status line.
 */
import { Writable } from 'node:stream';

/** Carriage return, then erase the whole row: the cursor is at its start, the row empty. */
export const CLEAR_ROW = '\r\x1b[2K';

export interface TerminalStreams {
  /** Where printed lines of stdout go. */
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** The terminal the status line is drawn on (and where stderr lines go). */
  readonly stderr: NodeJS.WritableStream & { columns?: number | undefined };
}

export class Terminal {
  readonly #tty: TerminalStreams['stderr'];
  #status = '';
  /** Lines for stdout, printed above the status line (as is, when stdout is not this terminal). */
  readonly stdout: NodeJS.WritableStream;
  /** Lines for stderr (logs), printed above the status line. */
  readonly stderr: NodeJS.WritableStream;

  constructor(streams: TerminalStreams) {
    this.#tty = streams.stderr;
    // stdout piped to a file or a program never shares a row with the status line.
    this.stdout = streams.stdout.isTTY === true ? this.#lines(streams.stdout) : streams.stdout;
    this.stderr = this.#lines(streams.stderr);
  }

  /** Draws (or redraws) the status line, cut to the terminal's width so it stays on one row. */
  status(line: string): void {
    this.#status = cutToWidth(line, this.#tty.columns);
    this.#tty.write(`${CLEAR_ROW}${this.#status}`);
  }

  /** Removes the status line; what is printed after goes on as plain output. */
  clearStatus(): void {
    if (this.#status === '') return;
    this.#status = '';
    this.#tty.write(CLEAR_ROW);
  }

  /**
   * A stream that prints whole lines to `target` above the status line. A line written in
   * pieces is held until its newline, so the status line never lands in the middle of it.
   */
  #lines(target: NodeJS.WritableStream): NodeJS.WritableStream {
    let pending = '';
    // Written at once, in the caller's turn, so lines from both streams keep their order; a
    // target that pushes back holds the next line until it drains.
    const print = (text: string, done: () => void) => {
      const shown = this.#status !== '';
      if (shown) this.#tty.write(CLEAR_ROW);
      const flowing = target.write(text);
      if (shown) this.#tty.write(this.#status);
      if (flowing) done();
      else target.once('drain', done);
    };
    return new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, _encoding, done) => {
        const text = pending + chunk.toString();
        const end = text.lastIndexOf('\n') + 1;
        pending = text.slice(end);
        if (end === 0) done();
        else print(text.slice(0, end), done);
      },
      final: (done) => {
        if (pending === '') done();
        else print(`${pending}\n`, done);
        pending = '';
      },
    });
  }
}

/** `line` cut to fit in `columns - 1` characters (the last column would wrap on some terminals). */
function cutToWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2) return line;
  const chars = [...line];
  return chars.length < columns ? line : `${chars.slice(0, columns - 2).join('')}…`;
}
