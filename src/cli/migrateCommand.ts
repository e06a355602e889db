/**
 * `chatflow migrate [file]`: applies the pending migrations of `migrations/` to the pipeline's
 * PostgreSQL (`resources.postgres.url`; `embedded` starts the private server for the duration),
 * or to `--url`. `--only 002_x.sql` applies one file. A second run applies nothing.
 */
import { dirname, resolve } from 'node:path';
import type { CommandIo } from './commandIo.js';
import { toError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { migrate } from '../resources/migrate.js';
import { openStorage } from '../resources/storage.js';
import { EXIT } from './exitCodes.js';
import { loadForCli } from './loadForCli.js';

export async function migrateCommand(
  file: string,
  options: { url: string | undefined; only: string | undefined },
  io: CommandIo,
): Promise<number> {
  const logger = createLogger({ pretty: false });
  let url = options.url;
  let close = async (): Promise<void> => {};
  if (url === undefined) {
    const graph = await loadForCli(file, io);
    if (!graph) return EXIT.config;
    // openStorage migrates as it connects; the explicit run below then reports what is done.
    const storage = await openStorage(graph, { baseDir: dirname(resolve(file)), logger, needs: { redis: false, postgres: true } });
    close = () => storage.close();
    url = storage.resources.postgres?.url;
    if (url === undefined) {
      await close();
      io.stderr.write('chatflow migrate: PostgreSQL is not available (see the warning above).\n');
      return EXIT.internal;
    }
  }
  try {
    const result = await migrate(url, options.only === undefined ? {} : { only: options.only });
    io.stdout.write(
      `Migrations: ${result.applied.length} applied${result.applied.length > 0 ? ` (${result.applied.join(', ')})` : ''}, ${result.skipped.length} already applied.\n`,
    );
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`chatflow migrate: ${toError(err).message}\n`);
    return EXIT.internal;
  } finally {
    await close();
    logger.flush();
  }
}
