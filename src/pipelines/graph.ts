/**
 * Builds the validated {@link PipelineGraph} from a loaded pipeline file, running every check
 * and reporting every problem at once (never just the first), each with file:line:col.
 */
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { type ConfigIssue, ConfigError } from '../core/errors.js';
import { PipelineSettings, type Registry, SECTIONS } from '../core/registry.js';
import { suggest } from '../core/suggest.js';
import { checkNode, type NodeDraft, NodeSchemas } from './checkNode.js';
import { warnCommandsNeverApplied } from './commandWarnings.js';
import type { GraphNode, PipelineGraph, PipelineSettingsResolved, PortRef } from '../core/pipelineGraph.js';
import { IssueList } from './issues.js';
import { type Env, type LoadedPipeline, loadFile } from './load.js';
import { resolveInputs } from './resolveInputs.js';
import { findCycles, topologicalOrder } from './topology.js';
import { warnUnusedOutputs } from './usageWarnings.js';
import { reportZodIssues, safeParse } from './zodIssues.js';

export interface GraphResult {
  /** Present when there is no error (warnings are allowed, and are in `graph.warnings`). */
  readonly graph?: PipelineGraph;
  /** Every error and warning, the loader's included, in file order. */
  readonly issues: readonly ConfigIssue[];
}

const SETTINGS_KEYS = ['version', 'server', 'resources'] as const;
const TOP_LEVEL_KEYS: readonly string[] = [...SETTINGS_KEYS, ...SECTIONS];

/**
 * Checks a loaded pipeline file against the registry and builds its graph.
 *
 * @param loaded From {@link loadText} or {@link loadFile}.
 * @param registry The components node types are looked up in.
 */
export function buildGraph(loaded: LoadedPipeline, registry: Registry): GraphResult {
  const list = new IssueList(loaded);
  list.addAll(loaded.issues);
  // A syntax error leaves a document whose other problems would be guesses.
  if (loaded.value === undefined) return { issues: list.sorted() };
  const root = loaded.value;
  if (root === null) {
    list.error('missing_key', ['version'], 'The file is empty; a pipeline needs at least "version: 1"');
    return { issues: list.sorted() };
  }
  if (!isMapping(root)) {
    list.error('invalid_value', [], 'Expected a mapping of version, sources, operators and sinks at the top of the file');
    return { issues: list.sorted() };
  }

  for (const key of Object.keys(root)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    list.error('unknown_key', [key], `Unknown top-level key "${key}"; allowed: ${TOP_LEVEL_KEYS.join(', ')}`, {
      key: true,
      suggestion: suggest(key, TOP_LEVEL_KEYS),
    });
  }
  const settings = checkSettings(list, root);
  const drafts = checkNodes(list, registry, loaded, root);
  const inputs = resolveInputs(list, drafts);
  const inputsOf = (id: string): string[] => (inputs.get(id) ?? []).map((ref) => ref.node);
  const ids = drafts.map((d) => d.id);
  // Ids are unique here: checkNodes leaves repeated ones out.
  const draftOf = new Map(drafts.map((d) => [d.id, d]));
  for (const cycle of findCycles(ids, inputsOf)) {
    const first = draftOf.get(cycle[0] as string) as NodeDraft;
    list.error('cycle', [first.section, first.id], `Cycle: ${[...cycle, first.id].join(' → ')}`, { key: true });
  }
  warnUnusedOutputs(list, drafts, inputs);
  warnCommandsNeverApplied(list, drafts, inputs);

  const issues = list.sorted();
  if (list.hasErrors()) return { issues };
  const order = topologicalOrder(ids, inputsOf);
  const nodes = new Map<string, GraphNode>();
  for (const id of order) {
    const draft = draftOf.get(id) as NodeDraft;
    nodes.set(id, toGraphNode(draft, inputs.get(id) ?? []));
  }
  const warnings = issues.filter((i) => i.severity === 'warning');
  return { graph: { file: loaded.file, settings, nodes, order, warnings }, issues };
}

/**
 * Loads, checks and builds the pipeline in `file`.
 *
 * @param options `env` is what `${VAR}` reads (pass `process.env`).
 * @throws ConfigError with every issue (errors and warnings) when there is any error.
 * @throws PipelineError `ERR_CONFIG_IO` when the file can't be read.
 */
export function loadPipeline(file: string, options: { registry: Registry; env: Env }): PipelineGraph {
  const { graph, issues } = validatePipeline(file, options);
  if (!graph) throw new ConfigError(issues);
  return graph;
}

/**
 * Loads and checks the pipeline in `file` without throwing on config errors, for
 * `chatflow validate`, which reports warnings too.
 *
 * @throws PipelineError `ERR_CONFIG_IO` when the file can't be read.
 */
export function validatePipeline(file: string, options: { registry: Registry; env: Env }): GraphResult {
  return buildGraph(loadFile(file, { env: options.env }), options.registry);
}

/** `version`, `server` and `resources`, with their defaults filled in. */
function checkSettings(list: IssueList, root: Record<string, unknown>): PipelineSettingsResolved {
  const input = Object.fromEntries(SETTINGS_KEYS.filter((k) => Object.hasOwn(root, k)).map((k) => [k, root[k]]));
  const result = safeParse(PipelineSettings, input);
  if (!result.success) reportZodIssues(list, [], PipelineSettings, input, result.error.issues);
  const parsed = result.success ? (result.data as z.output<typeof PipelineSettings>) : undefined;
  return {
    server: {
      listen: parsed?.server?.listen ?? '127.0.0.1:8080',
      token: parsed?.server?.token ?? '',
    },
    resources: {
      redis: { url: parsed?.resources?.redis?.url ?? 'embedded' },
      postgres: { url: parsed?.resources?.postgres?.url ?? 'embedded' },
      ...(parsed?.resources?.twitch
        ? {
            twitch: {
              clientId: parsed.resources.twitch.client_id,
              authUrl: parsed.resources.twitch.auth_url,
              helixUrl: parsed.resources.twitch.helix_url,
              eventsubUrl: parsed.resources.twitch.eventsub_url,
            },
          }
        : {}),
    },
  };
}

/** Every node of every section, checked on its own; a repeated id is reported and left out. */
function checkNodes(
  list: IssueList,
  registry: Registry,
  loaded: LoadedPipeline,
  root: Record<string, unknown>,
): NodeDraft[] {
  const drafts: NodeDraft[] = [];
  // Files a node names are relative to the pipeline file, as at run time.
  const baseDir = dirname(resolve(loaded.file));
  const firstOf = new Map<string, NodeDraft>();
  const schemas = new NodeSchemas();
  for (const section of SECTIONS) {
    const nodes = root[section];
    if (nodes === undefined || nodes === null) continue;
    if (!isMapping(nodes)) {
      list.error('invalid_value', [section], `Expected a mapping of node ids to nodes under "${section}"`);
      continue;
    }
    for (const [id, raw] of Object.entries(nodes)) {
      const position = loaded.positions.positionAt([section, id], { key: true });
      const first = firstOf.get(id);
      if (first) {
        list.error(
          'duplicate_id',
          [section, id],
          `Node id "${id}" is already used by ${first.section}.${id} (line ${first.position.line}); ids must be unique across sources, operators and sinks`,
          { key: true },
        );
      }
      // A repeated node is still checked on its own, but only the first one joins the graph.
      const draft = checkNode(list, registry, schemas, section, id, raw, position, baseDir);
      if (first) continue;
      firstOf.set(id, draft);
      drafts.push(draft);
    }
  }
  return drafts;
}

function toGraphNode(draft: NodeDraft, inputs: readonly PortRef[]): GraphNode {
  // Only reached without errors, so the type resolved and the config parsed.
  const definition = draft.definition as NonNullable<NodeDraft['definition']>;
  const parsed = draft.parsed as NonNullable<NodeDraft['parsed']>;
  return {
    id: draft.id,
    kind: draft.kind,
    section: draft.section,
    type: definition.type,
    definition,
    config: parsed.config,
    driver: parsed.driver,
    enabled: draft.enabled,
    inputs,
    ports: draft.ports ?? [],
    ...(definition.variables ? { variables: definition.variables(parsed.config) } : {}),
    position: draft.position,
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
