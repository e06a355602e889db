import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSink, defineSource } from '../core/component.js';
import { SinkWriteError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { buildRegistry } from '../core/registry.js';
import { chat } from '../../test/support/events.js';
import { buildGraph } from './graph.js';
import { loadText } from './load.js';
import { startPipeline } from './run.js';

describe('runtime: a sink with deadLetter', () => {
  it('receives each batch the driver gives up on, with the error', async () => {
    const feed = new Subject<ChatflowEvent>();
    const dead: { ids: string[]; code: string }[] = [];
    const source = defineSource({
      type: 'feed',
      summary: 'Events pushed by the test.',
      config: z.strictObject({}),
      examples: [''],
      create: () => feed,
    });
    const sink = defineSink({
      type: 'refuse',
      summary: 'Rejects every batch; keeps dead letters.',
      config: z.strictObject({}),
      examples: [''],
      create: (_config, ctx) => ({
        write: () => {
          throw new SinkWriteError(ctx.id, 'rejected');
        },
        deadLetter: (batch, err) => {
          dead.push({ ids: batch.map((e) => (e.kind === 'chat' ? e.id : e.kind)), code: (err as SinkWriteError).code });
        },
      }),
    });
    const loaded = loadText('version: 1\nsources:\n  in: { type: feed }\nsinks:\n  out: { type: refuse, inputs: [in] }\n', {
      file: 'test.yaml',
      env: {},
    });
    const graph = buildGraph(loaded, buildRegistry([source], [], [sink])).graph;
    if (!graph) throw new Error('graph did not build');
    const runtime = await startPipeline(graph, { logger: silentLogger(), resources: { baseDir: '.', instance: 'test' } });
    feed.next(chat('a', { id: 'a' }));
    feed.next(chat('b', { id: 'b' }));
    feed.complete();
    await runtime.finished;
    await runtime.stop();
    expect(dead.flatMap((d) => d.ids)).toEqual(['a', 'b']);
    expect(dead.every((d) => d.code === 'ERR_SINK_WRITE')).toBe(true);
    expect(runtime.snapshot().find((n) => n.id === 'out')?.dropped.write_failed?.count).toBe(2);
  });
});
