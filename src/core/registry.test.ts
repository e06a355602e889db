import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { defaultRegistry } from '../components.js';
import { buildGraph } from '../pipelines/graph.js';
import { loadText } from '../pipelines/load.js';
import type { ComponentDefinition } from './component.js';
import { nodeSchema, pipelineSchema } from './registry.js';

const registry = defaultRegistry();
const all: ComponentDefinition[] = [...registry.sources.values(), ...registry.operators.values(), ...registry.sinks.values()];

describe('the component registry', () => {
  it('has unique, snake_case types', () => {
    const types = all.map((d) => `${d.kind}:${d.type}`);
    expect(new Set(types).size).toBe(types.length);
    for (const def of all) expect(def.type).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });

  it('documents every component and every option', () => {
    for (const def of all) {
      expect(def.summary.length, def.type).toBeGreaterThan(10);
      expect(def.examples.length, def.type).toBeGreaterThan(0);
      for (const [key, field] of Object.entries(def.config.shape)) {
        expect((field as z.ZodType).description, `${def.type}.${key}`).toBeTruthy();
      }
    }
  });

  for (const def of all) {
    it(`${def.kind} "${def.type}": every example parses through its schema`, () => {
      for (const example of def.examples) {
        const parsed = def.config.safeParse(parseYaml(example || '{}') ?? {});
        expect(parsed.error?.issues ?? [], example).toEqual([]);
      }
    });
  }

  it('rejects an unknown key with an issue that names the node and the key', () => {
    const text = 'version: 1\nsources:\n  demo: { type: simulate, rte: 20/s }\nsinks:\n  out: { type: console, inputs: [demo] }\n';
    const { issues } = buildGraph(loadText(text, { file: 'p.yaml', env: {} }), registry);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'unknown_key', path: 'sources.demo.rte', suggestion: 'rate' });
  });

  it('builds a JSON Schema of the whole pipeline and of every node', () => {
    expect(() => z.toJSONSchema(pipelineSchema(registry), { io: 'input', unrepresentable: 'any' })).not.toThrow();
    for (const def of all) {
      expect(() => z.toJSONSchema(nodeSchema(def), { io: 'input', unrepresentable: 'any' }), def.type).not.toThrow();
    }
  });
});
