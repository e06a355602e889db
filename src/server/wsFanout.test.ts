import type { AddressInfo } from 'node:net';
import { type SchedulerLike, Subscription, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type FanoutOptions, Frame, WsFanout } from './wsFanout.js';
import { soon as until } from '../../test/support/poll.js';

// --- harness -------------------------------------------------------------------------------------

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const OPTIONS: FanoutOptions = {
  // Long enough that no ping or probe runs in these tests: only the broadcasts' turns do.
  pingIntervalMs: 60_000,
  maxBufferedBytes: 1 << 20,
  stuckTimeoutMs: 60_000,
  maxClients: 100,
  compress: false,
  label: 'Test',
  sliceClients: 2,
};

interface Peer {
  /** The client's end. */
  readonly ws: WebSocket;
  /** The server's end, as the fan-out holds it. */
  readonly server: WebSocket;
  /** Every text message received, in order. */
  readonly got: string[];
  closed: number | undefined;
}

interface Setup {
  readonly fanout: WsFanout;
  /** Drives the slices' turns (virtual time); absent on the real scheduler. */
  readonly scheduler: VirtualTimeScheduler | undefined;
  connect(): Promise<Peer>;
}

/**
 * A real `ws` server on 127.0.0.1:0 whose connections the fan-out takes; the snapshot is
 * `snap<n>`, counting the snapshots made.
 */
async function serve(options: Partial<FanoutOptions> = {}, virtual: boolean | SchedulerLike = true): Promise<Setup> {
  const scheduler = virtual === true ? new VirtualTimeScheduler(VirtualAction, 10) : virtual === false ? undefined : (virtual as VirtualTimeScheduler);
  let snapshots = 0;
  const fanout = new WsFanout(
    { ...OPTIONS, ...options },
    { snapshot: () => new Frame(`snap${++snapshots}`), ...(scheduler ? { scheduler } : {}) },
  );
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const accepted: WebSocket[] = [];
  wss.on('connection', (ws) => {
    accepted.push(ws);
    fanout.accept(ws);
  });
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  const port = (wss.address() as AddressInfo).port;
  const connect = async (): Promise<Peer> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const got: string[] = [];
    const peer = { ws, got, closed: undefined as number | undefined };
    ws.on('message', (data: Buffer) => got.push(data.toString()));
    ws.on('close', (code) => {
      peer.closed = code;
    });
    cleanup.push(() => ws.terminate());
    const before = accepted.length;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await until(() => accepted.length > before && got.length === 1);
    return { ...peer, server: accepted[before] as WebSocket, get closed() { return peer.closed; } };
  };
  return { fanout, scheduler, connect };
}

async function peers(setup: Setup, n: number): Promise<Peer[]> {
  const out: Peer[] = [];
  for (let i = 0; i < n; i++) out.push(await setup.connect());
  return out;
}

const sent = (fanout: WsFanout) => fanout.stats().framesSent;

// --- tests ---------------------------------------------------------------------------------------

describe('WsFanout broadcast in slices', () => {
  it('writes a slice of clients now and the rest on later turns of the scheduler', async () => {
    const setup = await serve();
    const clients = await peers(setup, 5);
    const before = sent(setup.fanout);
    setup.fanout.broadcast(new Frame('f1'));
    expect(sent(setup.fanout) - before).toBe(2);
    setup.scheduler?.flush();
    expect(sent(setup.fanout) - before).toBe(5);
    await until(() => clients.every((c) => c.got.length === 2));
    expect(clients.map((c) => c.got[1])).toEqual(['f1', 'f1', 'f1', 'f1', 'f1']);
  });

  it('yields with a macrotask on the real scheduler: other work runs between slices', async () => {
    const setup = await serve({}, false);
    await peers(setup, 5);
    const before = sent(setup.fanout);
    setup.fanout.broadcast(new Frame('f1'));
    await Promise.resolve(); // a microtask is not a turn
    expect(sent(setup.fanout) - before).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(sent(setup.fanout) - before).toBe(4);
    await new Promise((r) => setImmediate(r));
    expect(sent(setup.fanout) - before).toBe(5);
  });

  it('keeps every client’s frames in the order they were broadcast when broadcasts overlap', async () => {
    const setup = await serve();
    const clients = await peers(setup, 5);
    setup.fanout.broadcast(new Frame('f1'));
    setup.fanout.broadcast(new Frame('f2')); // while f1 is under way
    setup.scheduler?.flush();
    setup.fanout.broadcast(new Frame('f3'));
    setup.fanout.broadcast(new Frame('f4'));
    setup.fanout.broadcast(new Frame('f5'));
    setup.scheduler?.flush();
    await until(() => clients.every((c) => c.got.length === 6));
    for (const c of clients) expect(c.got.slice(1)).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
  });

  it('sends a client that connects mid-broadcast its snapshot, and only later broadcasts', async () => {
    const setup = await serve();
    const early = await peers(setup, 3);
    setup.fanout.broadcast(new Frame('f1'));
    const late = await setup.connect(); // f1 has not reached every client yet
    setup.scheduler?.flush();
    setup.fanout.broadcast(new Frame('f2'));
    setup.scheduler?.flush();
    await until(() => early.every((c) => c.got.length === 3) && late.got.length === 2);
    for (const c of early) expect(c.got.slice(1)).toEqual(['f1', 'f2']);
    expect(late.got).toEqual(['snap4', 'f2']);
  });

  it('skips a client that closes mid-broadcast and goes on with the others', async () => {
    const setup = await serve();
    const [a, b, gone, cut, d] = await peers(setup, 5);
    const before = sent(setup.fanout);
    setup.fanout.broadcast(new Frame('f1')); // a and b now
    gone?.ws.close(); // its close handshake ends before the next slice: the fan-out forgets it
    await until(() => setup.fanout.size === 4);
    cut?.server.terminate(); // closing, not yet forgotten when the slice reaches it
    setup.scheduler?.flush();
    expect(sent(setup.fanout) - before).toBe(3);
    await until(() => [a, b, d].every((c) => c?.got.length === 2) && setup.fanout.size === 3);
    expect([a, b, d].map((c) => c?.got[1])).toEqual(['f1', 'f1', 'f1']);
    expect([gone, cut].map((c) => c?.got.length)).toEqual([1, 1]);
    setup.fanout.broadcast(new Frame('f2'));
    setup.scheduler?.flush();
    await until(() => [a, b, d].every((c) => c?.got.length === 3));
    expect(sent(setup.fanout) - before).toBe(6);
  });

  it('finishes broadcasts under way on close(), before the close frames, and sends nothing after', async () => {
    const setup = await serve();
    const clients = await peers(setup, 5);
    setup.fanout.broadcast(new Frame('f1'));
    setup.fanout.broadcast(new Frame('f2'));
    const before = sent(setup.fanout);
    const closing = setup.fanout.close();
    expect(sent(setup.fanout) - before).toBe(8); // f1 to 3 more clients, f2 to all 5
    setup.fanout.broadcast(new Frame('late'));
    setup.scheduler?.flush();
    await closing;
    await until(() => clients.every((c) => c.closed !== undefined));
    expect(sent(setup.fanout) - before).toBe(8);
    for (const c of clients) {
      expect(c.got.slice(1)).toEqual(['f1', 'f2']);
      expect(c.closed).toBe(1001);
    }
  });
});

/**
 * Virtual time whose zero-delay actions (the fan-out's turns) wait in `turns` until the test
 * runs them one by one; timers with a delay go to the virtual scheduler.
 */
class TurnByTurn extends VirtualTimeScheduler {
  readonly turns: (() => void)[] = [];

  override schedule<T>(work: (this: never, state?: T) => void, delay = 0, state?: T): Subscription {
    if (delay > 0) return super.schedule(work as never, delay, state);
    const turn = () => (work as (state?: T) => void)(state);
    this.turns.push(turn);
    return new Subscription(() => {
      const i = this.turns.indexOf(turn);
      if (i >= 0) this.turns.splice(i, 1);
    });
  }

  /** Runs the next turn. */
  step(): void {
    this.turns.shift()?.();
  }
}

describe('WsFanout ping and probe rounds in slices', () => {
  it('pings a slice of clients per turn, in order behind the broadcasts under way', async () => {
    const scheduler = new TurnByTurn(VirtualAction, 5);
    const setup = await serve({ pingIntervalMs: 5 }, scheduler);
    const clients = await peers(setup, 5);
    const events: string[] = [];
    clients.forEach((c, i) => {
      const ping = c.server.ping.bind(c.server);
      c.server.ping = (...args: Parameters<WebSocket['ping']>) => {
        events.push(`ping${i}`);
        ping(...args);
      };
    });
    scheduler.flush(); // the ping round at 5 ms: its first slice
    expect(events).toEqual(['ping0', 'ping1']);
    scheduler.step();
    expect(events).toEqual(['ping0', 'ping1', 'ping2', 'ping3']);
    setup.fanout.broadcast(new Frame('f1')); // waits behind the ping round
    expect(sent(setup.fanout)).toBe(5);
    scheduler.step(); // a slice per round waiting: the last ping, then f1 to three clients
    expect(events.length).toBe(5);
    expect(sent(setup.fanout)).toBe(8);
    while (scheduler.turns.length > 0) scheduler.step();
    expect(sent(setup.fanout)).toBe(10);
  });
});
