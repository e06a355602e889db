/**
 * Collects the {@link ConfigIssue}s of one pipeline file, placing each at the YAML node of its
 * path so every check only has to say what is wrong and where in the tree.
 */
import type { ConfigIssue } from '../core/errors.js';
import type { Position } from '../core/pipelineGraph.js';
import { formatPath, type Path, type Positions } from './positions.js';

/** A parsed file that issues can point into. */
export interface Located {
  readonly file: string;
  readonly positions: Positions;
}

export interface IssueOptions {
  /** Point at the key naming the path's last segment instead of its value. */
  readonly key?: boolean;
  readonly suggestion?: string | undefined;
  /** Report at this position instead of the path's node. */
  readonly at?: Position;
}

export class IssueList {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly source: Located) {}

  error(rule: string, path: Path, message: string, options: IssueOptions = {}): void {
    this.add('error', rule, path, message, options);
  }

  warn(rule: string, path: Path, message: string, options: IssueOptions = {}): void {
    this.add('warning', rule, path, message, options);
  }

  /** Adds issues found elsewhere (the loader's). */
  addAll(issues: readonly ConfigIssue[]): void {
    this.issues.push(...issues);
  }

  hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }

  /** The issues in file order (line, then column); issues without a place come first. */
  sorted(): ConfigIssue[] {
    return [...this.issues].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  private add(
    severity: ConfigIssue['severity'],
    rule: string,
    path: Path,
    message: string,
    options: IssueOptions,
  ): void {
    const { positions, file } = this.source;
    const { line, col } = options.at ?? positions.positionAt(path, { key: options.key ?? false });
    const issue: ConfigIssue = { severity, rule, message, path: formatPath(path), file, line, col };
    this.issues.push(options.suggestion === undefined ? issue : { ...issue, suggestion: options.suggestion });
  }
}
