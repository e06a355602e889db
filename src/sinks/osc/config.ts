/** The `osc` sink's configuration: its schema and config types. */
import { z } from 'zod';
import { checkTemplate, templatePaths } from '../../core/template.js';
import { duration, rate } from '../../core/units.js';
import { VARIABLE_NAME } from '../../core/variables.js';
import { checkAddressLiteral } from './address.js';
import { OSC_ARG_TYPES } from './encoding.js';
import { parseTarget } from './target.js';

const target = () =>
  z
    .string()
    .refine((text) => parseTarget(text) !== undefined, {
      message: 'Expected host:port, such as 127.0.0.1:7400, synth.local:9000 or [::1]:7400',
    });

const addressTemplate = (placeholders: boolean) =>
  z.string().superRefine((template, ctx) => {
    const problems = [...checkAddressLiteral(template), ...checkTemplate(template)];
    if (!placeholders && templatePaths(template).length > 0) problems.push('This address takes no "{{ }}" fields');
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
  });


export const OscArg = z
  .strictObject({
    type: z
      .enum(OSC_ARG_TYPES)
      .describe('`f` float32 (what Max and Pd expect), `d` float64, `i` int32 (rounded), `s` string.'),
    value: z
      .union([z.string(), z.number()])
      .describe(
        'A `{{ path }}` template over the event (`"{{ value }}"`, `"{{ variable }}"`, `"{{ by.login }}"`) or a constant. For `f`, `d` and `i` it must give a number, else the event is dropped (`invalid_argument`); strings lose control characters and are cut to 256 characters.',
      ),
  })
  .superRefine((arg, ctx) => {
    if (typeof arg.value === 'number') {
      if (arg.type === 's') ctx.addIssue({ code: 'custom', path: ['value'], message: 'A string argument takes text' });
      return;
    }
    for (const message of checkTemplate(arg.value)) ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (arg.type !== 's' && templatePaths(arg.value).length === 0 && !Number.isFinite(Number(arg.value))) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `A constant \`${arg.type}\` argument must be a number` });
    }
  })
  .describe('One OSC argument: its type and where its value comes from.');
export type OscArg = z.output<typeof OscArg>;

export const OscConfig = z
  .strictObject({
    target: target()
      .optional()
      .describe('One receiver as `host:port`; the same as `targets: [host:port]`.'),
    targets: z
      .array(target())
      .min(1)
      .optional()
      .describe(
        'Receivers as `host:port` (`127.0.0.1:7400`, `synth.local:9000`, `[::1]:7400`); every message goes to each. Left out (and no `target`): `127.0.0.1:7400`.',
      ),
    address: addressTemplate(true)
      .default('/cv/{{ variable }}')
      .describe(
        'The OSC address, a `{{ path }}` template over the event. Substituted values keep only `A–Z a–z 0–9 _ . -` (anything else, such as `# * , / ? [ ] { }`, spaces, control characters or non-ASCII, becomes `_`), so names from chat can never inject OSC address syntax.',
      ),
    args: z
      .array(OscArg)
      .min(1)
      .max(16)
      .default([{ type: 'f', value: '{{ value }}' }])
      .describe(
        'The arguments, in order. Default: one float, the control value (`/cv/cutoff 0.7`, the format of the original Twitch-to-CV bridge). Example: `[{ type: s, value: "{{ variable }}" }, { type: f, value: "{{ value }}" }]` with `address: /cv` sends `/cv cutoff 0.7`.',
      ),
    max_rate: rate({ or: 'off' })
      .prefault('200/s')
      .describe(
        'Most messages per second per address (and string arguments), as `N/period`: the latest value wins. A value sooner than the pace waits, and a newer one replaces it (counted as `superseded`), so a burst goes out as its first value at once and its newest value one interval later, and stale values never queue. Panic and reset values go out at once. `off`: no pacing.',
      ),
    defaults: z
      .record(z.string().regex(VARIABLE_NAME), z.number(), {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? 'A variable name is a lower-case letter, then letters, digits or `_` (at most 32)'
            : undefined,
      })
      .default({})
      .describe(
        'Safe values by variable (`{ cutoff: 0.5 }`), sent at shutdown. They add to (and win over) the defaults the sink learns from `control` (its `default`, `panic` and `reset` values).',
      ),
    bundle: z
      .strictObject({
        delay: duration()
          .prefault('0ms')
          .describe(
            'Timetag of each bundle: `0ms` means "immediately"; more schedules the messages that far ahead (receivers such as SuperCollider and liblo then play them jitter-free).',
          ),
      })
      .optional()
      .describe(
        'Send OSC bundles with timetags instead of bare messages. Messages that leave together (one batch, the defaults at shutdown) share a bundle of at most 1400 bytes. Left out: bare messages.',
      ),
    thread: z
      .enum(['worker', 'main'])
      .default('worker')
      .describe(
        'Where sending happens. `worker` (default): an output stage on its own thread paces, interpolates slews on its own step clock, encodes and sends, so nothing on the main event loop (storage, the dashboard, the overlay, garbage collection) delays a step; a plain value of a variable the stage holds nothing of leaves from the main thread at once, in the turn that made it (docs/osc.md, Timing). `main`: on the main event loop, as before 0.2. A preview or `chatflow test` always runs on the main thread, in virtual time.',
      ),
    control_rate: rate()
      .prefault('100/s')
      .describe(
        "How often the output stage steps a slewing variable (`100/s`: every 10 ms), on its own clock; at most 1000/s. `thread: worker` only (on `main`, control's steps go out as they come). Control's own `control_rate` still paces the steps other sinks see.",
      ),
    control_rates: z
      .record(z.string().regex(VARIABLE_NAME), rate(), {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? 'A variable name is a lower-case letter, then letters, digits or `_` (at most 32)'
            : undefined,
      })
      .default({})
      .describe('`control_rate` per variable (`{ cutoff: 200/s }`); the others step at `control_rate`.'),
    timetag: z
      .union([z.literal('off'), duration()])
      .default('off')
      .describe(
        'Send each step and value as an OSC bundle timetagged this long after the moment it belongs to (`20ms`): receivers that schedule bundles (SuperCollider, liblo) then play steps exactly on the grid. Max and Pd ignore timetags, so it is `off` by default. Use instead of `bundle`.',
      ),
    heartbeat: z
      .strictObject({
        address: addressTemplate(false)
          .default('/chatflow/alive')
          .describe('Address of the heartbeat; its one argument is an int that counts up.'),
        interval: duration().prefault('1s').describe('Time between heartbeats.'),
      })
      .optional()
      .describe('A message sent at start and then periodically, so a patch can tell chatflow is alive.'),
  })
  .superRefine((config, ctx) => {
    if (config.target !== undefined && config.targets !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'Set `target` or `targets`, not both' });
    }
    if (config.timetag !== 'off' && config.bundle !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['timetag'], message: 'Set `timetag` or `bundle`, not both' });
    }
    if (config.timetag !== 'off' && config.timetag <= 0) {
      ctx.addIssue({ code: 'custom', path: ['timetag'], message: '`timetag` must be above 0 (or `off`)' });
    }
    const rates: Array<[string[], { periodMs: number; count: number }]> = [
      [['control_rate'], config.control_rate],
      ...Object.entries(config.control_rates).map(([n, r]): [string[], typeof r] => [['control_rates', n], r]),
    ];
    for (const [path, r] of rates) {
      if (r.periodMs / r.count < 1) ctx.addIssue({ code: 'custom', path, message: 'A control rate is at most 1000/s' });
    }
    if (config.heartbeat !== undefined && config.heartbeat.interval <= 0) {
      ctx.addIssue({ code: 'custom', path: ['heartbeat', 'interval'], message: 'The heartbeat interval must be above 0' });
    }
  })
  .describe('OSC over UDP to a synth.');
export type OscConfig = z.output<typeof OscConfig>;

/** The default receiver: Max's `udpreceive 7400`, Pd's `netreceive -u -b 7400`. */
export const DEFAULT_TARGET = '127.0.0.1:7400';
