/**
 * The output stage's thread: owns the UDP sockets, the step clock, pacing and encoding, so
 * nothing on the main event loop (storage encoding, the dashboard, overlay fan-out, its
 * garbage collector) can delay a step. Started by {@link OscStageSink}; talks over the
 * MessagePort in its `workerData` ({@link ToStage} in, {@link FromStage} out).
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { OscEncoder } from '../encoding.js';
import { hrtimeAtPerfZero } from './hrtimeOrigin.js';
import { type LinkEvents, Links } from './links.js';
import { OutputStage } from './outputStage.js';
import { raiseThreadPriority } from './priority.js';
import type { FromStage, StageInit, ToStage } from './protocol.js';
import { StepLoop } from './stepLoop.js';
import { timerScheduler } from './timerScheduler.js';

/** How often counts go to the main side, ms. */
const REPORT_MS = 250;

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

let links: Links | undefined;
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

const send = (packet: Buffer) => links?.send(packet);
const events: LinkEvents = {
  sent: () => {
    sent += 1;
  },
  drop: (reason) => drop(reason),
  sendError: (message, code) => post({ t: 'sendError', message, code }),
  receiver: (index, state) => post({ t: 'receiver', index, state }),
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
const idle = (key: string, seq: number, sentAt: number | undefined) =>
  post({ t: 'idle', key, seq, sentAt: sentAt === undefined ? undefined : sentAt + hrMinusNow });
const stage = new OutputStage(init, { now, epochOf, scheduler: timerScheduler, loop, send, drop, fromMain, idle });

async function start(): Promise<void> {
  try {
    links = await Links.open(init.targets, timerScheduler, events);
  } catch (err) {
    post({ t: 'failed', message: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
    return;
  }
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
  await links?.settled();
  flushCounts();
  await links?.close();
  links = undefined;
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
