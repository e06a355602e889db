import { pino, type Logger, type LoggerOptions } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** pino level; defaults to `CHATFLOW_LOG_LEVEL` or `info`. */
  readonly level?: string;
  /** Human-readable output (pino-pretty) instead of JSON lines. */
  readonly pretty?: boolean;
  /** Where lines go; defaults to stderr (stdout stays free for the console sink). */
  readonly destination?: NodeJS.WritableStream;
}

/** Keys whose values must never reach a log: tokens and URLs that may hold passwords. */
export const REDACT_PATHS = [
  '*.token',
  '*.oauth_token',
  '*.password',
  '*.url',
  'token',
  'password',
  'url',
];

/** The one root logger of a process; components get `root.child({ component, kind, type })`. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.CHATFLOW_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (settings.pretty) {
    // Formatted here, synchronously, and written whole to the destination (the CLI's terminal
    // writer, which keeps log lines off the status line's row); pino-pretty as a transport
    // would write to fd 2 from a worker thread, past any writer, and after the exit summary.
    const format = prettyFactory({ ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', colorize: isColorSupported });
    const out = settings.destination ?? process.stderr;
    return pino(options, { write: (line: string) => void out.write(format(line)) });
  }
  // Synchronous: chatflow logs state changes, never per message, and a log line must not
  // arrive after the exit summary it belongs before.
  return pino(options, settings.destination ?? pino.destination({ fd: 2, sync: true }));
}

/** A logger that writes nothing, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
