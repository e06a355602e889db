import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultRegistry } from '../components.js';
import { buildGraph } from '../pipelines/graph.js';
import { loadText } from '../pipelines/load.js';
import { chatEvent } from './events.js';
import { runVirtual } from './virtualRun.js';

/** A real UDP receiver on loopback, to see whether anything was sent to it. */
async function udpReceiver(): Promise<{ socket: Socket; port: number; received: string[] }> {
  const socket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (msg) => received.push(msg.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received };
}

describe('a virtual run does no I/O', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
    vi.restoreAllMocks();
  });

  it('sends no datagram, writes no file, prints nothing, serves nothing, yet captures what every sink would send', async () => {
    const udp = await udpReceiver();
    cleanup.push(() => udp.socket.close());
    const dir = mkdtempSync(join(tmpdir(), 'chatflow-virtual-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'out', 'events.jsonl');
    const yaml = `
version: 1
sources:
  chat: { type: simulate, rate: 5/s }
operators:
  cmds:
    type: parse_command
    inputs: [chat]
    commands:
      cv: { args: [name, "value:number(0..1)"] }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
sinks:
  synth: { type: osc, inputs: [cv], target: "127.0.0.1:${udp.port}", heartbeat: { address: /alive, interval: 1s } }
  log: { type: file, inputs: [chat], path: ${JSON.stringify(file)} }
  show: { type: console, inputs: [cv] }
  overlay: { type: overlay, inputs: [cv] }
  metrics: { type: metrics, inputs: [cv] }
  state: { type: redis_state, inputs: [cv] }
  history: { type: postgres, inputs: [chat, cv] }
  void: { type: blackhole, inputs: [chat] }
`;
    const built = buildGraph(loadText(yaml, { file: join(dir, 'pipeline.yaml'), env: {} }), defaultRegistry());
    if (!built.graph) throw new Error(built.issues.map((i) => i.message).join('\n'));
    const printed = vi.spyOn(process.stdout, 'write');

    const result = await runVirtual({
      graph: built.graph,
      inputs: [{ at: 1000, event: chatEvent({ login: 'ada', text: '!cv cutoff 0.9' }, 1000) }],
      settleMs: 2500,
    });

    // Each sink captured what it would have sent…
    const bySink = (sink: string) => result.outputs.filter((o) => o.sink === sink).map((o) => o.output);
    expect(bySink('synth')).toContainEqual({ address: '/cv/cutoff', value: 0.9 });
    expect(bySink('synth').filter((o) => o.address === '/alive').map((o) => o.value)).toEqual([0, 1, 2, 3]);
    expect(bySink('log')).toEqual([expect.objectContaining({ kind: 'chat', text: '!cv cutoff 0.9' })]);
    expect(bySink('show')).toContainEqual({ line: 'cutoff = 0.90 (← ada via command)' });
    expect(bySink('overlay')).toContainEqual(expect.objectContaining({ t: 'c', n: 'cutoff', v: 0.9, u: 'ada' }));
    expect(bySink('metrics')).toContainEqual({ type: 'variables', variables: [expect.objectContaining({ name: 'cutoff', value: 0.9 })] });
    expect(bySink('state')).toContainEqual(expect.objectContaining({ command: 'set_variable', field: 'cutoff', value: expect.objectContaining({ value: 0.9 }) }));
    expect(bySink('history')).toContainEqual(expect.objectContaining({ table: 'chat_messages' }));
    expect(bySink('void')).toEqual([]);

    // …and none of it went anywhere. A marker sent now arrives after anything sent before it.
    const marker = createSocket('udp4');
    cleanup.push(() => marker.close());
    await new Promise<void>((resolve, reject) => marker.send('marker', udp.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    await vi.waitFor(() => expect(udp.received).toContain('marker'));
    expect(udp.received).toEqual(['marker']);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const lines = printed.mock.calls.map((call) => String(call[0]));
    expect(lines.filter((line) => line.includes('cutoff'))).toEqual([]);
  });
});
