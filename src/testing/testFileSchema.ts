/**
 * The test file (`*.test.yaml`) as a zod schema: the one source of its checks, of
 * `pipeline.test.schema.json` for editors and of the reference in docs/testing.md.
 */
import { z } from 'zod';
import { PLATFORM_EVENT_TYPES, PLATFORMS, ROLES } from '../core/events.js';
import { duration } from '../core/units.js';

export { PLATFORM_EVENT_TYPES };

export const MATCH_MODES = ['sequence', 'set', 'contains'] as const;
export type MatchMode = (typeof MATCH_MODES)[number];

const Env = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Expected a variable name such as TWITCH_CHANNEL'), z.string())
  .describe(`Values for the pipeline's \`$\{NAME}\` references. The process environment is not read, so a test runs the same everywhere.`);

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One thing fed to the pipeline: a chat line, a platform event or a recording. */
export const TestInput = z
  .strictObject({
    at: duration()
      .prefault('0s')
      .describe('Virtual time it arrives, from the start of the test: `1.2s`, `500ms`, `2m`. For a `file`, when its first event arrives.'),
    source: z
      .string()
      .optional()
      .describe('The source node it replaces the output of; default: the pipeline\'s first enabled source.'),
    user: z
      .string()
      .min(1)
      .optional()
      .describe('Login of who writes it (required for a chat line; who subscribed, raided… for an `event`).'),
    text: z.string().optional().describe('A chat line: what the user writes.'),
    platform: z.enum(PLATFORMS).default('twitch').describe('The platform it comes from.'),
    roles: z.array(z.enum(ROLES)).default([]).describe('The roles of `user`: `mod`, `broadcaster`, `vip`, `subscriber`, `member`, `verified`.'),
    display_name: z.string().optional().describe('The name shown for `user`; default: the login.'),
    channel: z.string().default('test').describe('The channel it is said in.'),
    first_message: z
      .boolean()
      .optional()
      .describe('A chat line: the user\'s first message in the channel; default: true for the first line of each user in the test.'),
    bits: z.number().nonnegative().optional().describe('A chat line: bits (or kicks, super chat amount) attached.'),
    event: z
      .enum(PLATFORM_EVENT_TYPES)
      .optional()
      .describe('A platform event instead of a chat line: `raid`, `subscription`, `gift`, `cheer`, `message_deleted`, …'),
    data: z
      .record(z.string(), Scalar)
      .default({})
      .describe('An `event`: its details, e.g. `{ viewers: 50 }` for a raid, `{ months: 3 }` for a subscription.'),
    file: z
      .string()
      .optional()
      .describe('A recording (JSONL as the `file` sink writes it), relative to the test file: its events keep their recorded spacing.'),
  })
  .superRefine((input, ctx) => {
    const given = (['text', 'event', 'file'] as const).filter((key) => input[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'An input is a chat line (`text`), a platform event (`event`) or a recording (`file`); write one of them'
            : `An input is one thing: ${given.map((k) => `\`${k}\``).join(' and ')} cannot go together`,
        path: given[1] === undefined ? [] : [given[1]],
      });
    }
    if (input.text !== undefined && input.user === undefined) {
      ctx.addIssue({ code: 'custom', message: 'A chat line needs `user`: who writes it', path: [] });
    }
  })
  .describe('A chat line (`user`, `text`), a platform event (`event`) or a recording (`file`), at a virtual time.');
export type TestInput = z.output<typeof TestInput>;

const Tolerances = {
  tolerance: z
    .number()
    .nonnegative()
    .default(0)
    .describe('How far a number may be from the one written and still match (absolute); default: exactly equal.'),
  time_tolerance: duration()
    .prefault('0ms')
    .describe('How far an output\'s time may be from its `at` and still match; default: exactly at it.'),
};

const Expected = z
  .record(z.string(), z.unknown())
  .describe('What one output holds; only the fields written are compared (nested objects too). `at`: its virtual time.');

const Outputs = z
  .array(Expected)
  .nullable()
  .optional()
  .describe('What it must send (a sink) or emit (a port), each one an object compared by the fields written.');

const Never = z
  .array(Expected)
  .optional()
  .describe('What it must never send or emit during the test: no output may match any of these.');

const Match = z
  .enum(MATCH_MODES)
  .default('sequence')
  .describe(
    '`sequence`: exactly these outputs, in this order. `set`: exactly these, in any order. `contains`: at least these, in this order, others may come between.',
  );

const CountValue = z.union([
  z.number().int().nonnegative(),
  z
    .strictObject({
      min: z.number().int().nonnegative().optional().describe('At least this many.'),
      max: z.number().int().nonnegative().optional().describe('At most this many.'),
    })
    .describe('A range: `{ min: 1 }`, `{ max: 3 }`.'),
]);

/** One expectation: what a sink sends, what leaves a port, or node counts. */
export const TestExpectation = z
  .strictObject({
    sink: z.string().optional().describe('A sink node: what it would send (its preview: OSC address and value, overlay message, row…).'),
    port: z
      .string()
      .optional()
      .describe('A node\'s output, `node` or `node.port` (`cmds.cv`, `mod.flagged`): the events that leave it.'),
    counts: z
      .record(z.string(), CountValue)
      .optional()
      .describe(
        'Node counters at the end: `node.in`, `node.out` (default port), `node.out.port`, `node.dropped` (every reason), `node.dropped.reason`, `node.errors`, `node.count.name`; a number or `{ min, max }`.',
      ),
    outputs: Outputs,
    never: Never,
    match: Match,
    ...Tolerances,
  })
  .superRefine((entry, ctx) => {
    const subjects = (['sink', 'port', 'counts'] as const).filter((key) => entry[key] !== undefined);
    if (subjects.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          subjects.length === 0
            ? 'An expectation is about a `sink`, a `port` or `counts`; write one of them'
            : `An expectation is about one thing: ${subjects.map((k) => `\`${k}\``).join(' and ')} cannot go together`,
        path: subjects[1] === undefined ? [] : [subjects[1]],
      });
    }
    if (entry.counts !== undefined && (entry.outputs != null || entry.never !== undefined)) {
      ctx.addIssue({ code: 'custom', message: '`counts` stands alone: `outputs` and `never` are for a `sink` or a `port`', path: ['counts'] });
    }
  })
  .describe('What must come out: a `sink` or `port` with its `outputs` and/or `never`, or `counts`.');
export type TestExpectation = z.output<typeof TestExpectation>;

export const TestCase = z
  .strictObject({
    env: Env.default({}).describe('More values for `$' + '{NAME}`, for this test only (over the file\'s `env`).'),
    inputs: z.array(TestInput).default([]).describe('What the sources of the pipeline emit, in place of chat (any order; fed in time order).'),
    until: duration()
      .optional()
      .describe('Virtual time the test ends at; default: 10 s after the last input (so slews, windows and cooldowns finish).'),
    expect: z
      .array(TestExpectation)
      .nullable()
      .optional()
      .describe('What must come out. Empty or missing: `chatflow test --update` writes what came out.'),
  })
  .describe('One test: inputs, how long to run, and what must come out.');
export type TestCase = z.output<typeof TestCase>;

export const TestFile = z
  .strictObject({
    pipeline: z.string().min(1).describe('The pipeline under test, relative to this file (`pipeline.yaml`, `moderation.yaml`).'),
    env: Env.default({}),
    tests: z.record(z.string().min(1), TestCase).describe('The tests, by name; each runs the pipeline from the start, alone.'),
  })
  .describe('Tests of one pipeline (a `*.test.yaml` file beside it).');
export type TestFile = z.output<typeof TestFile>;
