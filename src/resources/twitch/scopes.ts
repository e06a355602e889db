/**
 * The scopes a pipeline needs, from its nodes' `scopes` facts (core/component.ts): what
 * `chatflow auth twitch` requests and what `--check` compares with a token's scopes.
 */
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import type { TwitchAccountRole, TwitchScopeNeed } from '../../core/twitchAuth.js';

/** A scope need and the node it comes from. */
export interface NodeScopeNeed extends TwitchScopeNeed {
  readonly node: string;
}

/** Every enabled node's scope needs, in graph order. */
export function scopeNeeds(graph: PipelineGraph): NodeScopeNeed[] {
  const needs: NodeScopeNeed[] = [];
  for (const node of graph.nodes.values()) {
    if (!node.enabled || !node.definition.scopes) continue;
    for (const need of node.definition.scopes(node.config)) needs.push({ ...need, node: node.id });
  }
  return needs;
}

/** True when any node needs a Twitch account (so the run provides `TWITCH_AUTH`). */
export function needsTwitchAuth(graph: PipelineGraph): boolean {
  return scopeNeeds(graph).length > 0;
}

/**
 * The scopes to request for a role: for each need, the scope of `anyOf` already granted, else
 * the first one; plus every scope already granted, so signing in again for one pipeline does
 * not take away what another uses. Sorted, each once.
 */
export function scopesToRequest(
  needs: readonly NodeScopeNeed[],
  role: TwitchAccountRole,
  granted: readonly string[] = [],
): string[] {
  const scopes = new Set(granted);
  for (const need of needs) {
    if (need.account !== role) continue;
    if (!need.anyOf.some((s) => scopes.has(s))) scopes.add(need.anyOf[0]);
  }
  return [...scopes].sort();
}

/** The needs of a role that `granted` does not satisfy. */
export function missingScopes(
  needs: readonly NodeScopeNeed[],
  role: TwitchAccountRole,
  granted: readonly string[],
): NodeScopeNeed[] {
  return needs.filter((n) => n.account === role && !n.anyOf.some((s) => granted.includes(s)));
}
