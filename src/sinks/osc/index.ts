/** The `osc` sink's registry record: control values to a synth as OSC over UDP (the sink is in osc.ts). */
import { defineSink } from '../../core/component.js';
import { DUE_CHANGES } from '../../core/dueChanges.js';
import { OscConfig } from './config.js';
import { OscSink } from './osc.js';
import { oscPreview } from './preview.js';
import { mainThreadConfig } from './render.js';
import { OscStageSink } from './stageSink.js';

export const oscComponent = defineSink({
  type: 'osc',
  summary: 'Sends control values to a synth as OSC over UDP (Max/MSP, Pure Data, VCV Rack).',
  description: [
    'Each event becomes one OSC message, `/cv/<variable> <value>` by default (the format of the original Twitch-to-CV bridge, so an existing Max patch with `udpreceive 7400` → `route /cv/cutoff …` works unchanged), sent to every target over connected UDP sockets. Address and arguments are templates over the event; values substituted into the address keep only `A–Z a–z 0–9 _ . -`, so names from chat can never inject OSC address syntax.',
    '',
    'Per address the newest value wins: `max_rate` paces each address, and a value that must wait is replaced by any newer one (counted as `superseded`), so stale control values never queue. Panic and reset values go out at once. At shutdown, and whenever the pipeline stops, every variable gets its safe default (learned from `control`, or from `defaults`), and the process exits only after those datagrams have left the socket. Optional: bundles with timetags, and a heartbeat. See docs/osc.md for receiver patches.',
  ].join('\n'),
  config: OscConfig,
  driver: { bufferMax: 1000, whenFull: 'latest_per_key', batchMax: 1, batchTimeoutMs: 0, flushTimeoutMs: 2000 },
  examples: [
    'target: 127.0.0.1:7400\naddress: "/cv/{{ variable }}"',
    [
      'targets: [127.0.0.1:7400, "[::1]:9000"]',
      'address: /cv',
      'args:',
      '  - { type: s, value: "{{ variable }}" }',
      '  - { type: f, value: "{{ value }}" }',
      'max_rate: 100/s',
      'defaults: { cutoff: 0.5, resonance: 0.2 }',
      'bundle: { delay: 10ms }',
      'heartbeat: { address: /chatflow/alive, interval: 1s }',
    ].join('\n'),
  ],
  create: (config, ctx) => {
    const deps = { scheduler: ctx.scheduler, metrics: ctx.metrics, logger: ctx.logger, wallClock: ctx.wallClock };
    if (config.thread !== 'worker') return new OscSink(ctx.id, mainThreadConfig(config), deps);
    // `on_beat` changes announced early by a control node this sink reads directly: the stage sends them on its clock.
    const due = ctx.resources.services?.get(DUE_CHANGES);
    const feeds = (node: string) =>
      ctx.resources.pipeline?.graph.nodes.get(ctx.id)?.inputs.some((input) => input.node === node && input.port === '') ?? false;
    return new OscStageSink(ctx.id, config, due ? { ...deps, due, feeds } : deps);
  },
  preview: oscPreview,
});

export { DEFAULT_TARGET, OscArg, OscConfig } from './config.js';
export { type OscDeps, type OscMetrics, OscSink } from './osc.js';
export { OscStageSink } from './stageSink.js';
