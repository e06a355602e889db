/**
 * Resolves every node's `inputs` (a node id, `node.port`, or a glob) to the output ports they
 * name, reporting dangling ids, unknown ports, sinks used as inputs and globs matching nothing.
 */
import { suggest } from '../core/suggest.js';
import type { NodeDraft } from './checkNode.js';
import { formatPortRef, type PortRef } from '../core/pipelineGraph.js';
import type { IssueList } from './issues.js';

/**
 * The most connections (input port refs, after glob expansion) a pipeline may have: globs in
 * every node could otherwise ask for a connection from every node to every other.
 */
export const MAX_CONNECTIONS = 100_000;

/**
 * Unknown inputs that get a "did you mean": each costs a comparison with every node id, so a
 * file of thousands of misspelt inputs would otherwise cost thousands squared.
 */
const MAX_SUGGESTIONS = 100;

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
  const producerIds = producers.map((p) => p.id);
  const resolved = new Map<string, PortRef[]>();
  // A glob written in many nodes (`"*"`) is matched against the producers once.
  const globs = new Map<string, GlobMatch[]>();
  let suggestionsLeft = MAX_SUGGESTIONS;
  let connections = 0;

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
    resolved.set(draft.id, refs);
    for (const { text, index } of draft.inputs) {
      const path = [draft.section, draft.id, 'inputs', index];
      if (connections > MAX_CONNECTIONS) {
        list.error(
          'too_many_connections',
          path,
          `The pipeline connects more than ${MAX_CONNECTIONS} inputs; name fewer inputs or use narrower globs`,
        );
        return resolved;
      }
      if (/[*?]/.test(text)) {
        let all = globs.get(text);
        if (!all) {
          all = expandGlob(text, producers);
          globs.set(text, all);
        }
        // A glob never matches the node that writes it.
        const matches = all.filter((m) => m.producer !== draft.id);
        const found = matches.flatMap((m) => (m.ref ? [m.ref] : []));
        if (found.length === 0) {
          if (!matches.some((m) => m.unknownPorts)) {
            list.error('empty_glob', path, `Input "${text}" matches no output of any source or operator`);
          }
          continue;
        }
        found.forEach(add);
        connections += found.length;
        continue;
      }
      connections += 1;
      const ref = parsePortRef(text);
      const target = byId.get(ref.node);
      if (!target) {
        const suggestion =
          suggestionsLeft-- > 0 ? suggest(ref.node, producerIds.filter((id) => id !== draft.id)) : undefined;
        list.error('unknown_input', path, `Input "${text}" names no source or operator`, { suggestion });
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
  }
  return resolved;
}

/** `node` (the default port) or `node.port`; node ids never hold a dot. */
export function parsePortRef(text: string): PortRef {
  const dot = text.indexOf('.');
  return dot === -1 ? { node: text, port: '' } : { node: text.slice(0, dot), port: text.slice(dot + 1) };
}

/**
 * What a glob matches in one producer: a port ref, or (`unknownPorts`) that the producer's
 * ports can't be known because its type or config is wrong (reported already), so the glob
 * might have matched one of them.
 */
interface GlobMatch {
  readonly producer: string;
  readonly ref?: PortRef;
  readonly unknownPorts?: true;
}

/**
 * Every port of every producer the glob matches, producer by producer. A glob matching
 * nothing for a node is an error only when no producer other than that node has unknown ports.
 */
function expandGlob(glob: string, producers: readonly NodeDraft[]): GlobMatch[] {
  const pattern = globToRegExp(glob);
  const nodePattern = globToRegExp(parsePortRef(glob).node);
  const matches: GlobMatch[] = [];
  for (const producer of producers) {
    if (pattern.test(producer.id)) matches.push({ producer: producer.id, ref: { node: producer.id, port: '' } });
    if (producer.ports === undefined) {
      if (glob.includes('.') && nodePattern.test(producer.id)) matches.push({ producer: producer.id, unknownPorts: true });
      continue;
    }
    for (const port of producer.ports) {
      if (pattern.test(`${producer.id}.${port}`)) matches.push({ producer: producer.id, ref: { node: producer.id, port } });
    }
  }
  return matches;
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
