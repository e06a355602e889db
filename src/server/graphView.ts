/**
 * The pipeline as the dashboard draws it (`/api/graph`, the stream's `graph`): every node with
 * its live metrics, and every edge with the events its upstream port has sent. Pure.
 */
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { GraphShape } from '../core/pipelineView.js';
import type { GraphEdgeView, GraphNodeView, GraphView } from './dashboardWire.js';

/**
 * Builds the {@link GraphView} of `graph` from node snapshots (`runtime.snapshot()`); nodes
 * without a snapshot are left out, as are edges from them. An edge's `count` is its upstream
 * node's count for that port (shared by every edge leaving the same port).
 */
export function graphView(graph: GraphShape, snapshots: readonly NodeMetricsSnapshot[]): GraphView {
  const byId = new Map<string, NodeMetricsSnapshot>();
  for (const snapshot of snapshots) byId.set(snapshot.id, snapshot);
  const nodes: GraphNodeView[] = [];
  const edges: GraphEdgeView[] = [];
  for (const id of graph.order) {
    const node = graph.nodes.get(id);
    const metrics = byId.get(id);
    if (!node || !metrics) continue;
    nodes.push({ id, kind: node.kind, type: node.type, status: metrics.status, metrics });
    for (const input of node.inputs) {
      const from = byId.get(input.node);
      if (!from) continue;
      edges.push({ from: input.node, port: input.port, to: id, count: from.eventsOut[input.port] ?? 0 });
    }
  }
  return { nodes, edges };
}
