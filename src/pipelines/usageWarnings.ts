/**
 * Warnings about outputs nothing reads: a node whose events go nowhere (`orphan_node`), and a
 * named port left unconnected while the node's other outputs are used (`dead_end_port`).
 * Side-channel ports (`_unmatched`, `_invalid`, `_limited`, …) are optional by design: what
 * they carry is counted as dropped when unread, and leaving them open is no mistake; except a
 * side port the config fills on purpose (a definition's `wantedPorts`: parse_command's `_reply`
 * when a command has a `reply`, throttle's `_limited` with `on_limit: reroute`). A disabled
 * reader still counts as reading: a node switched off (often by an env var) is off on purpose.
 */
import { mirrorsToDefault } from '../core/component.js';
import type { NodeDraft } from './checkNode.js';
import type { PortRef } from '../core/pipelineGraph.js';
import type { IssueList } from './issues.js';

/**
 * @param drafts Every node.
 * @param inputs The resolved inputs of every node that has them.
 */
export function warnUnusedOutputs(
  list: IssueList,
  drafts: readonly NodeDraft[],
  inputs: ReadonlyMap<string, readonly PortRef[]>,
): void {
  // A disabled reader still counts: a node switched off (often by an env var) is off on purpose.
  const readPorts = new Map<string, Set<string>>();
  for (const refs of inputs.values()) {
    for (const ref of refs) readPorts.set(ref.node, (readPorts.get(ref.node) ?? new Set()).add(ref.port));
  }

  for (const draft of drafts) {
    // A node of unknown type is already an error; what it would output is anyone's guess.
    if (draft.kind === 'sink' || draft.definition === undefined) continue;
    const path = [draft.section, draft.id];
    const read = readPorts.get(draft.id);
    if (!read) {
      list.warn('orphan_node', path, `Nothing reads from "${draft.id}"; its events go nowhere`, { key: true });
      continue;
    }
    const definition = draft.definition;
    if (draft.parsed && draft.enabled && definition.kind === 'operator' && 'wantedPorts' in definition) {
      for (const { port, lost } of definition.wantedPorts?.(draft.parsed.config) ?? []) {
        if (read.has(port)) continue;
        list.warn('dead_end_port', path, `Port "${draft.id}.${port}" is never read; ${lost}`, { key: true });
      }
    }
    // With mirrorToDefault, reading the default port already receives what the mirrored ports carry.
    const mirrorTo = read.has('') && 'mirrorToDefault' in definition ? definition.mirrorToDefault : undefined;
    const optional = draft.parsed && 'optionalPorts' in definition ? definition.optionalPorts?.(draft.parsed.config) : [];
    for (const port of draft.ports ?? []) {
      if (read.has(port) || port.startsWith('_') || optional?.includes(port) || mirrorsToDefault(mirrorTo, port)) continue;
      list.warn('dead_end_port', path, `Port "${draft.id}.${port}" is never read; events sent to it are dropped`, {
        key: true,
      });
    }
  }
}
