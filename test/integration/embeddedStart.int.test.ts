/**
 * A failed start of the embedded PostgreSQL leaves no server behind. `pg_ctl start -w -t N`
 * exits non-zero when it stops waiting, while the server it launched may still come up; a
 * wrapper `pg_ctl` that runs the real start and then reports that failure makes the case
 * certain. Real PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary, startEmbeddedPostgres } from '../../src/resources/embedded.js';
import { tempDirs } from '../support/tempDirs.js';

const temp = tempDirs();
const realPgCtl = findBinary('pg_ctl');
const asRoot = process.getuid?.() === 0;

/** Runs the real `pg_ctl` on `data` (as the postgres user when root): its exit status. */
function pgCtl(data: string, ...args: string[]): number | null {
  const argv = ['-D', data, ...args];
  const run = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', realPgCtl as string, ...argv]) : spawnSync(realPgCtl as string, argv);
  return run.status;
}

const started: string[] = [];
afterAll(async () => {
  for (const data of started) if (existsSync(join(data, 'postmaster.pid'))) pgCtl(data, '-m', 'immediate', '-w', 'stop');
  await temp.removeAll();
});

describe('embedded PostgreSQL start', () => {
  it('stops the server pg_ctl launched when pg_ctl reports the start failed', async () => {
    if (!realPgCtl || !findBinary('initdb')) throw new Error('pg_ctl and initdb are needed: apt-get install postgresql-15');
    const bin = await temp.make('chatflow-pgctl-bin-', { traversable: true });
    const wrapper = join(bin, 'pg_ctl');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase " $* " in *" start "*) '${realPgCtl}' "$@"; echo 'pg_ctl: server did not start in time'; exit 1;; esac\nexec '${realPgCtl}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const dir = await temp.make('chatflow-pg-start-', { traversable: true });
    const data = join(dir, 'pg', 'data');
    started.push(data);

    await expect(
      startEmbeddedPostgres(join(dir, 'pg'), { findBinary: (name) => (name === 'pg_ctl' ? wrapper : findBinary(name)) }),
    ).rejects.toThrow(/PostgreSQL did not start: .*did not start in time/s);
    // The wrapper's real start did bring a server up; chatflow must have stopped it.
    expect(existsSync(join(data, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(data, 'postmaster.pid'))).toBe(false);
    expect(pgCtl(data, 'status')).not.toBe(0);
  });
});
