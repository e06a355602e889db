/**
 * The committed package-lock.json is what `npm install` on a fresh clone would write itself, so
 * the install leaves the tree clean and says nothing the project controls. Checked offline, from
 * the two committed files alone: npm 11 rewrites a lock that lacks an entry for any dependency
 * (other platforms' optional binaries included), warns EBADENGINE for a package whose engines
 * exclude the Node the README names, and warns about install scripts allowScripts does not cover.
 */
import { readFileSync } from 'node:fs';
import { minVersion, satisfies } from 'semver';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly engines?: { node?: string };
  readonly hasInstallScript?: boolean;
}

interface PackageJson {
  readonly engines: { node: string };
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly allowScripts?: Record<string, boolean>;
  readonly overrides?: Record<string, string | Record<string, string>>;
}

const readJson = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8')) as T;
const pkg = readJson<PackageJson>('package.json');
const lock = readJson<{ lockfileVersion: number; packages: Record<string, LockEntry> }>('package-lock.json');
const entries = Object.entries(lock.packages).filter(([path]) => path !== '');

/** Where Node would find `name` from the package at `from`: its own node_modules, then each parent's. */
function resolveInLock(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

/** The range package.json's `overrides` puts in place of `parent`'s own for `name`, if any. */
function overridden(parent: string, name: string): string | undefined {
  const scoped = pkg.overrides?.[parent];
  if (typeof scoped === 'object' && typeof scoped[name] === 'string') return scoped[name];
  const global = pkg.overrides?.[name];
  return typeof global === 'string' ? global : undefined;
}

/** The package name of a lock path (`node_modules/a/node_modules/@s/b` -> `@s/b`). */
const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('package-lock.json', () => {
  it('is a version 3 lock whose root matches package.json', () => {
    expect(lock.lockfileVersion).toBe(3);
    const root = lock.packages[''] as LockEntry;
    expect(root.dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(root.devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
    expect(root.optionalDependencies ?? {}).toEqual(pkg.optionalDependencies ?? {});
  });

  it('has an entry for every dependency of every package, every platform included', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const [path, entry] of [['', lock.packages[''] as LockEntry] as const, ...entries]) {
      const required = {
        ...entry.dependencies,
        ...entry.optionalDependencies,
        ...(path === '' ? entry.devDependencies : {}),
      };
      const optionalPeers = entry.peerDependenciesMeta ?? {};
      for (const [name, range] of Object.entries(entry.peerDependencies ?? {})) {
        if (!optionalPeers[name]?.optional) required[name] = range;
      }
      for (const [name, declared] of Object.entries(required)) {
        checked++;
        const range = (path === '' ? undefined : overridden(nameOf(path), name)) ?? declared;
        const found = resolveInLock(path, name);
        const version = found === undefined ? undefined : lock.packages[found]?.version;
        if (version === undefined || !satisfies(version, range, { includePrerelease: true })) {
          missing.push(`${path || '(root)'} -> ${name}@${range}${version ? ` (locked ${version})` : ''}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it("admits the Node version package.json names for every package (no EBADENGINE)", () => {
    const minimum = minVersion(pkg.engines.node)?.version as string;
    expect(minimum).toMatch(/^\d+\.\d+\.\d+$/);
    const refused = entries
      .filter(([, e]) => e.engines?.node !== undefined && !satisfies(minimum, e.engines.node))
      .map(([path, e]) => `${nameOf(path)}@${e.version} needs node ${e.engines?.node}`);
    expect(refused).toEqual([]);
  });

  it('has an allowScripts decision for every package with an install script', () => {
    const allow = pkg.allowScripts ?? {};
    const withScripts = entries.filter(([, e]) => e.hasInstallScript);
    expect(withScripts.length).toBeGreaterThan(0);
    const undecided = withScripts
      .map(([path, e]) => ({ name: nameOf(path), version: e.version }))
      .filter(({ name, version }) => allow[name] === undefined && allow[`${name}@${version}`] === undefined)
      .map(({ name, version }) => `${name}@${version}`);
    expect(undecided).toEqual([]);
  });
});
