/**
 * Warnings about commands that can never do what they are for: followed through the graph
 * from where they are made (parse_command, vote) to the nodes that apply them (control), using
 * what each operator declares in its `commandFlow`. Only what the config fixes is judged (a
 * vote's `fixed_key`, an `enum` arg, a command's name); what chat decides is never warned of.
 */
import type { CommandShape } from '../core/commandFlow.js';
import type { NodeDraft } from './checkNode.js';
import type { PortRef } from '../core/pipelineGraph.js';
import type { IssueList } from './issues.js';

/**
 * @param drafts Every node.
 * @param inputs The resolved inputs of every node that has them.
 */
export function warnCommandsNeverApplied(
  list: IssueList,
  drafts: readonly NodeDraft[],
  inputs: ReadonlyMap<string, readonly PortRef[]>,
): void {
  const byId = new Map(drafts.map((draft) => [draft.id, draft]));
  const emitted = new Map<string, readonly CommandShape[]>();
  const arrivingAt = new Map<string, readonly CommandShape[]>();
  /** Nodes being followed right now: a cycle (already an error) contributes nothing. */
  const open = new Set<string>();

  const arriving = (id: string): readonly CommandShape[] => {
    const known = arrivingAt.get(id);
    if (known) return known;
    if (open.has(id)) return [];
    open.add(id);
    const shapes = (inputs.get(id) ?? []).flatMap((ref) => emits(ref));
    open.delete(id);
    arrivingAt.set(id, shapes);
    return shapes;
  };

  const emits = (ref: PortRef): readonly CommandShape[] => {
    const key = `${ref.node}\0${ref.port}`;
    const known = emitted.get(key);
    if (known) return known;
    const draft = byId.get(ref.node);
    const definition = draft?.definition;
    let shapes: readonly CommandShape[] = [];
    if (draft?.parsed && draft.enabled && definition?.kind === 'operator' && definition.commandFlow?.emits) {
      shapes = definition.commandFlow.emits(draft.parsed.config, arriving(draft.id), ref.port, draft.id);
    }
    emitted.set(key, shapes);
    return shapes;
  };

  const said = new Set<string>();
  for (const draft of drafts) {
    const definition = draft.definition;
    if (!draft.parsed || !draft.enabled || definition?.kind !== 'operator' || !definition.commandFlow?.check) continue;
    for (const warning of definition.commandFlow.check(draft.parsed.config, arriving(draft.id), draft.id)) {
      const at = byId.get(warning.origin.node);
      const once = [warning.rule, warning.origin.node, ...warning.origin.path, warning.message].join('\0');
      if (!at || said.has(once)) continue;
      said.add(once);
      list.warn(warning.rule, [at.section, at.id, ...warning.origin.path], warning.message, {
        key: warning.origin.path.length === 0,
      });
    }
  }
}
