/**
 * `chatflow test` over a scripted harness: what it prints, its exit codes, how it reports a bad
 * test file or pipeline, and `--update`. (The real harness runs in test/e2e/shippedTests.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/commandIo.js';
import { until } from '../../test/support/poll.js';
import { tempDirs } from '../../test/support/tempDirs.js';
import { defaultRegistry } from '../components.js';
import { PipelineError } from '../core/errors.js';
import type { ChatEvent } from '../core/events.js';
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { RunResult, VirtualRunOptions } from '../testing/harness.js';
import { testCommand } from './testCommand.js';

const dirs = tempDirs();
let dir: string;

const PIPELINE = `version: 1
sources:
  demo: { type: simulate, rate: 1/s, enabled: "\${DEMO_ON:-true}" }
operators:
  cmds:
    type: parse_command
    inputs: [demo]
    commands:
      cv: { args: [name, "value:number(0..1)"] }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
sinks:
  synth: { type: osc, inputs: [cv], target: 127.0.0.1:7400, address: "/cv/{{ variable }}" }
`;

/**
 * A harness that answers every chat line `!cv cutoff V` with an OSC output of V 10 ms later, and
 * records what it was asked.
 */
function scripted() {
  const calls: VirtualRunOptions[] = [];
  let wall = 0;
  return {
    calls,
    now: () => (wall += 2),
    runVirtual: async (options: VirtualRunOptions): Promise<RunResult> => {
      calls.push(options);
      const outputs = options.inputs.flatMap(({ at, event }) => {
        const m = event.kind === 'chat' ? /^!cv cutoff ([\d.]+)$/.exec(event.text) : null;
        return m ? [{ at: at + 10, sink: 'synth', type: 'osc', output: { address: '/cv/cutoff', value: Number(m[1]) } }] : [];
      });
      const recorded = (options.record ?? []).flatMap(({ node, port }) =>
        options.inputs.map(({ at, event }) => ({ at, node, port, event })),
      );
      const snapshot = [{ id: 'cv', eventsIn: outputs.length, eventsOut: { '': outputs.length }, dropped: {}, errors: 0 }] as unknown as NodeMetricsSnapshot[];
      const last = Math.max(0, ...options.inputs.map((i) => i.at));
      return { outputs, recorded, snapshot, endedAt: options.until ?? last + 10_000 };
    },
  };
}

async function run(args: string[], files: Record<string, string>, options = { watch: false, update: false }) {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const harness = scripted();
  const t = captureIo();
  const code = await testCommand(args, options, t.io, { runVirtual: harness.runVirtual, registry: defaultRegistry(), now: harness.now, cwd: dir });
  return { code, out: t.out(), err: t.err(), calls: harness.calls };
}

beforeAll(async () => {
  dir = await dirs.make('chatflow-test-');
  await writeFile(join(dir, 'pipeline.yaml'), PIPELINE);
});
afterAll(() => dirs.removeAll());

const PASSING = `pipeline: pipeline.yaml
tests:
  a viewer moves cutoff:
    inputs:
      - { at: 1s, user: ann, text: "!cv cutoff 0.7" }
      - { at: 1.5s, user: bob, text: "!cv cutoff 0.2" }
    expect:
      - sink: synth
        outputs:
          - { at: 1.010s, address: /cv/cutoff, value: 0.7 }
          - { at: 1.510s, value: 0.2 }
      - counts: { cv.out: 2, cv.dropped: 0 }
`;

describe('chatflow test', () => {
  it('prints one line per test, and a summary; exit 0 when all pass', async () => {
    const r = await run(['ok.test.yaml'], { 'ok.test.yaml': PASSING });
    expect(r.out).toBe('ok.test.yaml\n  ✓ a viewer moves cutoff  11.500s virtual, 2 ms\n1 test: 1 passed, 0 failed.\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('feeds the inputs as chat events from the first enabled source, in virtual ms', async () => {
    const r = await run(['ok.test.yaml'], { 'ok.test.yaml': PASSING });
    const inputs = r.calls[0]?.inputs ?? [];
    expect(inputs.map((i) => [i.at, i.source, (i.event as ChatEvent).text, (i.event as ChatEvent).author.login, (i.event as ChatEvent).firstMessage])).toEqual([
      [1000, undefined, '!cv cutoff 0.7', 'ann', true],
      [1500, undefined, '!cv cutoff 0.2', 'bob', true],
    ]);
    expect(inputs.map((i) => (i.event as ChatEvent).id)).toEqual(['t-1', 't-2']);
  });

  it('a test whose expectation is wrong fails: exit 1, with the difference under its line', async () => {
    const wrong = PASSING.replace('value: 0.2 }', 'value: 0.3 }');
    const r = await run(['wrong.test.yaml'], { 'wrong.test.yaml': wrong });
    expect(r.out).toBe(
      [
        'wrong.test.yaml',
        '  ✗ a viewer moves cutoff  11.500s virtual, 2 ms',
        '      wrong.test.yaml:8:9: synth (osc): output #2 is not the one expected (in order, exactly these 2)',
        '        #1 synth (osc) at 1.010s: {"address":"/cv/cutoff","value":0.7}',
        '      - #2 expected at 1.510s: {"value":0.3}',
        '      + #2 synth (osc) at 1.510s: {"value":0.2,…}',
        '            value: expected 0.3, received 0.2',
        '1 test: 0 passed, 1 failed.',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(1);
  });

  it('a wrong count fails, at the line of its expectation', async () => {
    const r = await run(['count.test.yaml'], { 'count.test.yaml': PASSING.replace('cv.out: 2', 'cv.out: 3') });
    expect(r.out).toContain('      count.test.yaml:12:9: counts: cv.out is 2, expected 3\n');
    expect(r.code).toBe(1);
  });

  it('a test that expects nothing fails, saying how to record what came out', async () => {
    const r = await run(['empty.test.yaml'], {
      'empty.test.yaml': 'pipeline: pipeline.yaml\ntests:\n  nothing:\n    inputs: [{ user: ann, text: hi }]\n  bare sink:\n    expect:\n      - sink: synth\n      - counts: {}\n',
    });
    expect(r.out).toBe(
      [
        'empty.test.yaml',
        '  ✗ nothing  10.000s virtual, 2 ms',
        '      empty.test.yaml:4:5: nothing is expected of this test; run `chatflow test --update` to write what came out',
        '  ✗ bare sink  10.000s virtual, 2 ms',
        '      empty.test.yaml:7:9: nothing is expected of synth (osc): write `outputs` or `never`, or run `chatflow test --update` to write what came out',
        '      empty.test.yaml:8:9: nothing is expected of counts: name at least one count',
        '2 tests: 0 passed, 2 failed.',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(1);
  });

  it('a bad test file: every problem at file:line:col, no test runs, exit 78', async () => {
    const r = await run(['bad.test.yaml'], {
      'bad.test.yaml': [
        'pipeline: pipeline.yaml',
        'tests:',
        '  one:',
        '    inputs:',
        '      - { at: 1x, user: ann, text: hi }',
        '      - { at: 2s, user: bob }',
        '    expect:',
        '      - { sink: synt, outputs: [] }',
        '      - { port: cmds.cvv, outputs: [] }',
        '      - { counts: { cv.outt: 1, cvv.in: 2 } }',
        '      - { sink: synth, outputs: [{ at: soon }], mtch: set }',
        '',
      ].join('\n'),
    });
    expect(r.err).toBe(
      [
        'bad.test.yaml:5:15: error: Expected a duration with a unit, such as "80ms", "2s", "5m" or "1h" (at tests.one.inputs[0].at)',
        'bad.test.yaml:6:9: error: An input is a chat line (`text`), a platform event (`event`) or a recording (`file`); write one of them (at tests.one.inputs[1])',
        'bad.test.yaml:11:49: error: Unknown key "mtch" (at tests.one.expect[3].mtch) Did you mean "match"?',
        'bad.test.yaml: 3 error(s); no test ran.',
        '',
      ].join('\n'),
    );
    expect(r.calls).toEqual([]);
    expect(r.code).toBe(78);

    const refs = await run(['refs.test.yaml'], {
      'refs.test.yaml': [
        'pipeline: pipeline.yaml',
        'tests:',
        '  one:',
        '    inputs:',
        '      - { at: 1s, user: ann, text: hi, source: dem }',
        '    expect:',
        '      - { sink: synt, outputs: [] }',
        '      - { port: cmds.cvv, outputs: [] }',
        '      - { port: synth, outputs: [] }',
        '      - { counts: { cv.outt: 1, cvv.in: 2 } }',
        '      - { sink: synth, outputs: [{ at: soon }] }',
        '',
      ].join('\n'),
    });
    expect(refs.err).toBe(
      [
        'refs.test.yaml:5:48: error: No source "dem" in the pipeline; its sources: demo (at tests.one.inputs[0].source) Did you mean "demo"?',
        'refs.test.yaml:7:17: error: No sink "synt" in the pipeline; its sinks: synth (at tests.one.expect[0].sink) Did you mean "synth"?',
        'refs.test.yaml:8:17: error: Node "cmds" has no port "cvv"; its ports: cv, _invalid, _reply, _unmatched (at tests.one.expect[1].port) Did you mean "cv"?',
        'refs.test.yaml:9:17: error: "synth" is a sink: it has no output; use `sink: synth` (at tests.one.expect[2].port)',
        'refs.test.yaml:10:21: error: Not a count: "cv.outt"; write node.in, node.out, node.out.port, node.dropped, node.dropped.reason, node.errors or node.count.name (at tests.one.expect[3].counts.cv.outt)',
        'refs.test.yaml:10:33: error: No node "cvv" in the pipeline (at tests.one.expect[3].counts.cvv.in) Did you mean "cv"?',
        'refs.test.yaml:11:40: error: Expected a virtual time with a unit, such as "5s" or "1.250s" (at tests.one.expect[4].outputs[0].at)',
        'refs.test.yaml: 7 error(s); no test ran.',
        '',
      ].join('\n'),
    );
    expect(refs.code).toBe(78);
  });

  it('a pipeline the test makes invalid (through its env) is reported as validate would, with the test file unrun: exit 78', async () => {
    const r = await run(['env.test.yaml'], {
      'env.test.yaml': 'pipeline: pipeline.yaml\nenv: { DEMO_ON: maybe }\ntests:\n  one:\n    inputs: [{ user: ann, text: hi }]\n    expect: [{ counts: { cv.in: 0 } }]\n',
    });
    expect(r.err).toMatch(/^pipeline\.yaml:3:\d+: error: .*\(at sources\.demo\.enabled\)\nenv\.test\.yaml: 1 error\(s\); no test ran\.\n$/);
    expect(r.code).toBe(78);
  });

  it('platform events and recordings become the events the harness is fed', async () => {
    await writeFile(join(dir, 'rec.jsonl'), [
      '{"kind":"chat","id":"r-1","platform":"kick","channel":"c","author":{"id":"1","login":"zed","displayName":"Zed","roles":[],"badges":{}},"text":"!cv cutoff 0.4","emotes":[],"ts":1000,"action":false,"firstMessage":true,"receivedAt":1}',
      '',
      '{"kind":"chat","id":"r-2","platform":"kick","channel":"c","author":{"id":"1","login":"zed","displayName":"Zed","roles":[],"badges":{}},"text":"hi","emotes":[],"ts":1750,"action":false,"firstMessage":false,"receivedAt":2}',
    ].join('\n'));
    const r = await run(['events.test.yaml'], {
      'events.test.yaml': [
        'pipeline: pipeline.yaml',
        'tests:',
        '  one:',
        '    inputs:',
        '      - { at: 3s, event: raid, user: friend, data: { viewers: 50 } }',
        '      - { at: 1s, file: rec.jsonl, source: demo }',
        '    expect: [{ sink: synth, match: contains, outputs: [{ at: 1.010s, value: 0.4 }] }]',
        '',
      ].join('\n'),
    });
    expect(r.code).toBe(0);
    expect(r.calls[0]?.inputs.map((i) => [i.at, i.source, i.event.kind, 'id' in i.event ? i.event.id : ''])).toEqual([
      [3000, undefined, 'platform', 't-1'],
      [1000, 'demo', 'chat', 'r-1'],
      [1750, 'demo', 'chat', 'r-2'],
    ]);
    expect(r.calls[0]?.inputs[0]?.event).toMatchObject({ type: 'raid', author: { login: 'friend' }, data: { viewers: 50 }, platform: 'twitch' });
  });

  it('a recording that is missing or holds a line that is not an event is a config error at its input', async () => {
    await writeFile(join(dir, 'broken.jsonl'), '{"kind":"chat"}\n');
    const r = await run(['recs.test.yaml'], {
      'recs.test.yaml': 'pipeline: pipeline.yaml\ntests:\n  one:\n    inputs:\n      - { file: nowhere.jsonl }\n      - { file: broken.jsonl }\n    expect: [{ counts: { cv.in: 0 } }]\n',
    });
    expect(r.err).toBe(
      [
        'recs.test.yaml:5:17: error: Recording not found: nowhere.jsonl (at tests.one.inputs[0].file)',
        'recs.test.yaml:6:17: error: Line 1 of broken.jsonl is not an event as the `file` sink writes them (a "chat" event without the fields it needs) (at tests.one.inputs[1].file)',
        'recs.test.yaml: 2 error(s); no test ran.',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(78);
  });

  it('an input for a disabled source is a config error; a run that throws fails its test, and a config refusal at start is exit 78', async () => {
    const late = await run(['late.test.yaml'], {
      'late.test.yaml': 'pipeline: pipeline.yaml\ntests:\n  one:\n    inputs: [{ at: 6s, user: ann, text: hi }]\n    until: 5s\n    expect: [{ counts: { cv.in: 0 } }]\n',
    });
    expect(late.err).toBe(
      'late.test.yaml:4:20: error: This input comes after the test ends (`until: 5.000s`), so it would never be fed (at tests.one.inputs[0].at)\nlate.test.yaml: 1 error(s); no test ran.\n',
    );
    expect(late.code).toBe(78);

    const disabled = await run(['off.test.yaml'], {
      'off.test.yaml': 'pipeline: pipeline.yaml\nenv: { DEMO_ON: "false" }\ntests:\n  one:\n    inputs: [{ user: ann, text: hi, source: demo }]\n    expect: [{ counts: { cv.in: 0 } }]\n',
    });
    expect(disabled.err).toBe(
      'off.test.yaml:5:45: error: Source "demo" is disabled in the pipeline; enable it through the test\'s `env` (at tests.one.inputs[0].source)\noff.test.yaml: 1 error(s); no test ran.\n',
    );
    expect(disabled.code).toBe(78);

    const failing = async (error: Error) => {
      const t = captureIo();
      const code = await testCommand(['ok.test.yaml'], { watch: false, update: true }, t.io, {
        runVirtual: async () => {
          throw error;
        },
        registry: defaultRegistry(),
        now: () => 0,
        cwd: dir,
      });
      return { code, out: t.out(), err: t.err() };
    };
    await writeFile(join(dir, 'ok.test.yaml'), PASSING);
    const broke = await failing(new Error('The pipeline did not stop.'));
    expect(broke.out).toBe('ok.test.yaml\n  ✗ a viewer moves cutoff  0.000s virtual, 0 ms\n      ok.test.yaml:3:3: the run failed: The pipeline did not stop.\n1 test: 0 passed, 1 failed.\n');
    expect(broke.code).toBe(1);
    expect(await readFile(join(dir, 'ok.test.yaml'), 'utf8')).toBe(PASSING);
    const refused = await failing(new PipelineError('ERR_CONFIG_INVALID', 'config', 'Sink "synth" refused its config.'));
    expect(refused.err).toBe('ok.test.yaml:3:3: error: Sink "synth" refused its config.\nok.test.yaml: 1 error(s); no test ran.\n');
    expect(refused.code).toBe(78);
  });

  it('a missing test file or pipeline is a config error (78), and the other files still run', async () => {
    const r = await run(['nope.test.yaml', 'ok.test.yaml', 'lost.test.yaml'], {
      'ok.test.yaml': PASSING,
      'lost.test.yaml': PASSING.replace('pipeline: pipeline.yaml', 'pipeline: elsewhere.yaml'),
    });
    expect(r.err).toBe(
      [
        'nope.test.yaml: error: Test file not found',
        'nope.test.yaml: 1 error(s); no test ran.',
        `lost.test.yaml:1:11: error: Cannot read the pipeline "elsewhere.yaml" (${join(dir, 'elsewhere.yaml')}) (at pipeline)`,
        'lost.test.yaml: 1 error(s); no test ran.',
        '',
      ].join('\n'),
    );
    expect(r.out).toBe('ok.test.yaml\n  ✓ a viewer moves cutoff  11.500s virtual, 2 ms\n1 test: 1 passed, 0 failed, 2 file(s) with errors.\n');
    expect(r.code).toBe(78);
  });

  it('with no files, runs the *.test.yaml files of the current folder; none there is a usage error (64)', async () => {
    const empty = await dirs.make('chatflow-test-empty-');
    const t = captureIo();
    const harness = scripted();
    expect(await testCommand([], { watch: false, update: false }, t.io, { ...harness, registry: defaultRegistry(), cwd: empty })).toBe(64);
    expect(t.err()).toBe(`chatflow test: no *.test.yaml files in ${empty}; name one (chatflow test pipeline.test.yaml)\n`);

    const r = await run([], {});
    expect(r.out).toMatch(/^bad\.test\.yaml|^count\.test\.yaml/m);
    expect(r.out).toContain('ok.test.yaml\n  ✓ a viewer moves cutoff');
  });
});

describe('chatflow test --watch', () => {
  it('runs again when the test file or its pipeline is saved, and stops with exit 0 on Ctrl-C', async () => {
    const watchDir = await dirs.make('chatflow-test-watch-');
    await writeFile(join(watchDir, 'pipeline.yaml'), PIPELINE);
    await writeFile(join(watchDir, 'w.test.yaml'), PASSING);
    const harness = scripted();
    const t = captureIo();
    const shutdown = new AbortController();
    const running = testCommand([], { watch: true, update: false }, { ...t.io, shutdown: shutdown.signal }, {
      ...harness,
      registry: defaultRegistry(),
      cwd: watchDir,
    });
    await until('the first run', () => t.out().includes('Watching for changes'));
    expect(t.out()).toContain('  ✓ a viewer moves cutoff');

    await writeFile(join(watchDir, 'w.test.yaml'), PASSING.replace('value: 0.2 }', 'value: 0.3 }'));
    await until('a run after the test file changed', () => t.out().includes('  ✗ a viewer moves cutoff'), { detail: t.out });
    await writeFile(join(watchDir, 'pipeline.yaml'), `${PIPELINE}# saved again\n`);
    await until('a run after the pipeline changed', () => t.out().split('A file changed').length === 3, { detail: t.out });

    shutdown.abort('SIGINT');
    expect(await running).toBe(0);
    expect(harness.calls.length).toBe(3);
  });
});

describe('chatflow test --update', () => {
  it('leaves a sink that sent more than 50 outputs out of a whole test, naming it; an entry for it writes them all', async () => {
    const lines = Array.from({ length: 51 }, (_, i) => `      - { at: ${i + 1}s, user: u${i}, text: "!cv cutoff 0.5" }`);
    const text = `pipeline: pipeline.yaml\ntests:\n  busy:\n    inputs:\n${lines.join('\n')}\n`;
    const r = await run(['busy.test.yaml'], { 'busy.test.yaml': text }, { watch: false, update: true });
    expect(r.err).toBe('busy.test.yaml: not updated: busy: synth (osc) sent 51 outputs, more than 50; add `- sink: synth` to the test to write them all\n');
    expect(await readFile(join(dir, 'busy.test.yaml'), 'utf8')).toBe(`${text}    expect:\n`);
    await writeFile(join(dir, 'busy.test.yaml'), `${text}    expect:\n      - sink: synth\n`);
    const all = await run(['busy.test.yaml'], {}, { watch: false, update: true });
    expect(all.out).toContain('busy.test.yaml: wrote busy: synth, 51 outputs\n');
    // Times written as `2.010s` (2009.9999999999998 ms once parsed) match 2010 ms.
    expect(all.out).toContain('  ✓ busy');
    expect(all.code).toBe(0);
  });

  const MISSING = `# Tests of the demo pipeline.
pipeline: pipeline.yaml
tests:
  # No expect at all: every sink is written.
  fresh:
    inputs:
      - { at: 1s, user: ann, text: "!cv cutoff 0.7" }   # the first viewer
  entry without outputs:
    inputs:
      - { at: 2s, user: bob, text: "!cv cutoff 0.25" }
    expect:
      # The port's events are wanted here.
      - port: cmds.cv
      - sink: synth   # this one is missing
      - sink: synth
        outputs:
          - { value: 0.9 }   # wrong, but written: left alone
`;

  it('writes only the missing expectations, keeps every comment and line, never overwrites, and reports both', async () => {
    const r = await run(['upd.test.yaml'], { 'upd.test.yaml': MISSING }, { watch: false, update: true });
    const text = await readFile(join(dir, 'upd.test.yaml'), 'utf8');
    expect(text).toBe(`# Tests of the demo pipeline.
pipeline: pipeline.yaml
tests:
  # No expect at all: every sink is written.
  fresh:
    inputs:
      - { at: 1s, user: ann, text: "!cv cutoff 0.7" }   # the first viewer
    expect:
      - sink: synth
        outputs:
          - { at: 1.010s, address: /cv/cutoff, value: 0.7 }
  entry without outputs:
    inputs:
      - { at: 2s, user: bob, text: "!cv cutoff 0.25" }
    expect:
      # The port's events are wanted here.
      - port: cmds.cv
        outputs:
          - { at: 2.000s, kind: chat, text: "!cv cutoff 0.25", author: { login: bob } }
      - sink: synth   # this one is missing
        outputs:
          - { at: 2.010s, address: /cv/cutoff, value: 0.25 }
      - sink: synth
        outputs:
          - { value: 0.9 }   # wrong, but written: left alone
`);
    expect(r.out).toContain('upd.test.yaml: wrote fresh: synth, 1 output\n');
    expect(r.out).toContain('upd.test.yaml: wrote entry without outputs: cmds.cv, 1 output\n');
    expect(r.out).toContain('upd.test.yaml: wrote entry without outputs: synth, 1 output\n');
    expect(r.out).toContain('upd.test.yaml: left entry without outputs: expect[2] synth as written (--update never overwrites an expectation)\n');
    // The run after the update: the written ones pass, the wrong one still fails.
    expect(r.out).toContain('  ✓ fresh');
    expect(r.out).toContain('  ✗ entry without outputs');
    expect(r.code).toBe(1);

    // Nothing missing any more: a second update writes nothing.
    const again = await run(['upd.test.yaml'], {}, { watch: false, update: true });
    expect(await readFile(join(dir, 'upd.test.yaml'), 'utf8')).toBe(text);
    expect(again.out).not.toContain('wrote');
  });
});
