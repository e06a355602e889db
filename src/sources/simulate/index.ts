/** The `simulate` source: the registry's record, and what other code may use. */
import { defineSource } from '../../core/component.js';
import { SimulateConfig } from './config.js';
import { simulate } from './simulate.js';

export const simulateComponent = defineSource({
  type: 'simulate',
  summary: 'Deterministic synthetic chat (commands, emotes, links, spam, Unicode tricks) for demos, tests and load.',
  description:
    'The same `seed` always gives the same messages from the same users (a broadcaster per platform, a few mods and VIPs, subscribers or members). Message ids are `sim-<seed>-<n>`. With `rate: max` or a high rate and `count`, it doubles as a load generator.',
  config: SimulateConfig,
  pausable: true,
  examples: [
    'rate: 20/s\nusers: 200\nseed: 1',
    'rate: max\ncount: 1000000\nplatforms: [twitch]',
    'rate: 5/s\nplatforms: [twitch, kick]\nmix: { command: 80, unicode: 0 }\ncommands: ["!cv cutoff {0.0..1.0}", "!pitch {note}", "!mode {saw|square|sine}"]',
  ],
  create: (config, ctx) => simulate(config, ctx.scheduler, ctx.clock, ctx.setHealth, ctx.wallClock, ctx.flow),
});

export { SimulateConfig, SimulateMix } from './config.js';
export { type ChatGenerator, type ChatGeneratorOptions, createChatGenerator, simulate } from './simulate.js';
