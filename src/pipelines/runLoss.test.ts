import { pino } from 'pino';
import { Subject, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOperator, defineSink, defineSource } from '../core/component.js';
import { SinkWriteError } from '../core/errors.js';
import type { AlertEvent, ChatflowEvent } from '../core/events.js';
import { buildRegistry } from '../core/registry.js';
import { chat } from '../../test/support/events.js';
import { buildGraph } from './graph.js';
import { loadText } from './load.js';
import { startPipeline } from './run.js';

/** A feed, an operator that drops "skip" on purpose, a sink that refuses everything and one that keeps it. */
function setup() {
  const feed = new Subject<ChatflowEvent>();
  const kept: ChatflowEvent[] = [];
  const lines: { level: number; msg: string; node?: string; lost?: Record<string, number> }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const source = defineSource({
    type: 'feed',
    summary: 'Events pushed by the test.',
    config: z.strictObject({}),
    examples: [''],
    create: () => feed,
  });
  const skip = defineOperator({
    type: 'skip',
    summary: 'Drops chat saying "skip", on purpose.',
    config: z.strictObject({}),
    examples: [''],
    create: (_config, ctx) =>
      filter((e: ChatflowEvent) => {
        if (e.kind === 'chat' && e.text === 'skip') {
          ctx.metrics.drop('filtered', true);
          return false;
        }
        return true;
      }),
  });
  const refuse = defineSink({
    type: 'refuse',
    summary: 'Rejects every batch.',
    config: z.strictObject({}),
    examples: [''],
    create: (_config, ctx) => ({
      write: () => {
        throw new SinkWriteError(ctx.id, 'rejected');
      },
    }),
  });
  const keep = defineSink({
    type: 'keep',
    summary: 'Keeps every batch.',
    config: z.strictObject({}),
    examples: [''],
    create: () => ({
      write: (batch) => {
        kept.push(...batch);
      },
    }),
  });
  const registry = buildRegistry([source], [skip], [keep, refuse]);
  const graph = (yaml: string) => {
    const built = buildGraph(loadText(yaml, { file: 'test.yaml', env: {} }), registry).graph;
    if (!built) throw new Error('graph did not build');
    return built;
  };
  return { feed, kept, lines, logger, graph };
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

const YAML = `version: 1
sources:
  in: { type: feed }
operators:
  mid: { type: skip, inputs: [in] }
sinks:
  bad: { type: refuse, inputs: [mid] }
  good: { type: keep, inputs: [mid] }
`;

describe('runtime: loss is loud', () => {
  it('raises a data_loss alert and logs "Events lost." for a sink that loses events; the stop report says what was lost', async () => {
    const s = setup();
    const runtime = await startPipeline(s.graph(YAML), { logger: s.logger, resources: { baseDir: '.', instance: 'test' } });
    const alerts: AlertEvent[] = [];
    runtime.alerts.subscribe((a) => alerts.push(a));
    s.feed.next(chat('skip', { id: 's1' }));
    s.feed.next(chat('a', { id: 'a' }));
    s.feed.next(chat('b', { id: 'b' }));
    await until(() => alerts.length > 0 && s.kept.length === 2);
    expect(alerts[0]).toMatchObject({ rule: 'data_loss:bad', severity: 'critical', state: 'firing', instance: 'test' });
    expect(runtime.alerts.active().map((a) => a.rule)).toEqual(['data_loss:bad']);
    expect(s.lines.filter((l) => l.msg === 'Events lost.').map((l) => l.node)).toEqual(['bad']);
    const report = await runtime.stop();
    expect(report.lost).toEqual({
      total: 2,
      entries: [{ node: 'bad', type: 'refuse', kind: 'sink', reason: 'write_failed', count: 2 }],
    });
    // The intentional drop on `mid` is not loss.
    expect(runtime.snapshot().find((n) => n.id === 'mid')?.dropped.filtered?.count).toBe(1);
  });

  it('loses nothing: no alert, an empty report', async () => {
    const s = setup();
    const runtime = await startPipeline(s.graph(YAML.replace('type: refuse', 'type: keep')), {
      logger: s.logger,
      resources: { baseDir: '.', instance: 'test' },
    });
    s.feed.next(chat('skip', { id: 's1' }));
    s.feed.next(chat('a', { id: 'a' }));
    await until(() => s.kept.length === 2);
    const report = await runtime.stop();
    expect(report.lost).toEqual({ total: 0, entries: [] });
    expect(runtime.alerts.active()).toEqual([]);
    expect(s.lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('keeps the losses of a sink a reload removed in the stop report, and clears its alert', async () => {
    const s = setup();
    const runtime = await startPipeline(s.graph(YAML), { logger: s.logger, resources: { baseDir: '.', instance: 'test' } });
    const alerts: AlertEvent[] = [];
    runtime.alerts.subscribe((a) => alerts.push(a));
    s.feed.next(chat('a', { id: 'a' }));
    await until(() => alerts.length === 1);
    await runtime.reload(s.graph(YAML.replace(/ {2}bad: .*\n/, '')));
    expect(alerts.map((a) => [a.rule, a.state])).toEqual([
      ['data_loss:bad', 'firing'],
      ['data_loss:bad', 'resolved'],
    ]);
    const report = await runtime.stop();
    expect(report.lost.entries).toEqual([{ node: 'bad', type: 'refuse', kind: 'sink', reason: 'write_failed', count: 1 }]);
  });
});
