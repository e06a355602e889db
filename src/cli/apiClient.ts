/**
 * How `chatflow tap` and `chatflow top` reach a running instance: its URL and token, the HTTP
 * GETs they make, and the plain message for each way that fails.
 */
import { EXIT } from './exitCodes.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
/** Read when `--token` is not given, so the token need not sit in shell history. */
export const TOKEN_ENV = 'CHATFLOW_TOKEN';

export interface ApiTarget {
  /** Without a trailing slash. */
  readonly url: string;
  readonly token: string | undefined;
}

export function apiTarget(values: Record<string, string | boolean | undefined>, env: CommandEnv): ApiTarget {
  const url = (typeof values.url === 'string' ? values.url : DEFAULT_URL).replace(/\/+$/, '');
  const token = typeof values.token === 'string' ? values.token : env[TOKEN_ENV];
  return { url, token: token === '' ? undefined : token };
}

type CommandEnv = Readonly<Record<string, string | undefined>>;

export function authHeaders(target: ApiTarget): Record<string, string> {
  return target.token === undefined ? {} : { authorization: `Bearer ${target.token}` };
}

/** A failure to reach the API, with the exit code it means. */
export class ApiUnreachable extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ApiUnreachable';
  }
}

export function unreachable(target: ApiTarget, cause: unknown): ApiUnreachable {
  const why = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
  return new ApiUnreachable(
    `no chatflow answers at ${target.url} (${why}). Is \`chatflow run\` running with its server on? Give its address with --url (server.listen in pipeline.yaml).`,
    EXIT.unavailable,
  );
}

export function unauthorized(target: ApiTarget): ApiUnreachable {
  return new ApiUnreachable(
    target.token === undefined
      ? `${target.url} needs a token (server.token): pass --token or set ${TOKEN_ENV}.`
      : `${target.url} refused the token: check --token (or ${TOKEN_ENV}) against server.token.`,
    EXIT.noPermission,
  );
}

/** GETs `path` as JSON; throws {@link ApiUnreachable} when the instance cannot answer it. */
export async function getJson<T>(target: ApiTarget, path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, { headers: authHeaders(target) });
  } catch (err) {
    throw unreachable(target, err);
  }
  if (response.status === 401) throw unauthorized(target);
  if (!response.ok) {
    throw new ApiUnreachable(`${target.url}${path} answered ${response.status}.`, EXIT.unavailable);
  }
  return (await response.json()) as T;
}
