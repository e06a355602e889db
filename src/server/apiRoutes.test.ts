import { describe, expect, it } from 'vitest';
import { type MetricRoles, NodeMetrics, type NodeKind, type NodeStatus } from '../core/metrics.js';
import { healthView, statsCounts } from './apiRoutes.js';

function node(
  id: string,
  kind: NodeKind,
  type: string,
  status: NodeStatus,
  out: Record<string, number> = {},
  roles?: MetricRoles,
) {
  const m = new NodeMetrics(id, kind, type, roles);
  m.status = status;
  for (const [port, n] of Object.entries(out)) m.out(port).value = n;
  return m.snapshot();
}

describe('healthView', () => {
  it('is ok while every source is live and every sink runs', () => {
    const view = healthView('i1', 12, [
      node('tw', 'source', 'twitch', 'live'),
      node('off', 'source', 'kick', 'disabled'),
      node('cv', 'operator', 'control', 'running'),
      node('osc', 'sink', 'osc', 'running'),
    ]);
    expect(view).toEqual({
      status: 'ok',
      instance: 'i1',
      uptimeS: 12,
      sources: [
        { id: 'tw', type: 'twitch', status: 'live' },
        { id: 'off', type: 'kick', status: 'disabled' },
      ],
      sinks: [{ id: 'osc', type: 'osc', status: 'running', bufferDepth: 0 }],
    });
  });

  it.each(['connecting', 'reconnecting', 'stale', 'failed'] as const)('is degraded when a source is %s', (status) => {
    expect(healthView('i', 0, [node('tw', 'source', 'twitch', status)]).status).toBe('degraded');
  });

  it('is degraded when a sink has failed while every source is live', () => {
    const view = healthView('i', 0, [node('tw', 'source', 'twitch', 'live'), node('db', 'sink', 'postgres', 'failed')]);
    expect(view.status).toBe('degraded');
    expect(view.sinks).toEqual([{ id: 'db', type: 'postgres', status: 'failed', bufferDepth: 0 }]);
  });

  it("shows a sink's parts (the chat sink's platforms) without judging them: a signed-out platform keeps /health ok", () => {
    const m = new NodeMetrics('bot', 'sink', 'chat');
    m.status = 'running';
    m.reportParts(() => [
      { name: 'twitch', state: 'signed_out', detail: 'run `chatflow auth twitch --bot`', queued: 0, sent: 0, dropped: 2 },
      { name: 'kick', state: 'backing_off', until: 1_800_000_030_000, queued: 3, sent: 5, dropped: 0 },
    ]);
    const view = healthView('i', 0, [node('tw', 'source', 'twitch', 'live'), m.snapshot()]);
    expect(view.status).toBe('ok');
    expect(view.sinks).toEqual([
      {
        id: 'bot',
        type: 'chat',
        status: 'running',
        bufferDepth: 0,
        parts: [
          { name: 'twitch', state: 'signed_out', detail: 'run `chatflow auth twitch --bot`', queued: 0, sent: 0, dropped: 2 },
          { name: 'kick', state: 'backing_off', until: 1_800_000_030_000, queued: 3, sent: 5, dropped: 0 },
        ],
      },
    ]);
  });

  it('ignores operators', () => {
    expect(healthView('i', 0, [node('cv', 'operator', 'control', 'failed')]).status).toBe('ok');
  });
});

describe('statsCounts', () => {
  const COMMANDS: MetricRoles = { commandPorts: true };

  it('counts messages per source type and commands per command port', () => {
    const counts = statsCounts([
      node('tw', 'source', 'twitch', 'live', { '': 10 }),
      node('tw2', 'source', 'twitch', 'live', { '': 5 }),
      node('k', 'source', 'kick', 'live', { '': 2 }),
      node('cmds', 'operator', 'parse_command', 'running', { '': 9, cv: 6, pitch: 3, _unmatched: 8, _invalid: 1 }, COMMANDS),
    ]);
    expect(counts).toEqual({
      messages: { total: 17, byPlatform: { twitch: 15, kick: 2 } },
      commands: { total: 9, byName: { cv: 6, pitch: 3 } },
    });
  });

  it('counts the ports of any node whose component declares command ports, and of no other', () => {
    const counts = statsCounts([
      node('bot', 'operator', 'my_parser', 'running', { '': 4, hello: 4, _unmatched: 2 }, COMMANDS),
      node('split', 'operator', 'route', 'running', { '': 7, loud: 7 }),
    ]);
    expect(counts.commands).toEqual({ total: 4, byName: { hello: 4 } });
  });
});
