import type { AddressInfo } from 'node:net';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ControlEvent } from '../../core/events.js';
import { type HubOptions, OverlayHub } from './hub.js';
import { soon as until } from '../../../test/support/poll.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const OPTIONS: HubOptions = {
  history: 0,
  pingIntervalMs: 60_000,
  maxBufferedBytes: 1 << 20,
  stuckTimeoutMs: 60_000,
  maxClients: 10,
  maxVariables: 100,
  compress: false,
  ranges: {},
  frameIntervalMs: 0,
  // One client per turn: a broadcast to three clients is under way for two more turns.
  sliceClients: 1,
};

function control(variable: string, value: number): ControlEvent {
  return { kind: 'control', variable, value, previous: 0, origin: 'command', ts: 0, receivedAt: 0 };
}

/** A hub on a real `ws` server, `n` clients each keeping the frames it received. */
async function setup(n: number): Promise<{ hub: OverlayHub; scheduler: VirtualTimeScheduler; frames: string[][] }> {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 10);
  const hub = new OverlayHub(OPTIONS, { scheduler });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => hub.accept(ws));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  const frames: string[][] = [];
  for (let i = 0; i < n; i++) {
    const got: string[] = [];
    frames.push(got);
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    ws.on('message', (data: Buffer) => got.push(data.toString()));
    cleanup.push(() => ws.terminate());
    await until(() => got.length === 1);
  }
  return { hub, scheduler, frames };
}

describe('OverlayHub while a frame is on its way through the clients', () => {
  it('gathers what is published meanwhile into one frame, sent once the fan-out is through', async () => {
    const { hub, scheduler, frames } = await setup(3);
    hub.publish([control('a', 0.1)]); // the first client now, the others on the next turns
    hub.publish([control('b', 0.2)]);
    hub.publish([control('c', 0.3)]);
    scheduler.flush();
    await until(() => frames.every((f) => f.length === 3));
    for (const f of frames) {
      const [a, bc] = f.slice(1).map((text) => JSON.parse(text) as unknown);
      expect(a).toMatchObject({ t: 'c', n: 'a', v: 0.1 });
      expect(bc).toEqual([expect.objectContaining({ n: 'b', v: 0.2 }), expect.objectContaining({ n: 'c', v: 0.3 })]);
    }
    // Idle again: the next change goes out at once, on its own.
    hub.publish([control('d', 0.4)]);
    scheduler.flush();
    await until(() => frames.every((f) => f.length === 4));
    expect(frames.map((f) => JSON.parse(f[3] as string) as unknown)).toEqual(Array(3).fill(expect.objectContaining({ n: 'd' })));
  });
});
