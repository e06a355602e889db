import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import type { ChatflowEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { OutputPort } from './ports.js';
import { TapRegistry } from './tap.js';

const text = (e: ChatflowEvent) => (e.kind === 'chat' ? e.text : e.kind);

function setup() {
  const scheduler = new VirtualTimeScheduler();
  const metrics = new NodeMetrics('n', 'operator', 'tag');
  const ports = new Map<string, OutputPort>([['n.', new OutputPort(metrics, '')]]);
  const registry = new TapRegistry(scheduler);
  const attach = () => registry.attach((node, port) => ports.get(`${node}.${port}`));
  return { scheduler, metrics, ports, registry, attach, port: () => ports.get('n.') as OutputPort };
}

describe('TapRegistry', () => {
  it('hands a tap every event leaving the port, off the emitting call', () => {
    const s = setup();
    const seen: string[] = [];
    s.registry.add('n', '', (e) => seen.push(text(e)));
    s.attach();
    s.port().emit(chat('a'));
    s.port().emit(chat('b'));
    expect(seen).toEqual([]);
    s.scheduler.flush();
    expect(seen).toEqual(['a', 'b']);
  });

  it('is not a consumer: an event nobody consumes is still a drop on the node', () => {
    const s = setup();
    s.registry.add('n', '', () => {});
    s.attach();
    expect(s.port().consumed).toBe(false);
    s.port().emit(chat('a'));
    expect(s.metrics.snapshot().dropped.no_consumer?.count).toBe(1);
  });

  it('drops what its full queue cannot take and counts it on the tap, not on the node', () => {
    const s = setup();
    const seen: string[] = [];
    const tap = s.registry.add('n', '', (e) => seen.push(text(e)), { queueMax: 2 });
    s.attach();
    s.port().listen({ next: () => {}, complete: () => {} });
    for (const t of ['a', 'b', 'c', 'd', 'e']) s.port().emit(chat(t));
    s.scheduler.flush();
    expect(seen).toEqual(['a', 'b']);
    expect(tap.dropped).toBe(3);
    expect(s.metrics.snapshot().dropped).toEqual({});
    s.port().emit(chat('f'));
    s.scheduler.flush();
    expect(seen).toEqual(['a', 'b', 'f']);
  });

  it('moves to the port the node has after attach (a reload), and leaves the old one', () => {
    const s = setup();
    const seen: string[] = [];
    s.registry.add('n', '', (e) => seen.push(text(e)));
    s.attach();
    const old = s.port();
    s.ports.set('n.', new OutputPort(s.metrics, ''));
    s.attach();
    old.emit(chat('old'));
    s.port().emit(chat('new'));
    s.scheduler.flush();
    expect(seen).toEqual(['new']);
    expect(old.tap).toBeUndefined();
  });

  it('waits for a node that does not exist yet and attaches once it does', () => {
    const s = setup();
    const seen: string[] = [];
    s.registry.add('later', 'x', (e) => seen.push(text(e)));
    s.attach();
    const port = new OutputPort(s.metrics, 'x');
    s.ports.set('later.x', port);
    s.attach();
    port.emit(chat('a'));
    s.scheduler.flush();
    expect(seen).toEqual(['a']);
  });

  it('fans out to several taps on one port; closing one keeps the others, closing the last clears the port', () => {
    const s = setup();
    const one: string[] = [];
    const two: string[] = [];
    const a = s.registry.add('n', '', (e) => one.push(text(e)));
    const b = s.registry.add('n', '', (e) => two.push(text(e)));
    s.attach();
    s.port().emit(chat('x'));
    s.scheduler.flush();
    a.close();
    s.port().emit(chat('y'));
    s.scheduler.flush();
    expect(one).toEqual(['x']);
    expect(two).toEqual(['x', 'y']);
    b.close();
    b.close();
    expect(s.port().tap).toBeUndefined();
    expect(s.registry.size).toBe(0);
  });

  it('stops delivering what it queued once closed', () => {
    const s = setup();
    const seen: string[] = [];
    const tap = s.registry.add('n', '', (e) => seen.push(text(e)));
    s.attach();
    s.port().emit(chat('a'));
    tap.close();
    s.scheduler.flush();
    expect(seen).toEqual([]);
  });
});
