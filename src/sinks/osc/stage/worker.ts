/**
 * The output stage's thread: owns the UDP sockets, the step clock, pacing and encoding, so
 * nothing on the main event loop (storage encoding, the dashboard, overlay fan-out, its
 * garbage collector) can delay a step. Started by {@link OscStageSink}; talks over the
 * MessagePort in its `workerData` ({@link ToStage} in, {@link FromStage} out).
 */
import { createSocket, type Socket } from 'node:dgram';
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { isRefused, ReceiverWatch } from '../receiverWatch.js';
import { OscEncoder } from '../encoding.js';
import { hrtimeAtPerfZero } from './hrtimeOrigin.js';
import { OutputStage } from './outputStage.js';
import { raiseThreadPriority } from './priority.js';
import type { FromStage, StageInit, ToStage } from './protocol.js';
import { StepLoop } from './stepLoop.js';
import { timerScheduler } from './timerScheduler.js';

/** See osc.ts: how long after a datagram no "port unreachable" must come to count as answering. */
const CONFIRM_MS = 3000;
/** How often counts go to the main side, ms. */
const REPORT_MS = 250;

interface Link {
  readonly socket: Socket;
  readonly watch: ReceiverWatch;
  readonly onSent: (err: Error | null) => void;
}

const { init, port } = workerData as { init: StageInit; port: MessagePort };
const wake = new Int32Array(init.wake);
const post = (message: FromStage) => port.postMessage(message);
const hrAt = init.hrtimeNs;
const now = () => performance.now();
// `performance.now()` here and `process.hrtime` share CLOCK_MONOTONIC; the offset is taken once:
// the main thread's performance.now() less this thread's, at the same instant.
const hrMinusNow = Number(hrtimeAtPerfZero() - hrAt) / 1e6;
const epochOf = (t: number) => init.wallAtMs + t + hrMinusNow;
const fromMain = (t: number) => t - hrMinusNow;

let links: Link[] = [];
let inFlight = 0;
let idle: (() => void) | undefined;
let sent = 0;
let drops: Record<string, number> = {};
let heartbeat: ReturnType<typeof setInterval> | undefined;
let report: ReturnType<typeof setInterval> | undefined;

const drop = (reason: string, count = 1) => {
  drops[reason] = (drops[reason] ?? 0) + count;
};
const flushCounts = () => {
  if (sent === 0 && Object.keys(drops).length === 0) return;
  post({ t: 'counts', sent, drops });
  sent = 0;
  drops = {};
};

const send = (packet: Buffer) => {
  for (const link of links) {
    inFlight += 1;
    try {
      link.socket.send(packet, link.onSent);
    } catch (err) {
      link.onSent(err as Error);
    }
  }
};

const loop = new StepLoop({
  now,
  timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
  tick: (key, k, at) => stage.tick(key, k, at),
  wait: (ms) => {
    const seen = Atomics.load(wake, 0);
    drain();
    Atomics.wait(wake, 0, seen, ms);
  },
  drain: () => drain(),
});
const stage = new OutputStage(init, { now, epochOf, scheduler: timerScheduler, loop, send, drop, fromMain });

function onSent(link: Link, err: Error | null): void {
  inFlight -= 1;
  if (err && isRefused(err)) {
    drop('no_receiver');
    link.watch.refused();
  } else if (err) {
    drop('send_failed');
    post({ t: 'sendError', message: err.message, code: (err as NodeJS.ErrnoException).code });
  } else {
    sent += 1;
    link.watch.sent();
  }
  if (inFlight === 0 && idle) {
    const resolve = idle;
    idle = undefined;
    resolve();
  }
}

function connect(index: number): Promise<Link> {
  const t = init.targets[index] as StageInit['targets'][number];
  return new Promise<Link>((resolve, reject) => {
    const socket = createSocket(t.family);
    socket.once('error', reject);
    // A failed lookup comes to this callback (not as an `error` event).
    (socket.connect as (port: number, host: string, cb: (err?: Error) => void) => void)(t.port, t.host, (err) => {
      socket.removeListener('error', reject);
      if (err) {
        socket.close();
        reject(err);
        return;
      }
      const watch = new ReceiverWatch(timerScheduler, CONFIRM_MS, (state) => post({ t: 'receiver', index, state }));
      const link: Link = { socket, watch, onSent: (err) => onSent(link, err) };
      socket.on('error', (err) => {
        if (isRefused(err)) {
          drop('no_receiver');
          watch.refused();
        } else post({ t: 'sendError', message: err.message, code: (err as NodeJS.ErrnoException).code });
      });
      resolve(link);
    });
  });
}

async function start(): Promise<void> {
  const made: Link[] = [];
  try {
    for (let i = 0; i < init.targets.length; i++) made.push(await connect(i));
  } catch (err) {
    for (const link of made) link.socket.close();
    post({ t: 'failed', message: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
    return;
  }
  links = made;
  report = setInterval(flushCounts, REPORT_MS);
  const hb = init.heartbeat;
  if (hb) {
    const encoder = new OscEncoder(['i']);
    let count = 0;
    const beat = () => {
      send(encoder.encode(hb.address, [count]));
      count = (count + 1) | 0;
    };
    beat();
    heartbeat = setInterval(beat, hb.intervalMs);
  }
  // Linux: real-time (or nice −10) for this thread only, so a step runs when it is due (priority.ts).
  post({ t: 'started', ...raiseThreadPriority() });
}

async function stop(): Promise<void> {
  if (heartbeat) clearInterval(heartbeat);
  if (report) clearInterval(report);
  const defaults = stage.stop();
  if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
  flushCounts();
  for (const link of links) link.watch.close();
  await Promise.all(links.map((link) => new Promise<void>((resolve) => link.socket.close(() => resolve()))));
  links = [];
  post({ t: 'stopped', defaults });
  port.close();
}

function handle(message: ToStage): void {
  switch (message.t) {
    case 'targets':
      stage.apply(message.list);
      return;
    case 'withdraw':
      stage.withdraw(message.key, message.seq);
      return;
    case 'start':
      void start();
      return;
    case 'stop':
      void stop();
      return;
  }
}

/** Reads what arrived on the port without returning to the event loop (inside a step wait). */
function drain(): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as ToStage);
}

port.on('message', (message: ToStage) => handle(message));
