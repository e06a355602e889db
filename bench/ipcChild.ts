/**
 * A bench's helper process, spoken to over IPC (metrics-cost's two sides, full-graph's paced
 * COPY): its messages taken in order, and its exit (or failure to start) rejecting every wait,
 * so a helper that dies fails the bench's step instead of hanging it.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export class IpcChild<To, From> {
  readonly #child: ChildProcess;
  readonly #received: From[] = [];
  readonly #waiting: ((message: From) => void)[] = [];
  /** Rejects once the process has exited or could not start. */
  readonly #gone: Promise<never>;
  #exited = false;

  /** Starts `command` with an IPC channel; `name` says whose process it is in errors. */
  constructor(command: string, args: readonly string[], name: string) {
    this.#child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (message: From) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(message);
      else this.#received.push(message);
    });
    this.#gone = new Promise<never>((_, reject) => {
      this.#child.once('error', (err) => {
        this.#exited = true;
        reject(new Error(`${name}: could not start (${command})`, { cause: err }));
      });
      this.#child.once('exit', (code, signal) => {
        this.#exited = true;
        reject(new Error(`${name}: exited (${signal ?? code})`));
      });
    });
    this.#gone.catch(() => {}); // Raced by every wait; unobserved when the process ends on `stop`.
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** Whether the process still runs. */
  get alive(): boolean {
    return !this.#exited;
  }

  /** Its next message; rejects once it has exited. */
  next(): Promise<From> {
    const message = this.#received.shift();
    if (message !== undefined) return Promise.resolve(message);
    return Promise.race([new Promise<From>((resolve) => this.#waiting.push(resolve)), this.#gone]);
  }

  /** Sends `message`; to a process that has gone, nothing (its exit rejects the next wait). */
  send(message: To): void {
    if (this.#exited || !this.#child.connected) return;
    this.#child.send(message as object, (err) => void err);
  }

  /** Sends `message` (asking it to stop) and waits for the exit; kills it if it has not exited within `ms`. */
  async stop(message: To, ms = 10_000): Promise<void> {
    if (this.#exited) return;
    this.send(message);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), ms);
    await this.#gone.catch(() => {});
    clearTimeout(timer);
  }
}
