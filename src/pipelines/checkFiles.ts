/**
 * Checks every file a node's config names (each field declared with `filePath()`) against the
 * disk, relative to the pipeline file: a file read at start must be there and readable, a file
 * written must be creatable. `run` would otherwise refuse it only once servers had started.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { type FileAccess, fileAccessOf } from '../core/filePath.js';
import type { IssueList } from './issues.js';
import type { Path, PathSegment } from './positions.js';
import { childOf, unwrap } from './zodIssues.js';

type Schema = z.core.$ZodType;

/** One file path written in a config. */
export interface NamedFile {
  /** Path of the field below the node. */
  readonly path: Path;
  readonly file: string;
  readonly access: FileAccess;
}

/**
 * Checks the files a node names.
 *
 * @param path Path of the node in the pipeline file (`['operators', 'mod']`).
 * @param schema The node's schema; `node` parsed through it.
 * @param node The node as written (after `${…}`).
 * @param baseDir The pipeline file's folder, which relative paths start from.
 */
export function checkFiles(list: IssueList, path: Path, schema: Schema, node: unknown, baseDir: string): void {
  for (const named of namedFiles(schema, node)) {
    const problem = fileProblem(named.file, resolve(baseDir, named.file), named.access);
    if (problem !== undefined) list.error('bad_file', [...path, ...named.path], problem);
  }
}

/** Every string in `value` whose schema is a `filePath()`, in document order. */
export function namedFiles(schema: Schema, value: unknown): NamedFile[] {
  const found = new Map<string, NamedFile>();
  const walk = (schemas: readonly Schema[], at: PathSegment[], v: unknown): void => {
    for (const s of schemas) {
      const access = fileAccessOf(s);
      if (access !== undefined && typeof v === 'string') {
        found.set(at.join('\0'), { path: at, file: v, access });
        return;
      }
    }
    if (v === null || typeof v !== 'object') return;
    const entries: [PathSegment, unknown][] = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.entries(v);
    for (const [key, child] of entries) {
      const next = schemas.flatMap((s) => childOf(s, key)).flatMap(unwrap);
      if (next.length > 0) walk(next, [...at, key], child);
    }
  };
  walk(unwrap(schema), [], value);
  return [...found.values()];
}

/** What is wrong with `written` (at `file`) for `access`, or undefined. */
function fileProblem(written: string, file: string, access: FileAccess): string | undefined {
  const stat = statOrUndefined(file);
  if (access === 'read') {
    if (!stat) return `File "${written}" not found (looked for ${file}, relative to the pipeline file)`;
    if (stat.isDirectory()) return `"${written}" is a folder (${file}); name a file`;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      return `File "${written}" cannot be read (${file})`;
    }
    return undefined;
  }
  if (stat?.isDirectory()) return `"${written}" is a folder (${file}); name a file to write`;
  if (stat) return undefined;
  // Missing folders are created at start; a file where one must go can't be.
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const up = statOrUndefined(dir);
    if (up) return up.isDirectory() ? undefined : `"${written}" cannot be created: ${dir} is a file, not a folder`;
    if (dirname(dir) === dir) return undefined;
  }
}

function statOrUndefined(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
