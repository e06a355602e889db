/** What `chatflow run` tells of its reloads (`GET /api/reload`, the log, the terminal). */
import type { ConfigIssue } from '../core/errors.js';
import type { ReloadReport } from './reloadReport.js';

/** What asked for a reload. */
export type ReloadTrigger = 'file' | 'signal' | 'api';

export type ReloadOutcome =
  | { readonly status: 'ok'; readonly trigger: ReloadTrigger; readonly report: ReloadReport }
  | { readonly status: 'invalid'; readonly trigger: ReloadTrigger; readonly issues: readonly ConfigIssue[] };

/** The last reload's result and the counts since start, for `GET /api/reload` (a dashboard banner). */
export interface ReloadState {
  /** Undefined until the first reload. */
  readonly last: (ReloadOutcome & { readonly at: number }) | undefined;
  /** Whether the file on disk was valid the last time it was read (true at start). */
  readonly configValid: boolean;
  readonly reloads: number;
  readonly failures: number;
}
