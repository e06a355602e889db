import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary directories made by one test file; call `removeAll` in its `afterAll`. */
export function tempDirs() {
  const made: string[] = [];
  return {
    made: made as readonly string[],
    /**
     * A new directory under the system's temp dir. `traversable`: as root, PostgreSQL runs as
     * the postgres user, which must be able to pass through it.
     */
    async make(prefix: string, options: { traversable?: boolean } = {}): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      if (options.traversable) await chmod(dir, 0o711);
      made.push(dir);
      return dir;
    },
    async removeAll(): Promise<void> {
      for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
    },
  };
}
