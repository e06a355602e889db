/**
 * What a live reload changes: every node of the running graph and the next one classified by id
 * and resolved config, and the settings that cannot apply without a restart.
 */
import type { GraphNode, PipelineGraph, PipelineSettingsResolved } from '../core/pipelineGraph.js';

/**
 * `unchanged`: same type, config, driver keys, enabled and inputs. `changed`: its type, config,
 * driver keys or `enabled` differ (it is rebuilt). `rewired`: only its inputs differ (it is
 * re-pointed, not rebuilt). `added`, `removed`: by id.
 */
export type NodeChange = 'unchanged' | 'changed' | 'rewired' | 'added' | 'removed';

/** A setting that only applies at start. */
export interface SettingChange {
  /** `server.listen`, `server.token`, `resources.redis.url`, `resources.postgres.url`, `resources.twitch`. */
  readonly setting: string;
  /** The running and the new value; left out for secrets. */
  readonly from?: string;
  readonly to?: string;
}

export interface GraphDiff {
  /** Every node id of both graphs. */
  readonly nodes: ReadonlyMap<string, NodeChange>;
  readonly needsRestart: readonly SettingChange[];
}

/**
 * @param rebuild Nodes to rebuild even if their config is the same: a file they read at start
 *   (a word list) changed on disk.
 */
export function diffGraphs(running: PipelineGraph, next: PipelineGraph, rebuild: ReadonlySet<string> = new Set()): GraphDiff {
  const nodes = new Map<string, NodeChange>();
  for (const [id, node] of next.nodes) {
    const old = running.nodes.get(id);
    nodes.set(id, old === undefined ? 'added' : rebuild.has(id) ? 'changed' : classify(old, node));
  }
  for (const id of running.nodes.keys()) if (!next.nodes.has(id)) nodes.set(id, 'removed');
  return { nodes, needsRestart: settingChanges(running.settings, next.settings) };
}

function classify(old: GraphNode, node: GraphNode): NodeChange {
  if (
    old.kind !== node.kind ||
    old.type !== node.type ||
    old.enabled !== node.enabled ||
    !deepEqual(old.config, node.config) ||
    !deepEqual(old.driver, node.driver)
  ) {
    return 'changed';
  }
  const sameInputs =
    old.inputs.length === node.inputs.length &&
    old.inputs.every((ref, i) => ref.node === node.inputs[i]?.node && ref.port === node.inputs[i]?.port);
  return sameInputs ? 'unchanged' : 'rewired';
}

export function settingChanges(from: PipelineSettingsResolved, to: PipelineSettingsResolved): SettingChange[] {
  const changes: SettingChange[] = [];
  const plain = (setting: string, a: string, b: string) => {
    if (a !== b) changes.push({ setting, from: a, to: b });
  };
  plain('server.listen', from.server.listen, to.server.listen);
  if (from.server.token !== to.server.token) changes.push({ setting: 'server.token' });
  // A URL may carry a password: say that it changed, not what it was.
  if (from.resources.redis.url !== to.resources.redis.url) changes.push({ setting: 'resources.redis.url' });
  if (from.resources.postgres.url !== to.resources.postgres.url) changes.push({ setting: 'resources.postgres.url' });
  if (JSON.stringify(from.resources.twitch ?? null) !== JSON.stringify(to.resources.twitch ?? null)) {
    changes.push({ setting: 'resources.twitch' });
  }
  return changes;
}

/**
 * Structural equality of parsed configs, whatever their key order: plain objects, arrays,
 * Maps, Sets, Dates and RegExps by content, anything else by identity (NaN equals NaN).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => deepEqual(v, other[i]));
  }
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return a.source === (b as RegExp).source && a.flags === (b as RegExp).flags;
  if (a instanceof Map) {
    const other = b as Map<unknown, unknown>;
    if (a.size !== other.size) return false;
    for (const [k, v] of a) if (!other.has(k) || !deepEqual(v, other.get(k))) return false;
    return true;
  }
  if (a instanceof Set) {
    const other = b as Set<unknown>;
    return a.size === other.size && [...a].every((v) => other.has(v));
  }
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.prototype && proto !== null) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return keysA.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}
