/** The pipeline graph as Mermaid or Graphviz dot, for `chatflow graph`. */
import { formatPortRef, type GraphNode, type PipelineGraph } from '../core/pipelineGraph.js';

const SHAPES = {
  source: (id: string, label: string) => `  ${id}([${label}])`,
  operator: (id: string, label: string) => `  ${id}[${label}]`,
  sink: (id: string, label: string) => `  ${id}[(${label})]`,
} as const;

function label(node: GraphNode): string {
  return `"${node.id}: ${node.type}${node.enabled ? '' : ' (disabled)'}"`;
}

function safeId(id: string): string {
  return id.replace(/[^\w]/g, '_');
}

export function toMermaid(graph: PipelineGraph): string {
  const lines = ['flowchart LR'];
  for (const id of graph.order) {
    const node = graph.nodes.get(id) as GraphNode;
    lines.push(SHAPES[node.kind](safeId(id), label(node)));
  }
  for (const id of graph.order) {
    const node = graph.nodes.get(id) as GraphNode;
    for (const ref of node.inputs) {
      const edge = ref.port ? ` -->|${ref.port}| ` : ' --> ';
      lines.push(`  ${safeId(ref.node)}${edge}${safeId(id)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function toDot(graph: PipelineGraph): string {
  const shape = { source: 'ellipse', operator: 'box', sink: 'cylinder' } as const;
  const lines = ['digraph pipeline {', '  rankdir=LR;'];
  for (const id of graph.order) {
    const node = graph.nodes.get(id) as GraphNode;
    const style = node.enabled ? '' : ', style=dashed';
    lines.push(`  "${id}" [label="${id}\\n${node.type}", shape=${shape[node.kind]}${style}];`);
  }
  for (const id of graph.order) {
    const node = graph.nodes.get(id) as GraphNode;
    for (const ref of node.inputs) {
      const attr = ref.port ? ` [label="${ref.port}"]` : '';
      lines.push(`  "${ref.node}" -> "${id}"${attr}; // ${formatPortRef(ref)}`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
