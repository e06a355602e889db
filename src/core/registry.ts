/**
 * The registry: the explicit component lists, and every schema built from them: one node's
 * schema, the whole pipeline file's schema (→ pipeline.schema.json) and the reference docs.
 */
import { z } from 'zod';
import type {
  ComponentDefinition,
  OperatorDefinition,
  SinkDefinition,
  SourceDefinition,
} from './component.js';
import { SinkDriverConfig } from './sinkDriverConfig.js';

export interface Registry {
  readonly sources: ReadonlyMap<string, SourceDefinition>;
  readonly operators: ReadonlyMap<string, OperatorDefinition>;
  readonly sinks: ReadonlyMap<string, SinkDefinition>;
}

export type Section = 'sources' | 'operators' | 'sinks';
export const SECTIONS: readonly Section[] = ['sources', 'operators', 'sinks'];

/** Keys the runtime reads on every node, besides the component's own. */
export const COMMON_NODE_KEYS = ['type', 'inputs', 'enabled'] as const;
export const SINK_DRIVER_KEYS = Object.keys(SinkDriverConfig.shape) as readonly string[];

export function buildRegistry(
  sources: readonly SourceDefinition[],
  operators: readonly OperatorDefinition[],
  sinks: readonly SinkDefinition[],
): Registry {
  const seen = new Set<string>();
  const index = <D extends ComponentDefinition>(defs: readonly D[]): Map<string, D> => {
    const map = new Map<string, D>();
    for (const def of defs) {
      const key = `${def.kind}:${def.type}`;
      if (seen.has(key)) throw new Error(`Component type "${def.type}" is registered twice`);
      seen.add(key);
      map.set(def.type, def);
    }
    return map;
  };
  return { sources: index(sources), operators: index(operators), sinks: index(sinks) };
}

const enabledField = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .default(true)
  .transform((v) => v === true || v === 'true')
  .describe('`false` keeps the node validated and drawn, but does not start it.');

const inputsField = z
  .array(z.string().min(1))
  .min(1)
  .describe('Where events come from: a node id, `node.port`, or a glob such as `"*"` or `"cmds.*"`.');

/** The schema of one node of pipeline.yaml: the component's config plus the common keys. */
export function nodeSchema(def: ComponentDefinition) {
  const common = {
    type: z.literal(def.type).describe(def.summary),
    enabled: enabledField.optional(),
  };
  switch (def.kind) {
    case 'source':
      return def.config.safeExtend(common);
    case 'operator':
      return def.config.safeExtend({ ...common, inputs: inputsField });
    case 'sink':
      return def.config.safeExtend({ ...common, inputs: inputsField, ...SinkDriverConfig.shape });
  }
}

export const ServerSettings = z
  .strictObject({
    listen: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'Expected host:port, such as 127.0.0.1:8080')
      .default('127.0.0.1:8080')
      .describe('Address of the one HTTP server (overlay, dashboard, API).'),
    token: z
      .string()
      .default('')
      .describe('When set, the dashboard and API require it (the overlay does not).'),
  })
  .describe('The HTTP server of this process.');

const resourceUrl = z
  .string()
  .default('embedded')
  .describe('A connection URL, `embedded` (start a private server under .chatflow/), or `off`.');

const localOrUrl = (what: string, fallback: string) =>
  z
    .url()
    .default(fallback)
    .describe(`${what} Twitch's by default; a local test server's for tests.`);

/** `resources.twitch`: the application a pipeline signs in with. */
export const TwitchSettings = z.strictObject({
  client_id: z
    .string()
    .regex(/^[a-z0-9]{1,64}$/, 'Expected a Twitch client id (lower-case letters and digits, from dev.twitch.tv/console/apps)')
    .optional()
    .describe(
      'Client id of your Twitch application (dev.twitch.tv/console/apps, client type Public, Device Code Grant enabled). `CHATFLOW_TWITCH_CLIENT_ID` overrides it. Not a secret.',
    ),
  auth_url: localOrUrl('OAuth base URL.', 'https://id.twitch.tv/oauth2'),
  helix_url: localOrUrl('Helix base URL (a local one must be `http://localhost:<port>`).', 'https://api.twitch.tv/helix'),
  eventsub_url: localOrUrl('EventSub WebSocket URL.', 'wss://eventsub.wss.twitch.tv/ws'),
});

export const ResourceSettings = z
  .strictObject({
    redis: z.strictObject({ url: resourceUrl }).optional().describe('Redis, for state and shared limits.'),
    postgres: z.strictObject({ url: resourceUrl }).optional().describe('PostgreSQL, for history.'),
    twitch: TwitchSettings.optional().describe(
      'Twitch sign-in (`chatflow auth twitch`): the client id of your Twitch application, and where Twitch lives. See docs/twitch.md "Sign-in".',
    ),
  })
  .describe('Shared servers the sinks use.');

/** The top-level keys of pipeline.yaml other than the node sections. */
export const PipelineSettings = z.strictObject({
  version: z.literal(1).describe('Format version of this file; always 1.'),
  server: ServerSettings.optional(),
  resources: ResourceSettings.optional(),
});

/** The schema of a whole pipeline file, for editors (pipeline.schema.json). */
export function pipelineSchema(registry: Registry) {
  const section = (defs: ReadonlyMap<string, ComponentDefinition>, what: string) => {
    const nodes = [...defs.values()].map((def) => nodeSchema(def));
    const node =
      nodes.length === 0
        ? z.never()
        : nodes.length === 1
          ? (nodes[0] as (typeof nodes)[number])
          : z.discriminatedUnion('type', nodes as [(typeof nodes)[number], ...(typeof nodes)[number][]]);
    return z.record(z.string().regex(/^[A-Za-z_][\w-]*$/), node).optional().describe(what);
  };
  return PipelineSettings.safeExtend({
    sources: section(registry.sources, 'Where events come from, keyed by node id.'),
    operators: section(registry.operators, 'What happens to events, keyed by node id.'),
    sinks: section(registry.sinks, 'Where events go, keyed by node id.'),
  }).describe('A chatflow pipeline.');
}
