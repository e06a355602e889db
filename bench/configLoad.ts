/**
 * Config checking (issue 13): milliseconds from the text of a pipeline file to its graph or
 * its refusal, with the real components, for the files that used to hang `chatflow validate`:
 * a megabyte of aliases to one scalar, a chain of 2,000 merge keys, and a valid chain of
 * 20,000 nodes, and a megabyte of `[1,1,1,…]`. Goal: every file up to 1 MiB accepted or refused within 2 s.
 */
import { defaultRegistry } from '../src/components.js';
import { buildGraph } from '../src/pipelines/graph.js';
import { loadText, MAX_FILE_BYTES } from '../src/pipelines/load.js';
import { writeResult } from './results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** The files, generated: each near the 1 MiB limit or as the issue reported it. */
export function configLoadFiles(): Record<string, string> {
  const aliases = `version: 1\nx: &s v\nlist: [${Array(300_000).fill('*s').join(',')}]\n`;
  const merges = ['version: 1', 'm0: &m0 { k0: 0 }'];
  for (let i = 1; i < 2000; i++) merges.push(`m${i}: &m${i} { <<: *m${i - 1}, k${i}: ${i} }`);
  const chain = ['version: 1', 'sources:', '  demo: { type: simulate, rate: 20/s }', 'operators:'];
  for (let i = 1; i <= 20_000; i++) chain.push(`  n${i}: { type: normalize, inputs: [${i === 1 ? 'demo' : `n${i - 1}`}] }`);
  chain.push('sinks:', '  out: { type: console, inputs: [n20000] }');
  const values = `version: 1\nlist: [${Array(500_000).fill('1').join(',')}]\n`;
  return { aliases, mergeChain: `${merges.join('\n')}\n`, nodeChain: `${chain.join('\n')}\n`, values };
}

const GOAL_MS = 2000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function configLoad(): Promise<Record<string, unknown>> {
  const registry = defaultRegistry();
  const files: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(configLoadFiles())) {
    const wall: number[] = [];
    const cpu: number[] = [];
    let outcome = '';
    for (let round = 0; round < ROUNDS; round++) {
      const usage = process.cpuUsage();
      const started = performance.now();
      const { graph, issues } = buildGraph(loadText(text, { file: `${name}.yaml`, env: {} }), registry);
      wall.push(Math.round(performance.now() - started));
      const used = process.cpuUsage(usage);
      cpu.push(Math.round((used.user + used.system) / 1000));
      outcome = graph ? `accepted, ${graph.nodes.size} nodes` : `refused: ${issues.find((i) => i.severity === 'error')?.rule}`;
    }
    files[name] = { bytes: Buffer.byteLength(text), outcome, medianMs: median(wall), medianCpuMs: median(cpu), wallMs: wall };
  }
  const slowest = Math.max(...Object.values(files).map((f) => (f as { medianMs: number }).medianMs));
  const figures = {
    rounds: ROUNDS,
    limitBytes: MAX_FILE_BYTES,
    goal: `every file accepted or refused within ${GOAL_MS} ms (median of the rounds)`,
    slowestMedianMs: slowest,
    pass: slowest <= GOAL_MS,
    files,
  };
  await writeResult('config-load', figures);
  return figures;
}
