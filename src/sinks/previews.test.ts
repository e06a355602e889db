/** The `preview` fact of every shipped sink: what it would send, by its own encoding, with no I/O. */
import { describe, expect, it } from 'vitest';
import type { PreviewOutput, SinkDefinition } from '../core/component.js';
import type { ChatflowEvent, CommandEvent, ControlEvent, MetricEvent } from '../core/events.js';
import { chat } from '../../test/support/events.js';
import { testContext } from '../../test/support/context.js';
import { VirtualScheduler } from '../testing/virtualScheduler.js';
import { sinkComponents } from './index.js';

const control = (variable: string, value: number, origin: ControlEvent['origin'] = 'command', ts = 0): ControlEvent => ({
  kind: 'control',
  variable,
  value,
  previous: 0,
  origin,
  ts,
  receivedAt: ts,
  by: { login: 'ada', platform: 'twitch' },
});

function sinkDef(type: string): SinkDefinition {
  const def = sinkComponents.find((d) => d.type === type);
  if (!def) throw new Error(`no sink ${type}`);
  return def;
}

/** The preview of `type` with `config` (parsed), on a virtual scheduler; returns what it emitted. */
function preview(type: string, config: Record<string, unknown> = {}, scheduler = new VirtualScheduler(0)) {
  const def = sinkDef(type);
  const outputs: { at: number; output: PreviewOutput }[] = [];
  const ctx = testContext({ id: type, kind: 'sink', type, scheduler });
  const p = def.preview?.(def.config.parse(config), ctx, (output) => outputs.push({ at: scheduler.now(), output }));
  if (!p) throw new Error(`${type} has no preview`);
  return { p, outputs, ctx, scheduler, values: () => outputs.map((o) => o.output) };
}

describe('sink previews', () => {
  it('every shipped sink has one', () => {
    expect(sinkComponents.filter((d) => d.preview === undefined).map((d) => d.type)).toEqual([]);
  });

  it('blackhole: sends nothing', () => {
    const { p, values } = preview('blackhole');
    p.write([chat('hi'), control('x', 1)]);
    expect(values()).toEqual([]);
  });

  it('console: the line it prints, rate limit and "… N more" included', async () => {
    const { p, values, ctx, scheduler } = preview('console', { max_lines: '2/s' });
    p.write([chat('one', { user: 'ada' }), chat('two'), chat('three')]);
    await scheduler.advance(1000);
    expect(values()).toEqual([{ line: '[twitch] #chan ada: one' }, { line: '[twitch] #chan viewer: two' }, { line: '… 1 more' }]);
    expect(ctx.metrics.snapshot().dropped.rate_limited?.count).toBe(1);
  });

  it('file: each event as the JSON object of its line', () => {
    const { p, values } = preview('file', { path: 'x.jsonl' });
    const event = chat('hi');
    p.write([event]);
    expect(values()).toEqual([JSON.parse(JSON.stringify(event))]);
  });

  it('osc: the address and value as encoded, float32 shown as the shortest decimal', () => {
    const { p, values } = preview('osc', { address: '/cv/{{ variable }}' });
    p.write([control('cutoff', 0.7), control('bad name!', 0.25)]);
    expect(values()).toEqual([
      { address: '/cv/cutoff', value: 0.7 },
      { address: '/cv/bad_name_', value: 0.25 },
    ]);
  });

  it('osc: several arguments as args, typed as configured', () => {
    const { p, values } = preview('osc', {
      address: '/cv',
      args: [
        { type: 's', value: '{{ variable }}' },
        { type: 'i', value: '{{ value }}' },
      ],
    });
    p.write([control('pitch', 2.6)]);
    expect(values()).toEqual([{ address: '/cv', args: ['pitch', 3] }]);
  });

  it('osc: honours max_rate coalescing (the newest value, one interval later) and sends the defaults at stop', async () => {
    const { p, outputs, ctx, scheduler } = preview('osc', { max_rate: '10/s', defaults: { cutoff: 0.5 } });
    p.write([control('cutoff', 0.1)]);
    p.write([control('cutoff', 0.2)]);
    p.write([control('cutoff', 0.3)]);
    await scheduler.advance(250);
    await p.stop?.();
    expect(outputs).toEqual([
      { at: 0, output: { address: '/cv/cutoff', value: 0.1 } },
      { at: 100, output: { address: '/cv/cutoff', value: 0.3 } },
      { at: 250, output: { address: '/cv/cutoff', value: 0.5 } },
    ]);
    expect(ctx.metrics.snapshot().dropped.superseded?.count).toBe(1);
  });


  it('overlay: the wire messages, range on first sight, feed entries and removals', () => {
    const { p, values, ctx } = preview('overlay');
    const hello = chat('hello', { user: 'ada', id: 'm1' });
    p.write([control('cutoff', 0.7), hello, { kind: 'moderation', verdict: 'delete', reasons: ['link'], points: 5, chat: hello, receivedAt: 0 }]);
    p.write([{ kind: 'reply', platform: 'twitch', channel: 'c', text: 'x', receivedAt: 0 }]);
    expect(values()).toEqual([
      { t: 'c', n: 'cutoff', v: 0.7, o: 'command', r: [0, 1], u: 'ada', p: 'twitch' },
      { t: 'm', i: 'm1', u: 'ada', l: 'ada', p: 'twitch', x: 'hello' },
      { t: 'd', i: 'm1' },
    ]);
    expect(ctx.metrics.snapshot().dropped.not_shown?.count).toBe(1);
  });

  it('postgres: { table, row } per row as the sink encodes it, kinds it does not store counted', () => {
    const { p, values, ctx } = preview('postgres', { kinds: ['chat', 'control'] });
    p.write([chat('tab\there', { user: 'ada', id: 'm1', ts: Date.UTC(2026, 0, 1) }), control('cutoff', 0.7, 'command', Date.UTC(2026, 0, 1, 0, 0, 1))]);
    p.write([{ kind: 'reply', platform: 'twitch', channel: 'c', text: 'x', receivedAt: 0 }]);
    const [row, change] = values();
    expect(row).toEqual({
      table: 'chat_messages',
      row: expect.objectContaining({ message_id: 'm1', author_login: 'ada', text: 'tab\there', roles: [], ts: '2026-01-01T00:00:00.000Z', action: false }),
    });
    expect(change).toEqual({
      table: 'control_changes',
      row: expect.objectContaining({ variable: 'cutoff', value: 0.7, previous: 0, origin: 'command', by_login: 'ada', ts: '2026-01-01T00:00:01.000Z' }),
    });
    expect(values()).toHaveLength(2);
    expect(ctx.metrics.snapshot().dropped.kind_not_stored?.count).toBe(1);
  });


  it('redis_state: the variable it stores, its publication, and the state fields', () => {
    const { p, values } = preview('redis_state', { prefix: 'show:' });
    const pause: CommandEvent = { kind: 'command', name: 'cv', args: { subcommand: 'pause' }, chat: chat('!cv pause', { user: 'mod', roles: ['mod'] }), receivedAt: 0 };
    p.write([control('cutoff', 0.7, 'command', 5), pause]);
    expect(values()).toEqual([
      { command: 'set_variable', key: 'show:variables', field: 'cutoff', value: { value: 0.7, previous: 0, origin: 'command', by: { login: 'ada', platform: 'twitch' }, at: 5, instance: 'test' } },
      { command: 'publish', channel: 'show:control', message: { variable: 'cutoff', value: 0.7, previous: 0, origin: 'command', by: { login: 'ada', platform: 'twitch' }, at: 5, instance: 'test' } },
      {
        command: 'hset',
        key: 'show:state',
        fields: expect.objectContaining({ paused: '1', last_command: expect.stringContaining('"name":"cv"'), instance: 'test' }),
      },
    ]);
  });

  it('metrics: what a connected dashboard receives: variables and alerts at once, the latest points every stream_every', async () => {
    const { p, outputs, ctx, scheduler } = preview('metrics', { stream_every: '1s' });
    const metric = (value: number, ts: number): MetricEvent =>
      ({ kind: 'metric', name: 'm', labels: { node: 'a' }, value, instance: 'i', ts, receivedAt: ts }) as MetricEvent;
    p.write([metric(3, 100), control('cutoff', 0.5), chat('x')] as ChatflowEvent[]);
    await scheduler.advance(500);
    p.write([metric(4, 600)]);
    await scheduler.advance(2500);
    await p.stop?.();
    expect(outputs).toEqual([
      { at: 0, output: { type: 'variables', variables: [expect.objectContaining({ name: 'cutoff', value: 0.5, origin: 'command' })] } },
      { at: 1000, output: { type: 'metrics', ts: 1000, metrics: [expect.objectContaining({ name: 'm', labels: { node: 'a' }, value: 4, ts: 600 })] } },
    ]);
    expect(ctx.metrics.snapshot().dropped.not_shown?.count).toBe(1);
    expect(scheduler.nextDue()).toBeUndefined();
  });
});
