/**
 * One pass over a parsed pipeline document, in document order: resolves every alias to its
 * anchor and finds keys written twice in one mapping. Linear in the number of nodes, where
 * yaml's own duplicate-key check (`uniqueKeys`) compares each key with every earlier one and
 * `Alias.resolve` walks the whole document for each alias.
 */
import { type Alias, type Document, isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { PathSegment } from './positions.js';

/** A node met on the way, with how it was reached (paths are built only when asked for). */
export interface Visit {
  readonly node: unknown;
  readonly parent: Visit | undefined;
  /** The key or index that leads from the parent's path to this one; none for a key itself. */
  readonly segment: PathSegment | undefined;
}

export interface DocumentScan {
  /** The anchored node each known alias stands for. */
  readonly aliasTargets: Map<Alias, Node>;
  /** Aliases with no anchor of their name before them. */
  readonly unknownAliases: { readonly alias: Alias; readonly path: PathSegment[] }[];
  /** A key written again in the same mapping: where, and the first one. */
  readonly duplicates: { readonly path: PathSegment[]; readonly key: string; readonly at: Node; readonly first: Node }[];
}

/** The path of a visited node, outermost key first. */
export function pathOf(visit: Visit): PathSegment[] {
  const path: PathSegment[] = [];
  for (let at: Visit | undefined = visit; at; at = at.parent) {
    if (at.segment !== undefined) path.push(at.segment);
  }
  return path.reverse();
}

/**
 * Every node of the document, keys included, in the order yaml resolves aliases in (a node,
 * then its items; a key, then its value). Iterative, so nesting depth costs no stack.
 */
export function* visitNodes(doc: Document): Generator<Visit> {
  const stack: Visit[] = [{ node: doc.contents, parent: undefined, segment: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    yield visit;
    const { node } = visit;
    const children: Visit[] = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        const name = keyName(pair.key);
        if (pair.key != null) children.push({ node: pair.key, parent: visit, segment: undefined });
        if (pair.value != null) children.push({ node: pair.value, parent: visit, segment: name });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        children.push({ node: item, parent: visit, segment: index });
      });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Visit);
  }
}

export function scanDocument(doc: Document): DocumentScan {
  const anchors = new Map<string, Node>();
  const scan: DocumentScan = { aliasTargets: new Map(), unknownAliases: [], duplicates: [] };
  for (const visit of visitNodes(doc)) {
    const { node } = visit;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target) scan.aliasTargets.set(node, target);
      else scan.unknownAliases.push({ alias: node, path: pathOf(visit) });
      continue;
    }
    const anchor = (node as Node | null)?.anchor;
    if (anchor) anchors.set(anchor, node as Node);
    if (isMap(node)) findDuplicates(scan, visit, node.items);
  }
  return scan;
}

function findDuplicates(scan: DocumentScan, visit: Visit, pairs: readonly { key: unknown }[]): void {
  const first = new Map<string, Node>();
  for (const pair of pairs) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const earlier = first.get(key);
    if (earlier) scan.duplicates.push({ path: [...pathOf(visit), key], key, at: pair.key, first: earlier });
    else first.set(key, pair.key);
  }
}

function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}
