/**
 * The validated graph IR that `graph.ts` builds from a loaded file and `run.ts` compiles to
 * RxJS. Everything here has been checked: types exist, configs parse, inputs resolve to real
 * ports, there is no cycle.
 */
import type { ComponentDefinition } from '../core/component.js';
import type { ConfigIssue } from '../core/errors.js';
import type { NodeKind } from '../core/metrics.js';
import type { Section } from '../core/registry.js';
import type { SinkDriverConfig } from '../core/sinkDriverConfig.js';

/** A reference to one output port of a node; `port: ''` is the default output. */
export interface PortRef {
  readonly node: string;
  readonly port: string;
}

/** Where something is in the pipeline file (1-based). */
export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly section: Section;
  readonly type: string;
  readonly definition: ComponentDefinition;
  /** The component's own parsed config (without `type`, `inputs`, `enabled`, driver keys). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Sinks only: the parsed driver keys (`buffer`, `batch`, `retry`, `flush_timeout`). */
  readonly driver: SinkDriverConfig | undefined;
  readonly enabled: boolean;
  /** Inputs after glob expansion, deduplicated, in file order. */
  readonly inputs: readonly PortRef[];
  /** Named output ports (ported operators); empty for the rest. */
  readonly ports: readonly string[];
  /** The node's key in the file. */
  readonly position: Position;
}

export interface PipelineSettingsResolved {
  readonly server: { readonly listen: string; readonly token: string };
  readonly resources: {
    readonly redis: { readonly url: string };
    readonly postgres: { readonly url: string };
  };
}

export interface PipelineGraph {
  /** The file it was loaded from (as given). */
  readonly file: string;
  readonly settings: PipelineSettingsResolved;
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** Node ids, every node after all of its inputs. */
  readonly order: readonly string[];
  /** Warnings (orphan node, dead-end port); errors never reach a graph. */
  readonly warnings: readonly ConfigIssue[];
}

/** `node` or `node.port` as written in pipeline.yaml. */
export function formatPortRef(ref: PortRef): string {
  return ref.port ? `${ref.node}.${ref.port}` : ref.node;
}
