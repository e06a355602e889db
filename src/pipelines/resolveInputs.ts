/**
 * Resolves every node's `inputs` (a node id, `node.port`, or a glob) to the output ports they
 * name, reporting dangling ids, unknown ports, sinks used as inputs and globs matching nothing.
 */
import { suggest } from '../core/suggest.js';
import type { NodeDraft } from './checkNode.js';
import { formatPortRef, type PortRef } from '../core/pipelineGraph.js';
import type { IssueList } from './issues.js';

/**
 * The port refs each node reads, after glob expansion, deduplicated, in file order.
 *
 * Glob rules: `*` and `?` never cross a `.`, so `"*"` matches the default outputs of every
 * source and operator and `cmds.*` every named port of `cmds`; a glob never matches the node
 * that writes it, nor a sink (sinks have no outputs).
 */
export function resolveInputs(list: IssueList, drafts: readonly NodeDraft[]): Map<string, PortRef[]> {
  const byId = new Map<string, NodeDraft>();
  for (const draft of drafts) if (!byId.has(draft.id)) byId.set(draft.id, draft);
  const producers = drafts.filter((d) => d.kind !== 'sink');
  const resolved = new Map<string, PortRef[]>();

  for (const draft of drafts) {
    if (draft.kind === 'source') continue;
    const refs: PortRef[] = [];
    const seen = new Set<string>();
    const add = (ref: PortRef): void => {
      const key = formatPortRef(ref);
      if (seen.has(key)) return;
      seen.add(key);
      refs.push(ref);
    };
    for (const { text, index } of draft.inputs) {
      const path = [draft.section, draft.id, 'inputs', index];
      if (/[*?]/.test(text)) {
        const matches = expandGlob(text, draft.id, producers);
        if (matches === undefined) continue;
        if (matches.length === 0) {
          list.error('empty_glob', path, `Input "${text}" matches no output of any source or operator`);
        }
        matches.forEach(add);
        continue;
      }
      const ref = parsePortRef(text);
      const target = byId.get(ref.node);
      if (!target) {
        const candidates = producers.filter((p) => p.id !== draft.id).map((p) => p.id);
        list.error('unknown_input', path, `Input "${text}" names no source or operator`, {
          suggestion: suggest(ref.node, candidates),
        });
        continue;
      }
      if (target.kind === 'sink') {
        list.error('input_is_sink', path, `Input "${text}" is a sink; sinks have no outputs to read from`);
        continue;
      }
      if (ref.port !== '' && target.ports !== undefined && !target.ports.includes(ref.port)) {
        reportUnknownPort(list, path, text, target);
        continue;
      }
      add(ref);
    }
    resolved.set(draft.id, refs);
  }
  return resolved;
}

/** `node` (the default port) or `node.port`; node ids never hold a dot. */
export function parsePortRef(text: string): PortRef {
  const dot = text.indexOf('.');
  return dot === -1 ? { node: text, port: '' } : { node: text.slice(0, dot), port: text.slice(dot + 1) };
}

/**
 * The ports a glob matches; undefined when that can't be known because a node it might match
 * has unknown ports (its type or config is wrong, which is reported already).
 */
function expandGlob(glob: string, self: string, producers: readonly NodeDraft[]): PortRef[] | undefined {
  const pattern = globToRegExp(glob);
  const nodePattern = globToRegExp(parsePortRef(glob).node);
  const matches: PortRef[] = [];
  let unknown = false;
  for (const producer of producers) {
    if (producer.id === self) continue;
    if (pattern.test(producer.id)) matches.push({ node: producer.id, port: '' });
    if (producer.ports === undefined) {
      if (glob.includes('.') && nodePattern.test(producer.id)) unknown = true;
      continue;
    }
    for (const port of producer.ports) {
      if (pattern.test(`${producer.id}.${port}`)) matches.push({ node: producer.id, port });
    }
  }
  return matches.length === 0 && unknown ? undefined : matches;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*').replace(/\?/g, '[^.]');
  return new RegExp(`^${body}$`);
}

function reportUnknownPort(list: IssueList, path: (string | number)[], text: string, target: NodeDraft): void {
  const { port } = parsePortRef(text);
  const ports = target.ports ?? [];
  if (ports.length === 0) {
    list.error(
      'unknown_port',
      path,
      `Node "${target.id}" has no port "${port}"; it has only its default output, "${target.id}"`,
      { suggestion: target.id },
    );
    return;
  }
  list.error('unknown_port', path, `Node "${target.id}" has no port "${port}"; its ports: ${ports.join(', ')}`, {
    suggestion: suggest(port, ports),
  });
}
