/** What a command may touch of its process: the streams, the environment and the shutdown signal. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted by the first SIGINT/SIGTERM, with the signal's name as reason (bin/chatflow.js
   * traps them before anything loads; a second one exits 130 at once). Absent in tests.
   */
  readonly shutdown?: AbortSignal;
  /**
   * Subscribes to SIGHUP, which asks a running `chatflow run` to reload its pipeline file
   * (bin/chatflow.js; absent on Windows, which has no SIGHUP, and in tests). Returns the
   * unsubscribe; while nobody listens, SIGHUP stops the command like SIGTERM.
   */
  readonly onReloadSignal?: (listener: () => void) => () => void;
}
