import type { Socket } from 'node:net';
import { asyncScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { chat } from '../../test/support/events.js';
import { until } from '../../test/support/poll.js';
import { silentLogger } from '../core/logger.js';
import { NodeMetrics } from '../core/metrics.js';
import type { NodeShape } from '../core/pipelineView.js';
import { OutputPort } from '../pipelines/ports.js';
import { TapRegistry } from '../pipelines/tap.js';
import { type HttpServer, createHttpServer } from './httpServer.js';
import { type TapMessage, type Tappable, tapRoute } from './tapRoute.js';

/** One node `n` with a named port `x`, tapped through the runtime's registry. */
function pipeline() {
  const metrics = new NodeMetrics('n', 'operator', 'route');
  const ports = new Map([
    ['', new OutputPort(metrics, '')],
    ['x', new OutputPort(metrics, 'x')],
  ]);
  const registry = new TapRegistry(asyncScheduler);
  const shape: NodeShape = { id: 'n', kind: 'operator', type: 'route', config: {}, enabled: true, inputs: [], ports: ['x'] };
  const view: Tappable = {
    graph: { nodes: new Map([['n', shape]]), order: ['n'] },
    snapshot: () => [metrics.snapshot()],
    startedAt: 0,
    tap: (node, port, listener) => {
      const tap = registry.add(node, port, listener);
      registry.attach((n, p) => (n === 'n' ? ports.get(p) : undefined));
      return tap;
    },
  };
  return { view, port: (name: string) => ports.get(name) as OutputPort, metrics };
}

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(view: Tappable): Promise<string> {
  server = createHttpServer({ listen: '127.0.0.1:0', token: 's3cret' }, silentLogger());
  server.register(tapRoute({ pipeline: view, clock: () => performance.now(), logger: silentLogger() }));
  await server.listen();
  return (server.url('') as string).replace('http', 'ws');
}

function connect(url: string) {
  const ws = new WebSocket(url);
  const messages: TapMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as TapMessage));
  return { ws, messages, events: () => messages.filter((m) => m.type === 'event') };
}

describe('GET /api/tap', () => {
  it('needs the token, like every API route', async () => {
    const base = await serve(pipeline().view);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/api/tap?node=n`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('refuses an unknown node, and an unknown port naming the node’s ports', async () => {
    const base = await serve(pipeline().view);
    const node = connect(`${base}/api/tap?node=m&token=s3cret`);
    await until('refused', () => node.messages.length > 0);
    expect(node.messages[0]).toMatchObject({ type: 'error', error: 'unknown_node', message: 'No node "m" in the running pipeline.' });
    const port = connect(`${base}/api/tap?node=n.y&token=s3cret`);
    await until('refused', () => port.messages.length > 0);
    expect(port.messages[0]).toMatchObject({
      type: 'error',
      error: 'unknown_port',
      message: 'Node "n" has no port "y" (its ports: x).',
    });
  });

  it('sends the tapped port only, and stops tapping when the client leaves', async () => {
    const p = pipeline();
    const base = await serve(p.view);
    const client = connect(`${base}/api/tap?node=n.x&token=s3cret`);
    await until('hello', () => client.messages.some((m) => m.type === 'hello'));
    p.port('').emit(chat('default'));
    p.port('x').emit(chat('x1'));
    await until('the event', () => client.events().length === 1);
    expect(client.events()[0]).toMatchObject({ node: 'n', port: 'x', event: { text: 'x1' } });
    client.ws.close();
    await until('the tap is gone', () => p.port('x').tap === undefined);
  });

  it('drops what a stalled client cannot take, counts every one, and never holds up the port', async () => {
    const p = pipeline();
    const base = await serve(p.view);
    const client = connect(`${base}/api/tap?node=n&token=s3cret`);
    await until('hello', () => client.messages.some((m) => m.type === 'hello'));
    const socket = (client.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const text = 'x'.repeat(8192);
    const sent = 3000;
    for (let i = 0; i < sent; i += 100) {
      for (let j = i; j < i + 100; j++) p.port('').emit(chat(text, { id: String(j) }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.resume();
    const last = () => client.messages.filter((m) => m.type === 'dropped').at(-1);
    const dropped = () => {
      const d = last();
      return d?.type === 'dropped' ? d.dropped.rate + d.dropped.slow_client + d.dropped.tap_queue : 0;
    };
    // Every event either arrived or is in the last `dropped` report: none lost silently.
    await until('every event accounted for', () => client.events().length + dropped() === sent, { timeoutMs: 20_000 });
    expect(dropped()).toBeGreaterThan(0);
    expect(client.events().length).toBeGreaterThan(0);
    // The node counted nothing of it: it sent every event to its (absent) consumers as usual.
    expect(p.metrics.snapshot().eventsOut['']).toBe(sent);
    expect(Object.keys(p.metrics.snapshot().dropped)).toEqual(['no_consumer']);
  }, 30_000);
});
