/**
 * The validated graph IR that `pipelines/graph.ts` builds from a loaded file and `pipelines/run.ts` compiles to
 * RxJS. Everything here has been checked: types exist, configs parse, inputs resolve to real
 * ports, there is no cycle.
 */
import type { ComponentDefinition } from './component.js';
import type { ConfigIssue } from './errors.js';
import type { Section } from './registry.js';
import type { GraphShape, NodeShape, PortRef } from './pipelineView.js';
import type { SinkDriverConfig } from './sinkDriverConfig.js';

export type { PortRef } from './pipelineView.js';

/** Where something is in the pipeline file (1-based). */
export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface GraphNode extends NodeShape {
  readonly section: Section;
  readonly definition: ComponentDefinition;
  /** Sinks only: the parsed driver keys (`buffer`, `batch`, `retry`, `flush_timeout`). */
  readonly driver: SinkDriverConfig | undefined;
  /** The node's key in the file. */
  readonly position: Position;
}

export interface PipelineSettingsResolved {
  readonly server: { readonly listen: string; readonly token: string };
  readonly resources: {
    readonly redis: { readonly url: string };
    readonly postgres: { readonly url: string };
    /** Only when the file has `resources.twitch`. */
    readonly twitch?: {
      readonly clientId: string | undefined;
      readonly authUrl: string;
      readonly helixUrl: string;
      readonly eventsubUrl: string;
    };
  };
}

export interface PipelineGraph extends GraphShape {
  /** The file it was loaded from (as given). */
  readonly file: string;
  readonly settings: PipelineSettingsResolved;
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** Warnings (orphan node, dead-end port); errors never reach a graph. */
  readonly warnings: readonly ConfigIssue[];
}

/** `node` or `node.port` as written in pipeline.yaml. */
export function formatPortRef(ref: PortRef): string {
  return ref.port ? `${ref.node}.${ref.port}` : ref.node;
}
