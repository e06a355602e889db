/**
 * The dashboard's view of live reloads (`GET`/`POST /api/reload`, docs/api.md): a banner while
 * the pipeline file on disk is invalid, listing each issue at its file:line:col, gone once a
 * valid file applied; a "Reload" button that shows the answer; and, when the count of applied
 * reloads grows, the nodes the reload added or changed, for the graph to redraw and highlight.
 */
import type { ConfigIssue } from '../src/core/errors.js';
import type { ReloadOutcome, ReloadState } from '../src/pipelines/reloadState.js';
import { type Api, ApiError } from './dashboardApi.js';
import { byId, element } from './dashboardPanels.js';

/** One issue as a line of text (never HTML): `file:line:col: message (did you mean …?)`. */
export function issueLine(issue: ConfigIssue): string {
  const at = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const hint = issue.suggestion ? ` (did you mean "${issue.suggestion}"?)` : '';
  return `${at}: ${issue.message}${hint}`;
}

/** What an answer of `POST /api/reload` says, in one line. */
export function outcomeLine(outcome: ReloadOutcome): string {
  if (outcome.status === 'invalid') {
    const n = outcome.issues.length;
    return `Not reloaded: the file has ${n} problem${n === 1 ? '' : 's'}; the running pipeline is unchanged.`;
  }
  const r = outcome.report;
  if (!r.applied) return 'Not reloaded: the pipeline is stopping.';
  return `Reloaded: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.unchanged.length} unchanged.`;
}

export class ReloadPanel {
  readonly #api: Api;
  /** Called with the nodes an applied reload added or changed (after the first poll). */
  readonly #applied: (nodes: readonly string[]) => void;
  #reloads: number | undefined;

  constructor(api: Api, applied: (nodes: readonly string[]) => void) {
    this.#api = api;
    this.#applied = applied;
    byId('reload').addEventListener('click', () => void this.#reload());
  }

  /** Reads `GET /api/reload` and updates the banner; 404 (no reloader) shows nothing. */
  async poll(): Promise<void> {
    let state: ReloadState;
    try {
      state = await this.#api.get<ReloadState>('/api/reload');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) byId('reload').hidden = true;
      return;
    }
    this.#show(state);
  }

  #show(state: ReloadState): void {
    const banner = byId('config-banner');
    const issues = state.last?.status === 'invalid' ? state.last.issues : [];
    banner.hidden = state.configValid;
    document.documentElement.dataset.configValid = String(state.configValid);
    byId('config-issues').replaceChildren(...issues.map((issue) => element('li', '', issueLine(issue))));
    const previous = this.#reloads;
    this.#reloads = state.reloads;
    if (previous !== undefined && state.reloads > previous && state.last?.status === 'ok') {
      const { added, changed } = state.last.report;
      this.#applied([...added, ...changed]);
    }
  }

  async #reload(): Promise<void> {
    const result = byId('reload-result');
    result.textContent = 'Reloading…';
    result.classList.remove('error');
    try {
      // 422 (an invalid file) carries the outcome too: read it either way.
      const outcome = await this.#api.postAny<ReloadOutcome>('/api/reload');
      result.textContent = outcomeLine(outcome);
      result.classList.toggle('error', outcome.status !== 'ok');
      if (outcome.status === 'invalid') {
        const list = byId('reload-issues');
        list.replaceChildren(...outcome.issues.map((issue) => element('li', '', issueLine(issue))));
      } else byId('reload-issues').replaceChildren();
    } catch (err) {
      result.textContent = `Reload failed: ${(err as Error).message}`;
      result.classList.add('error');
    }
    await this.poll();
  }
}
