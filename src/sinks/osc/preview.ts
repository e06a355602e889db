/**
 * The `osc` sink's preview: the real {@link OscSink} in capture mode (no socket), each datagram
 * it would send decoded back into `{ address, value }` (or `args`) by the `osc` package, an
 * independent decoder, so what a test sees is what went on the wire.
 */
import osc from 'osc';
import type { ComponentContext, PreviewEmit, PreviewOutput, SinkPreview } from '../../core/component.js';
import type { OscConfig } from './config.js';
import { OscSink } from './osc.js';
import { mainThreadConfig } from './render.js';

interface RawPacket {
  address?: string;
  args?: Array<{ type: string; value: unknown }>;
  timeTag?: { raw: [number, number] };
  packets?: RawPacket[];
}

/**
 * The shortest decimal that is the same float32 as `x`: a float argument as encoded (0.8 is
 * sent as 0.800000011920929, shown as 0.8), so equal values compare equal in a test.
 */
export function float32Value(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

/**
 * Decodes one datagram into one output per message: `{ address, value }` with one argument,
 * `{ address, args }` otherwise; messages of a bundle carry `bundle: [seconds, fraction]`
 * (its NTP timetag).
 */
export function decodeOscPacket(packet: Uint8Array): PreviewOutput[] {
  const raw = osc.readPacket(packet, { metadata: true }) as unknown as RawPacket;
  const out: PreviewOutput[] = [];
  const walk = (p: RawPacket, bundle: readonly [number, number] | undefined): void => {
    if (p.packets) {
      const tag = p.timeTag?.raw ?? [0, 0];
      for (const inner of p.packets) walk(inner, [tag[0], tag[1]]);
      return;
    }
    const args = (p.args ?? []).map((a) => (a.type === 'f' ? float32Value(a.value as number) : (a.value as number | string)));
    const values: Record<string, unknown> = args.length === 1 ? { value: args[0] } : { args };
    out.push({ address: p.address ?? '', ...values, ...(bundle ? { bundle } : {}) });
  };
  walk(raw, undefined);
  return out;
}

/** What an `osc` node would send, through the sink's own templates, coalescing and defaults. */
export function oscPreview(config: OscConfig, ctx: ComponentContext, emit: PreviewEmit): SinkPreview {
  const sink = new OscSink(ctx.id, mainThreadConfig(config), {
    scheduler: ctx.scheduler,
    metrics: ctx.metrics,
    logger: ctx.logger,
    wallClock: ctx.wallClock,
    capture: (packet) => {
      for (const message of decodeOscPacket(packet)) emit(message);
    },
  });
  // Capture mode starts synchronously: no socket to wait for.
  void sink.start();
  return {
    write: (batch) => sink.write(batch),
    stop: () => sink.stop(),
    keyOf: (event) => sink.keyOf(event),
  };
}
