import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultGraphText, readDefaultPipeline } from './defaultGraph.js';

type Doc = {
  sources: Record<string, Record<string, unknown>>;
  operators: Record<string, Record<string, unknown>>;
  sinks: Record<string, Record<string, unknown>>;
};

const edit = async (edits: Partial<Parameters<typeof defaultGraphText>[1]>): Promise<Doc> =>
  parse(
    defaultGraphText(await readDefaultPipeline(), {
      rate: 5000,
      seed: 42,
      oscTarget: '127.0.0.1:9999',
      metrics: true,
      postgres: 'on',
      ...edits,
    }),
  ) as Doc;

describe('defaultGraphText', () => {
  it('sets the offered rate and a seed (fresh ids), and aims the osc sink at the receiver', async () => {
    const doc = await edit({ oscCarriesReceivedAt: true });
    expect(doc.sources.demo).toMatchObject({ type: 'simulate', rate: '5000/s', seed: 42 });
    expect(doc.sinks.synth).toMatchObject({ target: '127.0.0.1:9999' });
    expect((doc.sinks.synth?.args as { type: string }[] | undefined)?.map((a) => a.type)).toEqual(['f', 'd']);
    expect(Object.keys(doc.sinks)).toEqual(['show', 'synth', 'overlay', 'state', 'history', 'metrics']);
  });

  it('metrics off: no sample_metrics node, no metrics sink, and no input from them elsewhere', async () => {
    const doc = await edit({ metrics: false });
    expect(Object.values(doc.operators).filter((o) => o.type === 'sample_metrics')).toEqual([]);
    expect(doc.sinks.metrics).toBeUndefined();
    expect(doc.sinks.history?.inputs).toEqual(['once', 'cmds', 'cmds._invalid', 'cv']);
  });

  it('metrics stand_in: each sample_metrics node becomes a filter on its inputs that drops everything; the rest as off', async () => {
    const on = await edit({});
    const standIn = await edit({ metrics: 'stand_in' });
    expect(standIn.operators.stats).toEqual({ type: 'filter', inputs: on.operators.stats?.inputs, not: {} });
    expect(standIn.sinks.metrics).toBeUndefined();
    expect(standIn.sinks.history?.inputs).toEqual(['once', 'cmds', 'cmds._invalid', 'cv']);
  });

  it('postgres null: the history sink becomes a blackhole with the same inputs; off: it is gone', async () => {
    const on = await edit({});
    const nulled = await edit({ postgres: 'null' });
    expect(nulled.sinks.history).toEqual({ type: 'blackhole', inputs: on.sinks.history?.inputs });
    expect((await edit({ postgres: 'off' })).sinks.history).toBeUndefined();
  });
});
