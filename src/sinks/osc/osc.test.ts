import { createSocket, type Socket } from 'node:dgram';
import osc from 'osc';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parse } from 'yaml';
import { NotConnectedError } from '../../core/errors.js';
import type { ChatflowEvent, ControlEvent, ControlOrigin } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../../core/sinkDriverConfig.js';
import { chat } from '../../../test/support/events.js';
import {
  freeUdpPort,
  type Received,
  startOscDump,
  type UdpReceiver,
  udpReceiver,
  until,
} from '../../../test/integration/oscSupport.js';
import { OscConfig, OscSink, oscComponent } from './index.js';
import { IMMEDIATELY, ntpTimeTag } from './encoding.js';
import { writeBatches } from '../../pipelines/sinkDriver/writeBatches.js';

function control(
  variable: string,
  value: number,
  origin: ControlOrigin = 'command',
  extra: Partial<ControlEvent> = {},
): ControlEvent {
  return {
    kind: 'control',
    variable,
    value,
    previous: 0,
    origin,
    by: { login: 'ana', platform: 'twitch' },
    ts: 0,
    receivedAt: 1.5,
    ...extra,
  };
}

/** `address types values…`, as oscdump prints it (values rounded to float32 precision). */
function line(m: Received): string {
  const values = m.values.map((v) => (typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : JSON.stringify(v)));
  return [m.address, m.types, ...values].join(' ');
}

const receivers: UdpReceiver[] = [];
const sinks: OscSink[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(host?: string): Promise<UdpReceiver> {
  const r = await udpReceiver(host);
  receivers.push(r);
  return r;
}

function sinkFor(
  raw: Record<string, unknown>,
  deps: ConstructorParameters<typeof OscSink>[2] = {},
): { sink: OscSink; metrics: NodeMetrics } {
  const metrics = new NodeMetrics('synth', 'sink', 'osc');
  const sink = new OscSink('synth', OscConfig.parse(raw), { metrics, ...deps });
  sinks.push(sink);
  return { sink, metrics };
}

async function received(r: UdpReceiver, count: number): Promise<string[]> {
  await until(() => r.messages().length >= count, `${count} OSC messages`);
  return r.messages().map(line);
}

describe('OscConfig', () => {
  it('parses every example of the component', () => {
    for (const example of oscComponent.examples) {
      expect(() => oscComponent.config.parse(parse(example))).not.toThrow();
    }
  });

  it('defaults to /cv/<variable> with one float, 200/s per address, to 127.0.0.1:7400, from a worker stepping at 100/s without timetags', () => {
    const config = OscConfig.parse({});
    expect(config).toEqual({
      address: '/cv/{{ variable }}',
      args: [{ type: 'f', value: '{{ value }}' }],
      max_rate: { count: 200, periodMs: 1000 },
      defaults: {},
      thread: 'worker',
      control_rate: { count: 100, periodMs: 1000 },
      control_rates: {},
      timetag: 'off',
    });
    expect(new OscSink('synth', config).targets).toEqual([{ host: '127.0.0.1', port: 7400, family: 'udp4' }]);
  });

  it.each([
    [{ timetag: '20ms', bundle: {} }, 'Set `timetag` or `bundle`, not both'],
    [{ timetag: '0ms' }, '`timetag` must be above 0'],
    [{ control_rate: '2000/s' }, 'at most 1000/s'],
    [{ control_rates: { cutoff: '5000/s' } }, 'at most 1000/s'],
    [{ control_rates: { Cutoff: '50/s' } }, 'A variable name is'],
    [{ thread: 'gpu' }, 'worker'],
    [{ target: '127.0.0.1:7400', targets: ['127.0.0.1:7401'] }, 'not both'],
    [{ target: 'localhost' }, 'Expected host:port'],
    [{ address: 'cv/{{ variable }}' }, 'starts with "/"'],
    [{ address: '/cv/* {{ variable }}' }, 'may not contain'],
    [{ address: '/cv/{{ nope }}' }, 'not an event field'],
    [{ args: [{ type: 'f', value: 'loud' }] }, 'must be a number'],
    [{ args: [{ type: 's', value: 3 }] }, 'takes text'],
    [{ args: [] }, 'Too small'],
    [{ heartbeat: { address: '/alive/{{ variable }}' } }, 'takes no'],
    [{ heartbeat: { interval: '0ms' } }, 'above 0'],
    [{ defaults: { 'Bad Name': 1 } }, 'A variable name is'],
    [{ max_rate: 'fast' }, 'Expected a rate such as "20/s", "1/2s" or "300/m"'],
    [{ max_rate: '1/0s' }, 'The period is zero'],
    [{ port: 7400 }, 'Unrecognized key'],
  ])('rejects %j', (raw, message) => {
    const result = OscConfig.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});

describe('OscSink', () => {
  it('sends /cv/<variable> f <value> to every target, byte-identical to osc.writePacket', async () => {
    const [a, b] = [await receiver(), await receiver()];
    const { sink } = sinkFor({ targets: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] });
    await sink.start();
    sink.write([control('cutoff', 0.7), control('resonance', 0.25)]);

    for (const r of [a, b]) {
      expect(await received(r, 2)).toEqual(['/cv/cutoff f 0.7', '/cv/resonance f 0.25']);
      expect(r.datagrams[0]).toEqual(
        Buffer.from(osc.writePacket({ address: '/cv/cutoff', args: [{ type: 'f', value: 0.7 }] }, { metadata: true })),
      );
    }
  });

  it('reaches an IPv6 target', async () => {
    const r = await receiver('::1');
    const { sink } = sinkFor({ target: `[::1]:${r.port}` });
    await sink.start();
    sink.write([control('cutoff', 0.5)]);
    expect(await received(r, 1)).toEqual(['/cv/cutoff f 0.5']);
  });

  it('renders several arguments of every type from event fields and constants', async () => {
    const r = await receiver();
    const { sink } = sinkFor({
      target: `127.0.0.1:${r.port}`,
      address: '/cv',
      args: [
        { type: 's', value: '{{ variable }}' },
        { type: 'f', value: '{{ value }}' },
        { type: 'i', value: '{{ previous }}' },
        { type: 'd', value: '{{ receivedAt }}' },
        { type: 's', value: '{{ by.platform }}:{{ by.login }}' },
        { type: 'i', value: 7 },
        { type: 'f', value: '{{ value }}0' },
      ],
    });
    await sink.start();
    sink.write([control('cutoff', 0.7, 'command', { previous: 2.6, receivedAt: 1234.5678 })]);
    const [message] = await received(r, 1);
    expect(message).toBe('/cv sfidsif "cutoff" 0.7 3 1234.5678 "twitch:ana" 7 0.7');
  });

  it('keeps hostile names out of the address and control characters out of strings', async () => {
    const r = await receiver();
    const { sink } = sinkFor({
      target: `127.0.0.1:${r.port}`,
      address: '/by/{{ by.login }}/{{ variable }}',
      args: [
        { type: 's', value: '{{ by.login }}' },
        { type: 'f', value: '{{ value }}' },
      ],
    });
    await sink.start();
    const hostile = 'evil /cv/#*,?[]{}\u0000\u001b]0;x\u0007é🎛';
    const { by: _, ...anonymous } = control('pitch', 0.2, 'default');
    sink.write([
      control('cutoff', 0.7, 'command', { by: { login: hostile, platform: 'twitch' } }),
      control('a b/#*', 0.1),
      anonymous,
    ]);
    expect(await received(r, 3)).toEqual([
      `/by/evil__cv____________0_x___/cutoff sf ${JSON.stringify('evil /cv/#*,?[]{}]0;xé🎛')} 0.7`,
      '/by/ana/a_b___ sf "ana" 0.1',
      '/by/_/pitch sf "" 0.2',
    ]);
    for (const m of r.messages()) expect(m.address).toMatch(/^(\/[A-Za-z0-9_.-]+)+$/);
  });

  it('drops an event whose numeric argument is not a number (invalid_argument)', async () => {
    const r = await receiver();
    const { sink, metrics } = sinkFor({ target: `127.0.0.1:${r.port}` });
    await sink.start();
    sink.write([chat('hello') as ChatflowEvent, control('cutoff', Number.NaN), control('cutoff', 0.3)]);
    expect(await received(r, 1)).toEqual(['/cv/cutoff f 0.3']);
    expect(metrics.snapshot().dropped).toEqual({ invalid_argument: { count: 2, intentional: false } });
  });

  it('paces each address at max_rate: a burst goes out as its first and its newest value', async () => {
    const r = await receiver();
    const scheduler = new VirtualTimeScheduler();
    const { sink, metrics } = sinkFor({ target: `127.0.0.1:${r.port}`, max_rate: '100/s' }, { scheduler });
    await sink.start();
    for (let i = 0; i < 100; i++) sink.write([control('cutoff', i / 100)]);
    sink.write([control('pitch', 0.5)]);
    expect(sink.waiting).toBe(1);
    expect(await received(r, 2)).toEqual(['/cv/cutoff f 0', '/cv/pitch f 0.5']);
    scheduler.flush();
    expect(await received(r, 3)).toEqual(['/cv/cutoff f 0', '/cv/pitch f 0.5', '/cv/cutoff f 0.99']);
    expect(metrics.snapshot().dropped).toEqual({ superseded: { count: 98, intentional: true } });
  });

  it('sends a panic at once, dropping the value that waited for its address', async () => {
    const r = await receiver();
    const scheduler = new VirtualTimeScheduler();
    const { sink } = sinkFor({ target: `127.0.0.1:${r.port}`, max_rate: '10/s' }, { scheduler });
    await sink.start();
    sink.write([control('cutoff', 0.9)]);
    sink.write([control('cutoff', 0.1)]);
    sink.write([control('cutoff', 0.5, 'panic')]);
    expect(sink.waiting).toBe(0);
    scheduler.flush();
    expect(await received(r, 2)).toEqual(['/cv/cutoff f 0.9', '/cv/cutoff f 0.5']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.messages()).toHaveLength(2);
  });

  it('on stop sends every default (learned, and configured ones winning) after the last value, then closes', async () => {
    const r = await receiver();
    const scheduler = new VirtualTimeScheduler();
    const { sink, metrics } = sinkFor(
      { target: `127.0.0.1:${r.port}`, max_rate: '10/s', defaults: { resonance: 0.3, extra: 1 } },
      { scheduler },
    );
    await sink.start();
    sink.write([control('cutoff', 0.5, 'default'), control('resonance', 0.2, 'default')]);
    sink.write([control('cutoff', 0.9)]); // waits for max_rate (virtual time stands still)…
    sink.write([control('cutoff', 0.8)]); // …replaced by this one, which stop() drops
    await sink.stop();
    // Resolved: every datagram has left the socket, so they are all here (loopback).
    expect(await received(r, 5)).toEqual([
      '/cv/cutoff f 0.5',
      '/cv/resonance f 0.2',
      '/cv/cutoff f 0.5',
      '/cv/resonance f 0.3',
      '/cv/extra f 1',
    ]);
    scheduler.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.messages()).toHaveLength(5);
    expect(metrics.snapshot().dropped).toEqual({ superseded: { count: 2, intentional: true } });
    await sink.stop(); // idempotent
    expect(() => sink.write([control('cutoff', 0.1)])).toThrow(NotConnectedError);
  });

  it('sends a retired variable its default once and not again on stop (a reload removed it)', async () => {
    const r = await receiver();
    const { sink } = sinkFor({ target: `127.0.0.1:${r.port}`, max_rate: 'off' });
    await sink.start();
    sink.write([control('cutoff', 0.5, 'default'), control('drive', 0.1, 'default')]);
    sink.write([control('drive', 0.1, 'retired')]);
    await sink.stop();
    expect(await received(r, 4)).toEqual(['/cv/cutoff f 0.5', '/cv/drive f 0.1', '/cv/drive f 0.1', '/cv/cutoff f 0.5']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.messages()).toHaveLength(4);
  });

  it('learns defaults from panic and reset too, keyed by address', async () => {
    const r = await receiver();
    const { sink } = sinkFor({ target: `127.0.0.1:${r.port}`, max_rate: 'off' });
    await sink.start();
    sink.write([control('wobble', 0.25, 'reset'), control('pitch', 1, 'panic'), control('pitch', 0, 'panic')]);
    await sink.stop();
    expect(await received(r, 5)).toEqual([
      '/cv/wobble f 0.25',
      '/cv/pitch f 1',
      '/cv/pitch f 0',
      '/cv/wobble f 0.25',
      '/cv/pitch f 0',
    ]);
  });

  it('sends a batch and the defaults as bundles with timetags', async () => {
    const r = await receiver();
    const wallClock = () => 1_718_000_000_000;
    const timed = sinkFor({ target: `127.0.0.1:${r.port}`, bundle: { delay: '20ms' } }, { wallClock }).sink;
    await timed.start();
    timed.write([control('cutoff', 0.7, 'default'), control('pitch', 0.1, 'default')]);
    await timed.stop();
    const immediate = sinkFor({ target: `127.0.0.1:${r.port}`, bundle: {} }).sink;
    await immediate.start();
    immediate.write([control('cutoff', 0.2)]);
    await immediate.stop();

    await until(() => r.datagrams.length >= 3, 'three bundles');
    expect(r.datagrams.map((d) => d.subarray(0, 8).toString('latin1'))).toEqual(['#bundle\0', '#bundle\0', '#bundle\0']);
    const at = [...ntpTimeTag(1_718_000_000_020)];
    expect(r.messages()).toEqual([
      { address: '/cv/cutoff', types: 'f', values: [expect.closeTo(0.7, 6)], timeTag: at },
      { address: '/cv/pitch', types: 'f', values: [expect.closeTo(0.1, 6)], timeTag: at },
      { address: '/cv/cutoff', types: 'f', values: [expect.closeTo(0.7, 6)], timeTag: at },
      { address: '/cv/pitch', types: 'f', values: [expect.closeTo(0.1, 6)], timeTag: at },
      { address: '/cv/cutoff', types: 'f', values: [expect.closeTo(0.2, 6)], timeTag: [...IMMEDIATELY] },
    ]);
  });

  it('sends a heartbeat at start and every interval until stopped', async () => {
    const r = await receiver();
    const scheduler = new VirtualTimeScheduler(VirtualAction, 2500);
    const { sink } = sinkFor({ target: `127.0.0.1:${r.port}`, heartbeat: { interval: '1s' } }, { scheduler });
    await sink.start();
    scheduler.flush();
    await sink.stop();
    expect(await received(r, 3)).toEqual(['/chatflow/alive i 0', '/chatflow/alive i 1', '/chatflow/alive i 2']);
  });

  it('says once, in one line without a stack, that no receiver answers; counts it apart from errors; and says when oscdump answers', async () => {
    const port = await freeUdpPort();
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { sink, metrics } = sinkFor({ target: `127.0.0.1:${port}`, max_rate: 'off' }, { logger });
    await sink.start();
    await until(() => {
      sink.write([control('cutoff', 0.1)]);
      return (metrics.snapshot().dropped.no_receiver?.count ?? 0) >= 3;
    }, 'refused datagrams to be counted');
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      target: `127.0.0.1:${port}`,
      msg: 'No OSC receiver answers on the target (port unreachable); values are dropped until one does.',
    });
    expect(JSON.stringify(lines)).not.toContain('stack');
    expect(metrics.errors).toBe(0);
    expect(metrics.snapshot().dropped.send_failed).toBeUndefined();
    expect(metrics.snapshot().dropped.no_receiver?.intentional).toBe(true);
    expect(metrics.snapshot().gauges?.no_receiver).toBe(1);
    expect(sink.receivers()).toEqual([{ target: `127.0.0.1:${port}`, state: 'absent' }]);

    const dump = await startOscDump(port);
    try {
      await until(() => {
        sink.write([control('cutoff', 0.25)]);
        return dump.lines().includes('/cv/cutoff f 0.250000') && sink.receivers()[0]?.state === 'answering';
      }, 'oscdump to get a value and the receiver to count as answering');
    } finally {
      await dump.stop();
    }
    expect(lines.filter((l) => l.msg === 'OSC receiver answering.')).toEqual([
      expect.objectContaining({ level: 30, target: `127.0.0.1:${port}` }),
    ]);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(metrics.snapshot().gauges?.no_receiver).toBe(0);
    expect(metrics.errors).toBe(0);
  });

  it('keys latest_per_key buffering by address and string arguments', () => {
    const byAddress = new OscSink('synth', OscConfig.parse({}));
    expect(byAddress.keyOf(control('cutoff', 0.1))).toBe('/cv/cutoff');
    const byName = new OscSink(
      'synth',
      OscConfig.parse({ address: '/cv', args: [{ type: 's', value: '{{ variable }}' }, { type: 'f', value: '{{ value }}' }] }),
    );
    expect(byName.keyOf(control('cutoff', 0.1))).toBe('/cv\0cutoff');
    expect(byName.keyOf(control('pitch', 0.1))).toBe('/cv\0pitch');
  });

  it('under the driver with its defaults, sends in the same call stack the event arrived in', async () => {
    const r = await receiver();
    const sends: number[] = [];
    const spying = (family: 'udp4' | 'udp6'): Socket => {
      const socket = createSocket(family);
      const send = socket.send.bind(socket) as (...args: unknown[]) => void;
      (socket as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
        sends.push(performance.now());
        send(...args);
      };
      return socket;
    };
    const { sink, metrics } = sinkFor({ target: `127.0.0.1:${r.port}` }, { createSocket: spying });
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...oscComponent.driver };
    expect(settings).toMatchObject({ batchMax: 1, batchTimeoutMs: 0, whenFull: 'latest_per_key' });
    const events$ = new Subject<ChatflowEvent>();
    const done = writeBatches(sink, settings, { metrics }).run(events$);
    // The first event waits in the buffer until the socket is connected, then goes out.
    events$.next(control('resonance', 0.2));
    expect(await received(r, 1)).toEqual(['/cv/resonance f 0.2']);
    expect(sends).toHaveLength(1);
    events$.next(control('cutoff', 0.7));
    expect(sends).toHaveLength(2);
    events$.complete();
    expect(await done).toEqual({ written: 0, dropped: 0, timedOut: false });
    expect(await received(r, 2)).toEqual(['/cv/resonance f 0.2', '/cv/cutoff f 0.7']);
  });
});
