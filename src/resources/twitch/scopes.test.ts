import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectComponent, twitchReaderComponent } from '../../../test/support/twitchAuthComponents.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { buildRegistry } from '../../core/registry.js';
import { loadPipeline } from '../../pipelines/graph.js';
import { helixMockPort, TWITCH_ENDPOINTS } from './endpoints.js';
import { EVENTSUB_SCOPES, eventSubScopeNeeds } from './eventSubScopes.js';
import { NO_CLIENT_ID, twitchSetup } from './openTwitchAuth.js';
import { missingScopes, type NodeScopeNeed, needsTwitchAuth, scopeNeeds, scopesToRequest } from './scopes.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());
const registry = buildRegistry([twitchReaderComponent], [], [collectComponent(new Map())]);

async function graphOf(yaml: string) {
  const dir = await dirs.make('chatflow-scopes-');
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, `version: 1\n${yaml}`);
  return loadPipeline(file, { registry, env: {} });
}

const NEEDS: NodeScopeNeed[] = [
  { node: 'a', account: 'broadcaster', anyOf: ['channel:read:redemptions', 'channel:manage:redemptions'], why: 'reads redemptions' },
  { node: 'b', account: 'broadcaster', anyOf: ['channel:manage:redemptions'], why: 'fulfils redemptions' },
  { node: 'c', account: 'bot', anyOf: ['user:write:chat'], why: 'sends replies' },
];

describe('scope needs from a pipeline', () => {
  it("collects the enabled nodes' needs, with the node ids", async () => {
    const graph = await graphOf(
      'sources:\n  r: { type: twitch_reader, types: [channel.cheer, stream.online], replies: true }\n  off: { type: twitch_reader, types: [channel.follow], enabled: false }\nsinks:\n  k: { type: collect, inputs: [r, off] }\n',
    );
    expect(scopeNeeds(graph)).toEqual([
      { node: 'r', account: 'broadcaster', anyOf: ['bits:read'], why: 'reads channel.cheer' },
      { node: 'r', account: 'bot', anyOf: ['user:write:chat'], why: 'sends replies' },
    ]);
    expect(needsTwitchAuth(graph)).toBe(true);
    const none = await graphOf('sources:\n  r: { type: twitch_reader }\nsinks:\n  k: { type: collect, inputs: [r] }\n');
    expect(needsTwitchAuth(none)).toBe(false);
  });

  it('requests the first of each need, unless one already granted meets it, and keeps every granted scope', () => {
    expect(scopesToRequest(NEEDS, 'broadcaster')).toEqual(['channel:manage:redemptions', 'channel:read:redemptions']);
    expect(scopesToRequest(NEEDS.slice(0, 1), 'broadcaster', ['channel:manage:redemptions', 'bits:read'])).toEqual([
      'bits:read',
      'channel:manage:redemptions',
    ]);
    expect(scopesToRequest(NEEDS, 'bot')).toEqual(['user:write:chat']);
  });

  it('lists the needs a set of granted scopes misses, per role', () => {
    expect(missingScopes(NEEDS, 'broadcaster', ['channel:read:redemptions']).map((n) => n.node)).toEqual(['b']);
    expect(missingScopes(NEEDS, 'broadcaster', ['channel:manage:redemptions'])).toEqual([]);
    expect(missingScopes(NEEDS, 'bot', []).map((n) => n.node)).toEqual(['c']);
  });

  it('groups EventSub types by the scopes they need, and refuses a type it does not know', () => {
    expect(
      eventSubScopeNeeds(
        ['channel.poll.begin', 'channel.poll.end', 'channel.raid', 'channel.chat.message', 'channel.chat.clear'],
        'broadcaster',
      ),
    ).toEqual([
      { account: 'broadcaster', anyOf: ['channel:read:polls', 'channel:manage:polls'], why: 'reads channel.poll.begin, channel.poll.end' },
      { account: 'broadcaster', anyOf: ['user:read:chat'], why: 'reads channel.chat.message, channel.chat.clear' },
    ]);
    expect(() => eventSubScopeNeeds(['channel.hype_train.start'], 'broadcaster')).toThrow('Unknown EventSub type');
    expect(Object.keys(EVENTSUB_SCOPES)).toContain('channel.hype_train.begin');
  });
});

describe('resources.twitch', () => {
  it('takes the client id from CHATFLOW_TWITCH_CLIENT_ID first, then the file, and the endpoints from the file', async () => {
    const graph = await graphOf(
      'resources:\n  twitch: { client_id: abc123, helix_url: "http://localhost:4000" }\nsources:\n  r: { type: twitch_reader }\nsinks:\n  k: { type: collect, inputs: [r] }\n',
    );
    expect(twitchSetup(graph, {})).toEqual({
      clientId: 'abc123',
      endpoints: { auth: TWITCH_ENDPOINTS.auth, helix: 'http://localhost:4000', eventsubWs: TWITCH_ENDPOINTS.eventsubWs },
    });
    expect(twitchSetup(graph, { CHATFLOW_TWITCH_CLIENT_ID: ' fromenv ' }).clientId).toBe('fromenv');
    const bare = await graphOf('sources:\n  r: { type: twitch_reader }\nsinks:\n  k: { type: collect, inputs: [r] }\n');
    expect(bare.settings.resources.twitch).toBeUndefined();
    expect(twitchSetup(bare, {})).toEqual({ clientId: undefined, endpoints: TWITCH_ENDPOINTS });
    expect(NO_CLIENT_ID).toContain('dev.twitch.tv/console/apps');
  });

  it('rejects a client id that is not one, naming where to get one', async () => {
    await expect(
      graphOf('resources:\n  twitch: { client_id: "My App!" }\nsources:\n  r: { type: twitch_reader }\nsinks:\n  k: { type: collect, inputs: [r] }\n'),
    ).rejects.toThrow(/dev\.twitch\.tv\/console\/apps/);
  });

  it("points twurple at a local Helix only through http://localhost:<port> (twurple 7's mockServerPort)", () => {
    expect(helixMockPort(TWITCH_ENDPOINTS.helix)).toBeUndefined();
    expect(helixMockPort('https://api.twitch.tv/helix/')).toBeUndefined();
    expect(helixMockPort('http://localhost:4000')).toBe(4000);
    expect(helixMockPort('http://127.0.0.1:4000/')).toBe(4000);
    expect(helixMockPort('http://localhost:4000/helix')).toMatch(/http:\/\/localhost:<port>/);
    expect(helixMockPort('https://example.com/helix')).toMatch(/Expected Twitch's Helix URL/);
  });
});
