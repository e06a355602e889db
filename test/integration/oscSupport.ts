/**
 * Real OSC receivers for tests: an in-process UDP socket that decodes what arrives (with the
 * `osc` package, an independent decoder), and liblo's `oscdump` as a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import osc from 'osc';

/** A decoded OSC message as `oscdump` would print it: `/cv/cutoff f 0.7`. */
export interface Received {
  readonly address: string;
  readonly types: string;
  readonly values: readonly (number | string)[];
  /** Present when the message came inside a bundle. */
  readonly timeTag?: readonly [number, number];
}

/** Polls `check` every 10 ms until it holds; fails with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Flattens one datagram into its messages (bundles unpacked, their timetag kept). */
export function decodePacket(buf: Uint8Array): Received[] {
  const packet = osc.readPacket(buf, { metadata: true }) as unknown as RawPacket;
  return flatten(packet, undefined);
}

interface RawPacket {
  address?: string;
  args?: Array<{ type: string; value: unknown }>;
  timeTag?: { raw: [number, number] };
  packets?: RawPacket[];
}

function flatten(packet: RawPacket, timeTag: readonly [number, number] | undefined): Received[] {
  if (packet.packets) {
    const tag = packet.timeTag?.raw ?? [0, 0];
    return packet.packets.flatMap((p) => flatten(p, [tag[0], tag[1]]));
  }
  const args = packet.args ?? [];
  const message: Received = {
    address: packet.address ?? '',
    types: args.map((a) => a.type).join(''),
    values: args.map((a) => a.value as number | string),
  };
  return [timeTag ? { ...message, timeTag } : message];
}

/** A real UDP receiver in this process. */
export interface UdpReceiver {
  readonly port: number;
  /** Raw datagrams, in arrival order. */
  readonly datagrams: Buffer[];
  /** Every message, bundles unpacked, in arrival order. */
  messages(): Received[];
  close(): Promise<void>;
}

export async function udpReceiver(host = '127.0.0.1'): Promise<UdpReceiver> {
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const datagrams: Buffer[] = [];
  socket.on('message', (buf) => datagrams.push(buf));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  let closed = false;
  return {
    port: socket.address().port,
    datagrams,
    messages: () => datagrams.flatMap((d) => decodePacket(d)),
    close: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closed = true;
            socket.close(() => resolve());
          }),
  };
}

/** A UDP port nothing listens on right now (bound, read, released). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Sends one raw datagram. */
export async function sendDatagram(port: number, packet: Uint8Array): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    socket.send(packet, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

/** The address `oscdump` readiness probes are sent to; {@link OscDump.lines} leaves them out. */
const PROBE = '/chatflow/probe';

/** liblo's `oscdump -L <port>`, running. */
export interface OscDump {
  readonly port: number;
  /** Its process id (for its scheduling: /proc/<pid>/schedstat). */
  readonly pid: number | undefined;
  /** Lines as printed, without the leading timestamp and without readiness probes. */
  lines(): string[];
  /**
   * Lines with oscdump's own receive time (its NTP timestamp, in seconds), without readiness
   * probes: for timing as the receiver saw it.
   */
  timed(): { readonly at: number; readonly line: string }[];
  /** The same lines with oscdump's receive time as epoch ms. */
  timedLines(): { readonly at: number; readonly line: string }[];
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `oscdump -L <port>` (Debian `liblo-tools`) on `port` (default: a free one) and waits
 * until it prints a probe message, so it is certainly listening.
 */
export async function startOscDump(port?: number): Promise<OscDump> {
  port ??= await freeUdpPort();
  let child: ChildProcess;
  try {
    child = spawn('oscdump', ['-L', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error('oscdump is missing: apt-get install -y liblo-tools', { cause: err });
  }
  let out = '';
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const probe = osc.writePacket({ address: PROBE, args: [] }, { metadata: true });
  await until(
    () => {
      if (spawnError) throw new Error('oscdump is missing: apt-get install -y liblo-tools', { cause: spawnError });
      if (out.includes(PROBE)) return true;
      void sendDatagram(port, probe);
      return false;
    },
    'oscdump to listen',
    10_000,
  );
  const receiver: OscDump = {
    port,
    pid: child.pid,
    lines: () =>
      out
        .split('\n')
        .filter((line) => line !== '' && !line.includes(PROBE))
        // `eeae7db8.8c088509 /cv/cutoff f 0.700000`: drop the timestamp.
        .map((line) => line.replace(/^[0-9a-f]{8}\.[0-9a-f]{8} /, '')),
    timed: () =>
      out
        .split('\n')
        .filter((line) => line !== '' && !line.includes(PROBE))
        .flatMap((line) => {
          const m = /^([0-9a-f]{8})\.([0-9a-f]{8}) (.*)$/.exec(line);
          return m ? [{ at: Number.parseInt(m[1] as string, 16) + Number.parseInt(m[2] as string, 16) / 2 ** 32, line: m[3] as string }] : [];
        }),
    // NTP seconds (from 1900) to epoch ms.
    timedLines: () => receiver.timed().map(({ at, line }) => ({ at: (at - 2_208_988_800) * 1000, line })),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return receiver;
}
