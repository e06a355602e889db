/**
 * What a component may read of the running pipeline (`resources.pipeline`): the shape of its
 * graph and every node's live metrics. The runtime's full graph (`pipelineGraph.ts`) extends
 * these shapes; a component never sees the definitions or the file's positions.
 */
import type { AlertEvent } from './events.js';
import type { NodeKind, NodeMetricsSnapshot } from './metrics.js';
import type { VariableDeclaration } from './variables.js';

/** A reference to one output port of a node; `port: ''` is the default output. */
export interface PortRef {
  readonly node: string;
  readonly port: string;
}

/** One node as a component may see it. */
export interface NodeShape {
  readonly id: string;
  readonly kind: NodeKind;
  readonly type: string;
  /** The component's own parsed config (without `type`, `inputs`, `enabled`, driver keys). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
  /** Inputs after glob expansion, deduplicated, in file order. */
  readonly inputs: readonly PortRef[];
  /** Named output ports (ported operators); empty for the rest. */
  readonly ports: readonly string[];
  /**
   * The control variables the node declares (its definition's `variables`, e.g. `control`'s);
   * absent for a node whose component declares none.
   */
  readonly variables?: readonly VariableDeclaration[];
}

/** The graph as a component may see it. */
export interface GraphShape {
  readonly nodes: ReadonlyMap<string, NodeShape>;
  /** Node ids, every node after all of its inputs. */
  readonly order: readonly string[];
}

/** The rule of a node's loss alert: `data_loss:<node id>` (never a `sample_metrics` rule id, which has no colon). */
export const LOSS_RULE_PREFIX = 'data_loss:';

/**
 * Alerts the runtime raises by itself, whatever the pipeline's `sample_metrics` rules say: a
 * node losing events (rule `data_loss:<node id>`, src/pipelines/lossMonitor.ts). The `metrics`
 * sink shows them on the dashboard beside the rules' alerts.
 */
export interface RuntimeAlerts {
  /** The runtime's alerts firing now (the latest event of each). */
  active(): readonly AlertEvent[];
  /** Calls `listener` with every alert event the runtime raises from now on; returns the unsubscribe. */
  subscribe(listener: (alert: AlertEvent) => void): () => void;
}

/** What components may read of the running pipeline. */
export interface PipelineView {
  readonly graph: GraphShape;
  /** Every node's metrics now, in topological order. */
  snapshot(): NodeMetricsSnapshot[];
  /** `performance.now()` when the pipeline started. */
  readonly startedAt: number;
  /** The runtime's own alerts (loss); absent outside a runtime. */
  readonly alerts?: RuntimeAlerts;
}
