/**
 * Calls back, debounced, when any of a set of files changes. Watches the files' folders, not
 * the files: editors save by writing a temporary file and renaming it over the original, which
 * a watch on the file itself loses (and `fs.watch` on a folder works on Linux, macOS and
 * Windows alike).
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface FileWatcher {
  /** Watches these files from now on (the pipeline may name other files after a reload). */
  setFiles(files: readonly string[]): void;
  close(): void;
}

/** Editors' swap, backup and temporary files (vim, emacs, JetBrains, VS Code's atomic save). */
const EDITOR_TEMP = /(^\.#|^#.*#$|~$|\.swp$|\.swx$|\.tmp$|___jb_\w+___$|^4913$)/;

/**
 * Whether a change `fs.watch` reported for `name` in `dir` is one of `wanted`. Some platforms
 * give no name; then any change in the folder counts.
 */
export function isWatchedChange(wanted: ReadonlySet<string>, dir: string, name: string | null): boolean {
  if (name === null) return true;
  const base = basename(name);
  return !EDITOR_TEMP.test(base) && wanted.has(join(dir, base));
}

export function watchFiles(onChange: () => void, debounceMs: number, onError: (err: Error) => void): FileWatcher {
  const watchers = new Map<string, FSWatcher>();
  let wanted = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const changed = (dir: string, name: string | null) => {
    if (!isWatchedChange(wanted, dir, name)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  };
  return {
    setFiles(files) {
      wanted = new Set(files);
      const dirs = new Set(files.map((f) => dirname(f)));
      for (const [dir, watcher] of watchers) {
        if (!dirs.has(dir)) {
          watcher.close();
          watchers.delete(dir);
        }
      }
      for (const dir of dirs) {
        if (watchers.has(dir)) continue;
        try {
          const watcher = watch(dir, { persistent: false }, (_event, name) => changed(dir, name));
          watcher.on('error', onError);
          watchers.set(dir, watcher);
        } catch (err) {
          onError(err instanceof Error ? err : new Error(String(err)));
        }
      }
    },
    close() {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
