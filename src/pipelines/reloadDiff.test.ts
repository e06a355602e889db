import { describe, expect, it } from 'vitest';
import type { GraphNode, PipelineGraph, PipelineSettingsResolved } from '../core/pipelineGraph.js';
import { deepEqual, diffGraphs, settingChanges } from './reloadDiff.js';

const settings: PipelineSettingsResolved = {
  server: { listen: '127.0.0.1:8080', token: 'a' },
  resources: { redis: { url: 'embedded' }, postgres: { url: 'embedded' } },
};

function node(id: string, over: Partial<GraphNode> = {}): GraphNode {
  return {
    id,
    kind: 'operator',
    section: 'operators',
    type: 'tag',
    definition: {} as GraphNode['definition'],
    config: {},
    driver: undefined,
    enabled: true,
    inputs: [],
    ports: [],
    position: { line: 1, col: 1 },
    ...over,
  };
}

function graph(nodes: GraphNode[], s = settings): PipelineGraph {
  return { file: 'p.yaml', settings: s, nodes: new Map(nodes.map((n) => [n.id, n])), order: nodes.map((n) => n.id), warnings: [] };
}

describe('diffGraphs', () => {
  it('classifies every node by id: unchanged, changed, rewired, added, removed', () => {
    const running = graph([
      node('same', { config: { a: 1, b: [1, 2] } }),
      node('config', { config: { rate: 1 } }),
      node('type'),
      node('off'),
      node('driver', { kind: 'sink', driver: { buffer: { max_events: 10 } } as GraphNode['driver'] }),
      node('wires', { inputs: [{ node: 'same', port: '' }] }),
      node('gone'),
    ]);
    const next = graph([
      node('same', { config: { b: [1, 2], a: 1 } }),
      node('config', { config: { rate: 2 } }),
      node('type', { type: 'other' }),
      node('off', { enabled: false }),
      node('driver', { kind: 'sink', driver: { buffer: { max_events: 20 } } as GraphNode['driver'] }),
      node('wires', { inputs: [{ node: 'same', port: 'cmd' }] }),
      node('new'),
    ]);
    expect(Object.fromEntries(diffGraphs(running, next).nodes)).toEqual({
      same: 'unchanged',
      config: 'changed',
      type: 'changed',
      off: 'changed',
      driver: 'changed',
      wires: 'rewired',
      new: 'added',
      gone: 'removed',
    });
  });

  it('reports start-only settings, naming a secret or a URL without its value', () => {
    const next: PipelineSettingsResolved = {
      server: { listen: '0.0.0.0:9000', token: 'b' },
      resources: { redis: { url: 'redis://:pw@h' }, postgres: { url: 'embedded' } },
    };
    expect(settingChanges(settings, next)).toEqual([
      { setting: 'server.listen', from: '127.0.0.1:8080', to: '0.0.0.0:9000' },
      { setting: 'server.token' },
      { setting: 'resources.redis.url' },
    ]);
    expect(settingChanges(settings, settings)).toEqual([]);
  });

  it('reports resources.twitch (the client id and endpoints the sign-in service was opened with) as start-only', () => {
    const twitch = { clientId: 'abc', authUrl: 'a', helixUrl: 'h', eventsubUrl: 'e' };
    const withTwitch = { ...settings, resources: { ...settings.resources, twitch } };
    expect(settingChanges(settings, withTwitch)).toEqual([{ setting: 'resources.twitch' }]);
    const other = { ...settings, resources: { ...settings.resources, twitch: { ...twitch, clientId: 'def' } } };
    expect(settingChanges(withTwitch, other)).toEqual([{ setting: 'resources.twitch' }]);
    expect(settingChanges(withTwitch, { ...withTwitch })).toEqual([]);
  });
});

describe('deepEqual', () => {
  it('compares parsed configs by content, whatever the key order', () => {
    expect(deepEqual({ a: { x: [1, { y: 2 }] }, b: 'z' }, { b: 'z', a: { x: [1, { y: 2 }] } })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual(/ab/i, /ab/i)).toBe(true);
    expect(deepEqual(/ab/i, /ab/g)).toBe(false);
    expect(deepEqual(new Map([['k', [1]]]), new Map([['k', [1]]]))).toBe(true);
    expect(deepEqual(new Map([['k', [1]]]), new Map([['k', [2]]]))).toBe(false);
    expect(deepEqual(new Set(['a', 'b']), new Set(['b', 'a']))).toBe(true);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(deepEqual({ a: 1 }, [1])).toBe(false);
  });
});
