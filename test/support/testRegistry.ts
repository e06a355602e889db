/**
 * A small registry of fake components for tests of the config side (load, graph, checks),
 * independent of the real components: one of each shape the checks care about.
 */
import { EMPTY, map } from 'rxjs';
import { z } from 'zod';
import { defineOperator, defineSink, defineSource } from '../../src/core/component.js';
import { buildRegistry, type Registry } from '../../src/core/registry.js';
import { duration, rate } from '../../src/core/units.js';

export const GenConfig = z.strictObject({
  rate: rate().describe('How many events to make.'),
  seed: z.number().int().optional().describe('Random seed, for repeatable runs.'),
  users: z.number().int().positive().default(10).describe('How many fake chatters.'),
});

/** A source: `{ type: gen, rate: 20/s }`. */
export const genComponent = defineSource({
  type: 'gen',
  summary: 'Makes fake chat.',
  config: GenConfig,
  examples: ['rate: 20/s'],
  create: () => EMPTY,
});

export const PassConfig = z.strictObject({
  label: z.string().optional().describe('A name shown in traces.'),
  format: z.string().optional().describe('A `{{ }}` template.'),
});

/** A single-output operator that passes events through. */
export const passComponent = defineOperator({
  type: 'pass',
  summary: 'Passes events through.',
  config: PassConfig,
  examples: [''],
  create: () => (source) => source,
});

export const SplitConfig = z.strictObject({
  cases: z
    .record(
      z.string(),
      z.strictObject({
        match: z.string().describe('Text that selects this case.'),
        every: duration().optional().describe('Minimum gap between events of this case.'),
      }),
    )
    .describe('One output port per case.'),
});

/** A ported operator (like `parse_command`): one port per case plus `_unmatched`, mirrored. */
export const splitComponent = defineOperator({
  type: 'split',
  summary: 'Routes events to one port per case.',
  config: SplitConfig,
  examples: ['cases: { cv: { match: "!cv" } }'],
  ports: (config) => [...Object.keys(config.cases), '_unmatched'],
  mirrorToDefault: true,
  create: () => map((event) => ({ port: '', event })),
});

export const LimitConfig = z.strictObject({
  rate: rate().describe('Events let through.'),
});

/** A ported operator without mirroring (like `throttle`): default output plus `_limited`. */
export const limitComponent = defineOperator({
  type: 'limit',
  summary: 'Lets events through at a rate.',
  config: LimitConfig,
  examples: ['rate: 1/2s'],
  ports: () => ['_limited'],
  create: () => map((event) => ({ port: '', event })),
});

export const OutConfig = z.strictObject({
  path: z.string().min(1).describe('Where to write.'),
  address: z.string().optional().describe('A `{{ }}` template for the address.'),
});

/** A sink that does nothing. */
export const outComponent = defineSink({
  type: 'out',
  summary: 'Writes events nowhere.',
  config: OutConfig,
  examples: ['path: out.log'],
  create: () => ({ write: () => undefined }),
});

/** The registry of the fake components above. */
export function testRegistry(): Registry {
  return buildRegistry([genComponent], [limitComponent, passComponent, splitComponent], [outComponent]);
}
