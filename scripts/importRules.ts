/**
 * The import rules of src/ (docs/architecture.md), checked without TypeScript: every `import … from`,
 * `export … from`, `import '…'` and `import('…')` (type-only ones too) of every .ts file, with
 * relative specifiers resolved to files. `scripts/importRules.test.ts` runs it in `npm test`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { blankComments } from './sourceText.js';

/** Kinds whose folders `src/<kind>/<name>/` are components (`shared/` is not one). */
const COMPONENT_KINDS = ['sources', 'operators', 'sinks'] as const;

const SPECIFIER = /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** An import of one src file by another, both as paths relative to the root, with `/`. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

export interface ImportReport {
  /** Each cycle as its files in order, the first repeated at the end. */
  readonly cycles: readonly string[][];
  /** `from -> to` where `to` is inside a component folder (or a kind's shared/) `from` may not reach into. */
  readonly deepImports: readonly string[];
  /** `from -> to` where code (not a test) imports a higher layer, or one component kind another. */
  readonly layerViolations: readonly string[];
}

/** The specifiers a file imports, in order (comments dropped). */
export function specifiers(source: string): string[] {
  const code = blankComments(source);
  const out: string[] = [];
  for (const m of code.matchAll(SPECIFIER)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

/** Every .ts file under `dir`, relative to `root`. */
function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(root, rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** `./x.js`, `./x` or `./dir` from `from` to the .ts file it means, or undefined (a package or not found). */
function resolve(root: string, from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.join(path.posix.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.posix.join(base, 'index.ts')];
  for (const c of candidates) {
    const abs = path.join(root, c);
    if (existsSync(abs) && statSync(abs).isFile()) return c;
  }
  return undefined;
}

/** Every import edge between .ts files under `root/src`. */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of tsFiles(root, 'src')) {
    const seen = new Set<string>();
    for (const spec of specifiers(readFileSync(path.join(root, from), 'utf8'))) {
      const to = resolve(root, from, spec);
      if (to && !seen.has(to)) {
        seen.add(to);
        edges.push({ from, to });
      }
    }
  }
  return edges;
}

/** The cycles of the graph, one per strongly connected component (Tarjan), each a path back to its start. */
function cycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc = new Set<string>();
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      scc.add(w);
    } while (w !== v);
    if (scc.size > 1 || (next.get(v) ?? []).includes(v)) out.push(cycleThrough(v, scc, next));
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** A shortest path from `start` back to itself inside `scc` (breadth first). */
function cycleThrough(start: string, scc: ReadonlySet<string>, next: ReadonlyMap<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of next.get(v) ?? []) {
      if (!scc.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u) as string) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** `src/<kind>/<name>/` when `file` is inside a component folder or a kind's shared/, else undefined. */
function folderOf(file: string): { kind: string; folder: string; shared: boolean } | undefined {
  const [src, kind, name, ...rest] = file.split('/');
  if (src !== 'src' || !(COMPONENT_KINDS as readonly string[]).includes(kind as string) || rest.length === 0) {
    return undefined;
  }
  return { kind: kind as string, folder: `src/${kind}/${name}/`, shared: name === 'shared' };
}

function deepImport({ from, to }: ImportEdge): boolean {
  const target = folderOf(to);
  if (!target || from.startsWith(target.folder)) return false;
  if (target.shared) return !from.startsWith(`src/${target.kind}/`);
  return to !== `${target.folder}index.ts`;
}

/**
 * The layers, lowest first (docs/architecture.md): a file imports only its own layer or lower.
 * `src/components.ts` lists every component for the registry, so it sits above them.
 */
const RANK: Readonly<Record<string, number>> = {
  core: 0,
  server: 1,
  resources: 1,
  sources: 2,
  operators: 2,
  sinks: 2,
  'components.ts': 3,
  pipelines: 4,
  testing: 5,
  cli: 6,
  'cli.ts': 6,
};

/** Tests are exempt: a core test may run its code in a pipeline, a sink test may feed it from an operator. */
function layerViolation({ from, to }: ImportEdge): boolean {
  if (from.endsWith('.test.ts')) return false;
  const layer = (file: string): string => file.split('/')[1] ?? '';
  const [a, b] = [layer(from), layer(to)];
  const [ra, rb] = [RANK[a], RANK[b]];
  if (ra !== undefined && rb !== undefined && rb > ra) return true;
  // Within the components' layer, each kind keeps to itself (shared things go to core).
  if (ra === 2 && rb === 2) return a !== b;
  return false;
}

/** Checks every import under `root/src` against the rules. */
export function checkImports(root: string): ImportReport {
  const edges = importEdges(root);
  const pair = (e: ImportEdge): string => `${e.from} -> ${e.to}`;
  return {
    cycles: cycles(edges),
    deepImports: edges.filter(deepImport).map(pair),
    layerViolations: edges.filter(layerViolation).map(pair),
  };
}
