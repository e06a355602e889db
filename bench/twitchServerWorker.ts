/**
 * The fake Twitch server of the `twitch-throughput` benchmark, in a worker thread so that
 * making and sending lines does not share the event loop it measures. Messages from the main
 * thread: `{ pump: { channel, count, run } }` sends `count` PRIVMSG lines to the newest client
 * joined to `channel` as fast as its socket takes them, then answers `{ pumped: count }`.
 */
import { parentPort } from 'node:worker_threads';
import { type FakeConnection, FakeTwitchServer } from '../test/fakes/twitchServer.js';
import { benchLine } from './twitchLines.js';

interface Pump {
  readonly channel: string;
  readonly count: number;
  /** Makes ids unique across runs, so the source's duplicate check never fires. */
  readonly run: number;
}

const port = parentPort;
if (port === null) throw new Error('twitchServerWorker.ts runs as a worker thread');

const server = await FakeTwitchServer.start();
port.postMessage({ url: server.url });
port.on('message', (message: { pump?: Pump; close?: true }) => {
  if (message.close) {
    void server.close().then(() => port.close());
    return;
  }
  const pump = message.pump;
  if (pump === undefined) return;
  const target = [...server.live].reverse().find((c: FakeConnection) => c.joined.has(pump.channel));
  if (target === undefined) {
    port.postMessage({ error: `no client joined to #${pump.channel}` });
    return;
  }
  void server.pump(target, benchLine(pump.channel, pump.run), pump.count, 100).then(() => port.postMessage({ pumped: pump.count }));
});
