/**
 * chatflow's error catalog: one base class with a stable `code`, the `stage` it happened in
 * and a `cause`, plus the few subclasses the runtime treats differently.
 */

export type ErrorStage = 'config' | 'receiving' | 'processing' | 'sending';

/** Every stable error code chatflow raises. */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: 'The pipeline file is invalid.',
  ERR_CONFIG_IO: 'The pipeline file could not be read.',
  ERR_NOT_CONNECTED: 'A sink is not connected; the write will be retried.',
  ERR_SOURCE_DISCONNECTED: 'A source lost its connection.',
  ERR_SOURCE_FATAL: 'A source failed in a way retrying cannot fix.',
  ERR_SOURCE_QUOTA: 'A source spent its platform API quota; it waits for the quota to reset.',
  ERR_SINK_WRITE: 'A sink write failed and cannot be retried.',
  ERR_SINK_TIMEOUT: 'A sink did not flush before its deadline.',
  ERR_OPERATOR: 'An operator failed while processing an event.',
  ERR_RESOURCE: 'A shared resource (Redis, Postgres, the HTTP server) is not available.',
  ERR_TWITCH_AUTH: 'A Twitch token is missing, lacks a scope, or was revoked or expired; `chatflow auth twitch` fixes it.',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly stage: ErrorStage;
  /** The node the error belongs to, when there is one. */
  readonly node: string | undefined;

  constructor(
    code: ErrorCode,
    stage: ErrorStage,
    message: string,
    options?: ErrorOptions & { node?: string },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.stage = stage;
    this.node = options?.node;
  }
}

/** One problem found in a pipeline file. */
export interface ConfigIssue {
  readonly severity: 'error' | 'warning';
  /** A short stable name for the kind of problem (`unknown_key`, `cycle`, …). */
  readonly rule: string;
  readonly message: string;
  /** Dotted path in the file, e.g. `operators.cmds.commands.cv`. */
  readonly path: string;
  readonly file: string;
  /** 1-based; 0 when the problem has no place in the file. */
  readonly line: number;
  readonly col: number;
  readonly suggestion?: string;
}

/** Formats one issue as `file:line:col: error: message (at path) — did you mean "x"?`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const at = issue.path ? ` (at ${issue.path})` : '';
  const hint = issue.suggestion ? ` Did you mean "${issue.suggestion}"?` : '';
  return `${where}: ${issue.severity}: ${issue.message}${at}${hint}`;
}

/** Every error in a pipeline file, collected, not just the first. */
export class ConfigError extends PipelineError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(
      'ERR_CONFIG_INVALID',
      'config',
      `${errors.length} error(s) in pipeline:\n${errors.map(formatIssue).join('\n')}`,
      options,
    );
    this.issues = issues;
  }
}

/** A sink lost its connection: the driver reconnects and retries the batch. */
export class NotConnectedError extends PipelineError {
  constructor(node: string, options?: ErrorOptions) {
    super('ERR_NOT_CONNECTED', 'sending', `Sink "${node}" is not connected.`, { ...options, node });
  }
}

/** A source's connection ended unexpectedly: the runtime restarts it with backoff. */
export class SourceDisconnectedError extends PipelineError {
  constructor(node: string, options?: ErrorOptions) {
    super('ERR_SOURCE_DISCONNECTED', 'receiving', `Source "${node}" disconnected.`, {
      ...options,
      node,
    });
  }
}

/** A source failed for a reason retrying cannot fix (bad credentials, unknown channel). */
export class SourceFatalError extends PipelineError {
  constructor(node: string, message: string, options?: ErrorOptions) {
    super('ERR_SOURCE_FATAL', 'receiving', message, { ...options, node });
  }
}

/**
 * A Twitch account cannot be used: never signed in, a scope missing, or its token revoked or
 * expired and not refreshable. Only `chatflow auth twitch` fixes it, so it is not retried.
 * The message never holds a token.
 */
export class TwitchAuthError extends PipelineError {
  constructor(
    readonly account: 'broadcaster' | 'bot',
    readonly reason: 'missing' | 'revoked' | 'scope' | 'client',
    message: string,
    options?: ErrorOptions,
  ) {
    super('ERR_TWITCH_AUTH', 'receiving', message, options);
  }
}

/** A sink write failed in a way that retrying cannot fix: the batch is dropped and counted. */
export class SinkWriteError extends PipelineError {
  constructor(node: string, message: string, options?: ErrorOptions) {
    super('ERR_SINK_WRITE', 'sending', message, { ...options, node });
  }
}

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
