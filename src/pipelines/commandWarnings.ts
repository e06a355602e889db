/**
 * Warnings about commands that can never do what they are for: followed through the graph
 * from where they are made (parse_command, vote) to the nodes that apply them (control), using
 * what each operator declares in its `commandFlow`. Only what the config fixes is judged (a
 * vote's `fixed_key`, an `enum` arg, a command's name); what chat decides is never warned of.
 *
 * Three directions:
 * - a command that reaches a node that cannot apply it (`undeclared_variable`,
 *   `unknown_command`, `missing_arg`: the operators' `check`);
 * - a command made here that reaches nodes, none of which uses it (`unused_command`);
 * - what nothing arriving can do, such as a variable no command sets (`unsettable_variable`:
 *   the operators' `checkComplete`), judged only where every arriving command is known.
 */
import type { CommandShape, FlowWarning } from '../core/commandFlow.js';
import { suggest } from '../core/suggest.js';
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
  const opaqueAt = new Map<string, boolean>();
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

  /**
   * Whether commands validate cannot know may reach `id`: from a source that may emit them (a
   * replay), through an operator that says nothing of the commands it passes on, or from a
   * disabled node that would send commands when enabled (switched off, often by an env var,
   * on purpose: what it would send is not known to be missing).
   */
  const opaque = (id: string): boolean => {
    const known = opaqueAt.get(id);
    if (known !== undefined) return known;
    if (open.has(id)) return false;
    open.add(id);
    const result = (inputs.get(id) ?? []).some((ref) => producesUnknown(byId.get(ref.node)));
    open.delete(id);
    opaqueAt.set(id, result);
    return result;
  };

  const producesUnknown = (draft: NodeDraft | undefined): boolean => {
    if (!draft) return false;
    const definition = draft.definition;
    if (!draft.parsed || !definition) return true;
    if (definition.kind === 'source') return definition.emitsCommands === true;
    if (definition.kind !== 'operator') return false;
    if (!definition.commandFlow) return true;
    if (!definition.commandFlow.emits) return false;
    return !draft.enabled || opaque(draft.id);
  };

  const said = new Set<string>();
  /** Places already warned of: a command said to be dropped somewhere is not also said unused. */
  const warnedAt = new Set<string>();
  const say = (warning: FlowWarning): void => {
    const at = byId.get(warning.origin.node);
    const once = [warning.rule, warning.origin.node, ...warning.origin.path, warning.message].join('\0');
    if (!at || said.has(once)) return;
    said.add(once);
    warnedAt.add(originKey(warning.origin.node, warning.origin.path));
    list.warn(warning.rule, [at.section, at.id, ...warning.origin.path], warning.message, {
      key: warning.origin.path.length === 0 || warning.rule === 'unsettable_variable',
    });
  };

  for (const draft of drafts) {
    const definition = draft.definition;
    if (!draft.parsed || !draft.enabled || definition?.kind !== 'operator') continue;
    const flow = definition.commandFlow;
    if (flow?.check) for (const warning of flow.check(draft.parsed.config, arriving(draft.id), draft.id)) say(warning);
    if (flow?.checkComplete && !opaque(draft.id)) {
      for (const warning of flow.checkComplete(draft.parsed.config, arriving(draft.id), draft.id)) say(warning);
    }
  }

  warnUnusedCommands(drafts, inputs, emits, (draft, shape, reached, meant) => {
    if (warnedAt.has(originKey(shape.origin.node, shape.origin.path))) return;
    const where = reached.map((id) => `"${id}"`).join(', ');
    say({
      rule: 'unused_command',
      origin: shape.origin,
      message: `Command "${shape.name}" of "${draft.id}" reaches only nodes that do not use it (${where}); every one is dropped there. Send it to a node that does (a control that maps it, a vote with \`command: ${shape.name}\`, a sink), or remove it${meant ? `. Did you mean "${meant}"?` : ''}`,
    });
  });
}

const originKey = (node: string, path: readonly (string | number)[]): string => [node, ...path].join('\0');

/**
 * Follows every command an operator makes (its origin is that node) downstream, through the
 * nodes that pass commands on, and reports those that reach nodes but none that uses them. A
 * command that reaches no node at all is the port checks' business (`dead_end_port`).
 */
function warnUnusedCommands(
  drafts: readonly NodeDraft[],
  inputs: ReadonlyMap<string, readonly PortRef[]>,
  emits: (ref: PortRef) => readonly CommandShape[],
  report: (draft: NodeDraft, shape: CommandShape, reached: readonly string[], meant: string | undefined) => void,
): void {
  const readers = new Map<string, NodeDraft[]>();
  const byId = new Map(drafts.map((draft) => [draft.id, draft]));
  for (const [id, refs] of inputs) {
    const reader = byId.get(id);
    if (!reader) continue;
    for (const ref of refs) {
      const key = `${ref.node}\0${ref.port}`;
      readers.set(key, [...(readers.get(key) ?? []), reader]);
    }
  }
  const portsOf = (draft: NodeDraft): readonly string[] => ['', ...(draft.ports ?? [])];

  for (const draft of drafts) {
    const definition = draft.definition;
    if (!draft.parsed || !draft.enabled || definition?.kind !== 'operator' || !definition.commandFlow?.emits) continue;
    /** Each command made here, by where it is written, with the ports it leaves on. */
    const made = new Map<string, { shape: CommandShape; ports: string[] }>();
    for (const port of portsOf(draft)) {
      for (const shape of emits({ node: draft.id, port })) {
        if (shape.origin.node !== draft.id || shape.replied === true) continue;
        const key = `${shape.name}\0${originKey(shape.origin.node, shape.origin.path)}`;
        const entry = made.get(key) ?? { shape, ports: [] };
        entry.ports.push(port);
        made.set(key, entry);
      }
    }
    for (const { shape, ports } of made.values()) {
      const reached = new Set<string>();
      const wanted = new Set<string>();
      const visited = new Set<string>();
      const stack: PortRef[] = ports.map((port) => ({ node: draft.id, port }));
      let used = false;
      while (stack.length > 0 && !used) {
        const ref = stack.pop() as PortRef;
        const key = `${ref.node}\0${ref.port}`;
        if (visited.has(key)) continue;
        visited.add(key);
        for (const reader of readers.get(key) ?? []) {
          if (!reader.enabled) continue;
          reached.add(reader.id);
          const def = reader.definition;
          // A sink does something with every event; an operator that says nothing may use it.
          if (!reader.parsed || !def || def.kind !== 'operator' || !def.commandFlow) {
            used = true;
            break;
          }
          const flow = def.commandFlow;
          const names = flow.uses?.(reader.parsed.config) ?? [];
          if (names.includes(shape.name)) {
            used = true;
            break;
          }
          for (const name of names) wanted.add(name);
          if (!flow.emits) continue;
          for (const port of portsOf(reader)) {
            if (flow.emits(reader.parsed.config, [shape], port, reader.id).includes(shape)) {
              stack.push({ node: reader.id, port });
            }
          }
        }
      }
      if (used || reached.size === 0) continue;
      report(draft, shape, [...reached], suggest(shape.name, wanted));
    }
  }
}
