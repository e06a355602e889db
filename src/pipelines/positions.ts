/**
 * Where a path of pipeline.yaml (`['operators', 'cmds', 'commands', 'cv']`) is in the file,
 * so every issue can say file:line:col.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Position } from '../core/pipelineGraph.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** `operators.cmds.commands.cv`, with sequence indexes as `[0]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/**
 * Finds the YAML node of a path in one parsed document. A mapping's keys are indexed the first
 * time a path goes through it, so placing every issue of a file with thousands of nodes costs
 * a lookup per path segment, not a scan of the mapping.
 */
export class Positions {
  private readonly keysOf = new WeakMap<YAMLMap, Map<string, Pair>>();

  /**
   * @param aliasTargets The anchored node each alias stands for (the loader resolves them all
   *   in one pass; `Alias.resolve` would walk the whole document for each).
   */
  constructor(
    readonly doc: Document,
    readonly lineCounter: LineCounter,
    private readonly aliasTargets: ReadonlyMap<Alias, Node>,
  ) {}

  /**
   * The YAML node at `path`: its value, or with `key: true` the key naming its last segment (a
   * sequence item has no key, so the item itself). When the path leaves the document (a
   * missing key), the deepest node on the way, preferring the key that named it.
   */
  nodeAt(path: Path, options: { key?: boolean } = {}): Node | undefined {
    let node: unknown = this.doc.contents;
    let named: Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as PathSegment;
      const last = i === path.length - 1;
      // An alias stands for its anchor's node; positions then point at the anchored text.
      if (isAlias(node)) node = this.aliasTargets.get(node);
      if (isMap(node)) {
        const pair = this.pairOf(node, String(segment));
        if (!pair) return named ?? (node as Node);
        const key = pair.key as Node;
        if (last && options.key) return key;
        named = key;
        // `key:` with nothing after it has no value (or an empty one); the key is the best place.
        if (pair.value == null || isEmptyScalar(pair.value)) return key;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = typeof segment === 'number' ? node.items[segment] : undefined;
        if (item == null) return named ?? (node as Node);
        named = undefined;
        node = item;
      } else {
        return named ?? (node as Node | undefined);
      }
    }
    return (node as Node | undefined) ?? named;
  }

  /** The 1-based line and column of the node at `path` (see {@link nodeAt}); 1:1 when unknown. */
  positionAt(path: Path, options: { key?: boolean } = {}): Position {
    const offset = this.nodeAt(path, options)?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : positionOfOffset(this.lineCounter, offset);
  }

  /** The first pair of `map` whose scalar key reads `key`. */
  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let keys = this.keysOf.get(map);
    if (!keys) {
      keys = new Map();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (!keys.has(name)) keys.set(name, pair);
      }
      this.keysOf.set(map, keys);
    }
    return keys.get(key);
  }
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && node.range !== undefined && node.range?.[0] === node.range?.[1];
}

/** The 1-based line and column of a character offset. */
export function positionOfOffset(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return line === 0 ? { line: 1, col: offset + 1 } : { line, col };
}

/**
 * The path of the innermost key or value whose text holds `offset`, for errors YAML reports
 * only by offset; empty when it is outside every node.
 */
export function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const within = (node: unknown): boolean => {
    const range = (node as Node | null)?.range;
    return range !== undefined && range !== null && offset >= range[0] && offset < range[2];
  };
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => within(p.key) || within(p.value));
      if (!pair || !isScalar(pair.key)) return path;
      path.push(String(pair.key.value));
      if (!within(pair.value)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex(within);
      if (index === -1) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}
