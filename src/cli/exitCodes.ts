/** Exit codes of the `chatflow` command (sysexits where one fits). */
export const EXIT = {
  ok: 0,
  /** `validate --strict` found warnings. */
  warnings: 1,
  /** Bad command-line usage. */
  usage: 64,
  /** `reingest`: some lines were not events and were skipped (the rest was stored). */
  dataErrors: 65,
  /** `tap`/`top`: no chatflow instance answers at the URL. */
  unavailable: 69,
  /**
   * `run --strict`: the run lost events (unintentional drops: a full buffer, retries exhausted,
   * the flush deadline at stop, …); the last line says which. EX_IOERR: output it was to write
   * was not written.
   */
  lost: 74,
  /** Something unexpected broke inside chatflow. */
  internal: 70,
  /** `tap`/`top`: the instance refused the token. */
  noPermission: 77,
  /** The pipeline file is invalid or unreadable. */
  config: 78,
  /** A second SIGINT/SIGTERM: exited at once, without flushing. */
  interrupted: 130,
} as const;
