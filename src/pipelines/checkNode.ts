/**
 * Checks one node of pipeline.yaml on its own: its type, its config against the component's
 * schema, and its `{{ }}` templates. What it learns (parsed config, ports, raw inputs) feeds
 * the checks across nodes.
 */
import type { z } from 'zod';
import type { ComponentDefinition } from '../core/component.js';
import type { NodeKind } from '../core/metrics.js';
import { COMMON_NODE_KEYS, nodeSchema, type Registry, SECTIONS, SINK_DRIVER_KEYS, type Section } from '../core/registry.js';
import type { SinkDriverConfig } from '../core/sinkDriverConfig.js';
import { suggest } from '../core/suggest.js';
import { checkTemplate } from '../core/template.js';
import { checkFiles } from './checkFiles.js';
import type { Position } from '../core/pipelineGraph.js';
import type { IssueList } from './issues.js';
import type { Path } from './positions.js';
import { reportZodIssues, safeParse } from './zodIssues.js';

/** One node as far as it could be understood, whatever was wrong with it. */
export interface NodeDraft {
  readonly id: string;
  readonly section: Section;
  readonly kind: NodeKind;
  /** Undefined when `type` is missing or names no component. */
  readonly definition: ComponentDefinition | undefined;
  /** The component's config and (sinks) driver keys; undefined when the node did not parse. */
  readonly parsed: { readonly config: Record<string, unknown>; readonly driver: SinkDriverConfig | undefined } | undefined;
  readonly enabled: boolean;
  /** The `inputs` strings as written, with their index in the list. */
  readonly inputs: readonly { readonly text: string; readonly index: number }[];
  /** Named output ports; undefined when they can't be known (unknown type, invalid config). */
  readonly ports: readonly string[] | undefined;
  readonly position: Position;
}

export const KIND_OF: Readonly<Record<Section, NodeKind>> = {
  sources: 'source',
  operators: 'operator',
  sinks: 'sink',
};

type ZodIssue = z.core.$ZodIssue;

const ID = /^[A-Za-z_][\w-]*$/;
const TEMPLATE_KEY = /^(address|template|format|.+_template)$/;

/**
 * Each component's node schema, built once per check of a file: building one (and zod compiling
 * its fast path on first use) costs far more than parsing a node with it.
 */
export class NodeSchemas {
  private readonly schemas = new Map<ComponentDefinition, ReturnType<typeof nodeSchema>>();

  of(definition: ComponentDefinition): ReturnType<typeof nodeSchema> {
    let schema = this.schemas.get(definition);
    if (!schema) {
      schema = nodeSchema(definition);
      this.schemas.set(definition, schema);
    }
    return schema;
  }
}

/**
 * Checks the node `id` of `section`, reporting every problem to `list`.
 *
 * @param schemas Where the node's schema comes from.
 * @param raw The node's value as plain data.
 * @param position Where the node's key is.
 * @param baseDir The pipeline file's folder, which the files a node names are relative to.
 */
export function checkNode(
  list: IssueList,
  registry: Registry,
  schemas: NodeSchemas,
  section: Section,
  id: string,
  raw: unknown,
  position: Position,
  baseDir: string,
): NodeDraft {
  const kind = KIND_OF[section];
  const path: Path = [section, id];
  if (!ID.test(id)) {
    list.error(
      'invalid_id',
      path,
      `Node id "${id}" must start with a letter or "_" and hold only letters, digits, "_" and "-"`,
      { key: true },
    );
  }
  const draft = { id, section, kind, definition: undefined, parsed: undefined, ports: undefined, position };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === null ? 'nothing' : Array.isArray(raw) ? 'a list' : JSON.stringify(raw);
    list.error('invalid_value', path, `Expected a mapping with a "type", received ${got}`);
    return { ...draft, enabled: true, inputs: [] };
  }
  const node = raw as Record<string, unknown>;
  const inputs = rawInputs(node.inputs);
  const enabled = node.enabled !== false && node.enabled !== 'false';
  checkTemplates(list, path, node);
  const inputsReported = checkInputsKey(list, kind, path, node);

  const definition = findDefinition(list, registry, section, path, node.type);
  if (!definition) return { ...draft, enabled, inputs };

  const schema = schemas.of(definition);
  const result = safeParse(schema, node);
  if (!result.success) {
    const issues = inputsReported ? withoutInputsIssues(result.error.issues, kind) : result.error.issues;
    reportZodIssues(list, path, schema, node, issues);
    return { ...draft, definition, enabled, inputs };
  }
  checkFiles(list, path, schema, node, baseDir);
  const output = result.data as Record<string, unknown>;
  const config = omit(output, [...COMMON_NODE_KEYS, ...(kind === 'sink' ? SINK_DRIVER_KEYS : [])]);
  const driver = kind === 'sink' ? (pick(output, SINK_DRIVER_KEYS) as SinkDriverConfig) : undefined;
  const ports = portsOf(list, path, definition, config);
  return { ...draft, definition, parsed: { config, driver }, enabled: output.enabled !== false, inputs, ports };
}

function findDefinition(
  list: IssueList,
  registry: Registry,
  section: Section,
  path: Path,
  type: unknown,
): ComponentDefinition | undefined {
  if (type === undefined) {
    list.error('missing_key', [...path, 'type'], 'Missing required key "type"');
    return undefined;
  }
  if (typeof type !== 'string') {
    list.error('invalid_value', [...path, 'type'], `Expected a component type name, received ${JSON.stringify(type)}`);
    return undefined;
  }
  const definitions = registry[section];
  const definition = definitions.get(type);
  if (definition) return definition;
  const kind = KIND_OF[section];
  const elsewhere = SECTIONS.find((s) => s !== section && registry[s].has(type));
  if (elsewhere) {
    list.error(
      'unknown_type',
      [...path, 'type'],
      `"${type}" is a ${KIND_OF[elsewhere]}, not ${article(kind)}; move "${path[1]}" under ${elsewhere}`,
    );
    return undefined;
  }
  const known = [...definitions.keys()];
  const suggestion = suggest(type, known);
  const hint = suggestion
    ? ''
    : known.length === 0
      ? `; no ${kind} types are registered`
      : `; known ${kind} types: ${known.join(', ')}`;
  list.error('unknown_type', [...path, 'type'], `Unknown ${kind} type "${type}"${hint}`, { suggestion });
  return undefined;
}

/**
 * `inputs` problems read better as one graph rule than as zod's: a source with inputs, an
 * operator or sink without them. Checked whatever the type, so an unknown type still gets them;
 * returns whether it reported one (zod's issue about the same key is then dropped).
 */
function checkInputsKey(list: IssueList, kind: NodeKind, path: Path, node: Record<string, unknown>): boolean {
  if (kind === 'source') {
    if (!Object.hasOwn(node, 'inputs')) return false;
    list.error(
      'source_inputs',
      [...path, 'inputs'],
      `Source "${path[1]}" has inputs, but sources only produce events; remove "inputs" or make it an operator`,
      { key: true },
    );
    return true;
  }
  const empty = Array.isArray(node.inputs) && node.inputs.length === 0;
  if (node.inputs !== undefined && !empty) return false;
  const what = kind === 'sink' ? 'Sink' : 'Operator';
  list.error(
    'missing_inputs',
    [...path, 'inputs'],
    `${what} "${path[1]}" has no inputs; add "inputs: [node]" naming the nodes or ports it reads from`,
  );
  return true;
}

/** zod's issues without the ones {@link checkInputsKey} already reported. */
function withoutInputsIssues(issues: readonly ZodIssue[], kind: NodeKind): ZodIssue[] {
  return issues.flatMap((issue): ZodIssue[] => {
    if (kind === 'source' && issue.code === 'unrecognized_keys' && issue.path.length === 0) {
      const keys = issue.keys.filter((k) => k !== 'inputs');
      return keys.length === 0 ? [] : [{ ...issue, keys }];
    }
    return issue.path.length === 1 && issue.path[0] === 'inputs' ? [] : [issue];
  });
}

/** Every `{{ }}` template in the node's address/template/format/…_template strings. */
function checkTemplates(list: IssueList, path: Path, value: unknown): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkTemplates(list, [...path, index], item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string' && TEMPLATE_KEY.test(key) && field.includes('{{')) {
      for (const problem of checkTemplate(field)) list.error('bad_template', [...path, key], problem);
    } else {
      checkTemplates(list, [...path, key], field);
    }
  }
}

function portsOf(
  list: IssueList,
  path: Path,
  definition: ComponentDefinition,
  config: Record<string, unknown>,
): readonly string[] | undefined {
  if (definition.kind !== 'operator' || !definition.ports) return [];
  try {
    return definition.ports(config);
  } catch (err) {
    // A component bug, but validation should still tell the user everything else.
    list.error('invalid_value', path, `Could not list the ports of "${path[1]}": ${(err as Error).message}`, {
      key: true,
    });
    return undefined;
  }
}

function rawInputs(value: unknown): { text: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((text, index) => (typeof text === 'string' && text !== '' ? [{ text, index }] : []));
}

function omit(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key, v]) => keys.includes(key) && v !== undefined));
}

function article(kind: NodeKind): string {
  return kind === 'operator' ? 'an operator' : `a ${kind}`;
}
