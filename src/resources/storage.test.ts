import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultRegistry } from '../components.js';
import { defineOperator, defineSink, defineSource, type PrepareContext } from '../core/component.js';
import { silentLogger } from '../core/logger.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { buildRegistry, type Registry } from '../core/registry.js';
import { provide, Services, serviceKey } from '../core/services.js';
import { buildGraph } from '../pipelines/graph.js';
import { loadText } from '../pipelines/load.js';
import { openStorage, resourcesNeeded } from './storage.js';

const SEEN = serviceKey<string>('seen');

/** Components no code outside this test knows, declaring their facts only on their definitions. */
function testRegistry(prepared: PrepareContext[]): Registry {
  const empty = z.strictObject({});
  const source = defineSource({ type: 'gen', summary: 'Nothing.', config: empty, examples: [''], create: () => EMPTY });
  const stash = defineSink({
    type: 'stash',
    summary: 'Keeps events in Redis or not.',
    config: z.strictObject({
      store: z.enum(['redis', 'memory']).default('memory').describe('Where.'),
      broken: z.boolean().default(false).describe('Its prepare fails.'),
    }),
    examples: [''],
    needs: (config) => (config.store === 'redis' ? ['redis'] : []),
    prepare: async (config, ctx) => {
      if (config.broken) throw new Error('cannot prepare');
      prepared.push(ctx);
      return [provide(SEEN, `${config.store} ${ctx.redis?.url ?? 'none'}`)];
    },
    create: () => ({ write: () => {} }),
  });
  const archive = defineOperator({
    type: 'archive',
    summary: 'Passes events, after noting them in PostgreSQL.',
    config: empty,
    examples: [''],
    needs: () => ['postgres'],
    create: () => (events) => events,
  });
  return buildRegistry([source], [archive], [stash]);
}

function graphOf(yaml: string, registry: Registry): PipelineGraph {
  const result = buildGraph(loadText(`version: 1\n${yaml}`, { file: 'p.yaml', env: {} }), registry);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

describe('resourcesNeeded', () => {
  it("reads each enabled node's definition, for a component no list names", () => {
    const registry = testRegistry([]);
    const graph = (stash: string, archive: string) =>
      graphOf(
        `sources:\n  g: { type: gen }\noperators:\n  a: { type: archive, inputs: [g]${archive} }\nsinks:\n  s: { type: stash, inputs: [a]${stash} }\n`,
        registry,
      );
    expect(resourcesNeeded(graph(', store: redis', ''))).toEqual({ redis: true, postgres: true });
    expect(resourcesNeeded(graph(', store: memory', ', enabled: false'))).toEqual({ redis: false, postgres: false });
    expect(resourcesNeeded(graph(', store: redis, enabled: false', ''))).toEqual({ redis: false, postgres: true });
  });

  it('reads what the storage components and the redis-scoped limits declare', () => {
    const registry = defaultRegistry();
    const graph = (operators: string, sinks: string) =>
      graphOf(`sources:\n  demo: { type: simulate, rate: 1/s }\noperators:\n${operators}sinks:\n${sinks}`, registry);
    const local = '  fair: { type: throttle, inputs: [demo], rate: 1/s }\n  cool: { type: cooldown, inputs: [fair], duration: 1s }\n';
    const shared =
      '  fair: { type: throttle, inputs: [demo], rate: 1/s, scope: redis }\n  cool: { type: cooldown, inputs: [fair], duration: 1s }\n';
    const sharedCool =
      '  fair: { type: throttle, inputs: [demo], rate: 1/s }\n  cool: { type: cooldown, inputs: [fair], duration: 1s, scope: redis }\n';
    const out = '  out: { type: blackhole, inputs: [cool] }\n';
    expect(resourcesNeeded(graph(local, out))).toEqual({ redis: false, postgres: false });
    expect(resourcesNeeded(graph(shared, out))).toEqual({ redis: true, postgres: false });
    expect(resourcesNeeded(graph(sharedCool, out))).toEqual({ redis: true, postgres: false });
    expect(resourcesNeeded(graph(local, `${out}  state: { type: redis_state, inputs: [cool] }\n`))).toEqual({
      redis: true,
      postgres: false,
    });
    expect(resourcesNeeded(graph(local, `${out}  history: { type: postgres, inputs: [cool] }\n`))).toEqual({
      redis: false,
      postgres: true,
    });
  });
});

describe('openStorage', () => {
  it("runs every enabled node's prepare with the servers that are up, and hands on what it provides", async () => {
    const prepared: PrepareContext[] = [];
    const registry = testRegistry(prepared);
    const url = 'redis://127.0.0.1:1';
    const graph = graphOf(
      [
        `resources: { redis: { url: "${url}" }, postgres: { url: "off" } }`,
        'sources:\n  g: { type: gen }',
        'sinks:',
        '  s: { type: stash, inputs: [g], store: redis }',
        '  off: { type: stash, inputs: [g], enabled: false }',
        '',
      ].join('\n'),
      registry,
    );
    const storage = await openStorage(graph, { baseDir: '.', logger: silentLogger() });
    try {
      expect(prepared.map((ctx) => [ctx.redis, ctx.postgres])).toEqual([[{ url }, undefined]]);
      expect(new Services(storage.provided).get(SEEN)).toBe(`redis ${url}`);
    } finally {
      await storage.close();
    }
  });

  it('goes on without what a failing prepare would provide', async () => {
    const prepared: PrepareContext[] = [];
    const graph = graphOf(
      'sources:\n  g: { type: gen }\nsinks:\n  bad: { type: stash, inputs: [g], broken: true }\n  good: { type: stash, inputs: [g] }\n',
      testRegistry(prepared),
    );
    const storage = await openStorage(graph, { baseDir: '.', logger: silentLogger() });
    try {
      expect(prepared).toHaveLength(1);
      expect(new Services(storage.provided).get(SEEN)).toBe('memory none');
    } finally {
      await storage.close();
    }
  });

  it('prepares without a server the graph does not need', async () => {
    const prepared: PrepareContext[] = [];
    const graph = graphOf('sources:\n  g: { type: gen }\nsinks:\n  s: { type: stash, inputs: [g] }\n', testRegistry(prepared));
    const storage = await openStorage(graph, { baseDir: '.', logger: silentLogger() });
    try {
      expect(storage.resources).toEqual({});
      expect(new Services(storage.provided).get(SEEN)).toBe('memory none');
    } finally {
      await storage.close();
    }
  });
});
