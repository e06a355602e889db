// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the syntax under test, not a mistyped template literal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue, formatIssue } from '../core/errors.js';
import { testRegistry } from '../../test/support/testRegistry.js';
import { buildGraph, loadPipeline, validatePipeline } from './graph.js';
import { formatPortRef, type PipelineGraph } from '../core/pipelineGraph.js';
import { RATE_HELP } from '../core/units.js';
import { loadText, MAX_FILE_BYTES } from './load.js';
import { MAX_CONNECTIONS } from './resolveInputs.js';

const registry = testRegistry();
const fixture = (name: string): string => `test/fixtures/config/${name}.yaml`;

function check(text: string, env: Record<string, string | undefined> = {}) {
  return buildGraph(loadText(text, { file: 'p.yaml', env }), registry);
}
const messages = (issues: readonly ConfigIssue[]): string[] => issues.map(formatIssue);
const inputsOf = (graph: PipelineGraph | undefined, id: string): string[] =>
  (graph?.nodes.get(id)?.inputs ?? []).map(formatPortRef);

/** Shared head of the inline pipelines below. */
const HEAD = 'version: 1\nsources:\n  demo: { type: gen, rate: 20/s }\n';

describe('one fixture per rule', () => {
  const cases: Record<string, string[]> = {
    unknown_type: ['5:18: error: Unknown operator type "pas" (at operators.clean.type) Did you mean "pass"?'],
    unknown_key: ['9:13: error: Unknown key "mtch" (at operators.cmds.cases.cv.mtch) Did you mean "match"?'],
    invalid_value: ['3:41: error: Expected number, received string (at sources.demo.users)'],
    missing_key: ['5:3: error: Missing required key "path" (at sinks.log.path)'],
    unknown_input: ['5:30: error: Input "dmeo" names no source or operator (at sinks.log.inputs[0]) Did you mean "demo"?'],
    unknown_port: [
      '12:32: error: Node "cmds" has no port "cvv"; its ports: cv, pitch, _unmatched (at sinks.synth.inputs[0]) Did you mean "cv"?',
    ],
    empty_glob: ['5:36: error: Input "chat*" matches no output of any source or operator (at sinks.log.inputs[1])'],
    cycle: ['5:3: error: Cycle: a → b → c → a (at operators.a)'],
    duplicate_id: [
      '6:3: error: Node id "demo" is already used by sources.demo (line 3); ids must be unique across sources, operators and sinks (at sinks.demo)',
    ],
    missing_inputs: [
      '5:3: error: Operator "clean" has no inputs; add "inputs: [node]" naming the nodes or ports it reads from (at operators.clean.inputs)',
    ],
    source_inputs: [
      '4:33: error: Source "more" has inputs, but sources only produce events; remove "inputs" or make it an operator (at sources.more.inputs)',
    ],
    unset_variable: [
      '3:10: error: Environment variable CHATFLOW_TOKEN is not set; set it or give a default with ${CHATFLOW_TOKEN:-default} (at server.token)',
    ],
    input_is_sink: ['5:33: error: Input "log" is a sink; sinks have no outputs to read from (at operators.again.inputs[0])'],
    bad_template: ['5:65: error: Template field "varible" is not an event field (at sinks.synth.address)'],
    yaml_syntax: ['8:59: error: Invalid YAML: unknown alias *retry; define &retry before it (at sinks.log.retry)'],
    orphan_node: ['4:3: warning: Nothing reads from "spare"; its events go nowhere (at sources.spare)'],
    dead_end_port: ['5:3: warning: Port "cmds.pitch" is never read; events sent to it are dropped (at operators.cmds)'],
  };

  for (const [rule, expected] of Object.entries(cases)) {
    it(`${rule}.yaml reports exactly its ${rule} issue`, () => {
      const { issues } = validatePipeline(fixture(rule), { registry, env: {} });
      expect(messages(issues)).toEqual(expected.map((m) => `${fixture(rule)}:${m}`));
      expect(issues.map((i) => i.rule)).toEqual(expected.map(() => rule));
    });
  }

  it('valid.yaml has no issue', () => {
    expect(validatePipeline(fixture('valid'), { registry, env: {} }).issues).toEqual([]);
  });
});

describe('the graph of valid.yaml', () => {
  const graph = loadPipeline(fixture('valid'), { registry, env: { PORT: '9191' } });

  it('orders nodes after their inputs, sources first', () => {
    expect(graph.order).toEqual(['demo', 'cmds', 'fair', 'synth', 'log']);
    expect([...graph.nodes.keys()]).toEqual(graph.order);
  });

  it('fills in the settings and their defaults', () => {
    expect(graph.file).toBe(fixture('valid'));
    expect(graph.settings).toEqual({
      server: { listen: '127.0.0.1:9191', token: '' },
      resources: { redis: { url: 'embedded' }, postgres: { url: 'embedded' } },
    });
  });

  it('keeps only the component config, parsed (durations in ms, rates as count per period)', () => {
    const demo = graph.nodes.get('demo');
    expect(demo?.config).toEqual({ rate: { count: 20, periodMs: 1000 }, seed: 1, users: 10 });
    expect(graph.nodes.get('cmds')?.config).toEqual({
      cases: { cv: { match: '!cv', every: 80 }, pitch: { match: '!pitch' } },
    });
    expect(graph.nodes.get('fair')?.config).toEqual({ rate: { count: 1, periodMs: 2000 } });
  });

  it('separates the sink driver keys from a sink config', () => {
    const synth = graph.nodes.get('synth');
    expect(synth?.config).toEqual({ path: 'synth.log', address: '/cv/{{ variable }}' });
    expect(synth?.driver).toEqual({ batch: { timeout: 50 } });
    expect(graph.nodes.get('log')?.driver).toEqual({});
    expect(graph.nodes.get('demo')?.driver).toBeUndefined();
  });

  it('records kind, section, type, ports, enabled and position', () => {
    const cmds = graph.nodes.get('cmds');
    expect(cmds).toMatchObject({
      id: 'cmds',
      kind: 'operator',
      section: 'operators',
      type: 'split',
      enabled: true,
      ports: ['cv', 'pitch', '_unmatched'],
      position: { line: 7, col: 3 },
    });
    expect(cmds?.definition.type).toBe('split');
    expect(graph.nodes.get('demo')?.ports).toEqual([]);
    // `enabled: "${LOG_ENABLED:-false}"` is the boolean false.
    expect(graph.nodes.get('log')?.enabled).toBe(false);
  });

  it('expands globs and removes repeated inputs, keeping file order', () => {
    expect(inputsOf(graph, 'synth')).toEqual(['fair', 'fair._limited']);
    expect(inputsOf(graph, 'log')).toEqual(['cmds']);
    expect(inputsOf(graph, 'demo')).toEqual([]);
  });

  it('has no warnings', () => {
    expect(graph.warnings).toEqual([]);
  });
});

describe('loadPipeline', () => {
  it('throws a ConfigError carrying every issue, errors and warnings', () => {
    const file = 'test/fixtures/config/empty_glob.yaml';
    let thrown: unknown;
    try {
      loadPipeline(file, { registry, env: {} });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.issues.map((i) => i.rule)).toEqual(['empty_glob']);
    expect(error.message).toBe(
      `1 error(s) in pipeline:\n${file}:5:36: error: Input "chat*" matches no output of any source or operator (at sinks.log.inputs[1])`,
    );
  });

  it('returns the graph with its warnings when there are only warnings', () => {
    const graph = loadPipeline(fixture('orphan_node'), { registry, env: {} });
    expect(graph.warnings.map((w) => w.rule)).toEqual(['orphan_node']);
    expect(graph.order).toEqual(['demo', 'spare', 'log']);
  });

  it('attaches the warnings to the ConfigError, while its message lists the errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatflow-graph-'));
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(file, `${HEAD}  spare: { type: gen, rate: 1/s }\nsinks:\n  log: { type: out, inputs: [demo] }\n`);
    try {
      expect(() => loadPipeline(file, { registry, env: {} })).toThrow(
        expect.objectContaining({
          issues: [
            expect.objectContaining({ severity: 'warning', rule: 'orphan_node' }),
            expect.objectContaining({ severity: 'error', rule: 'missing_key' }),
          ],
          message: `1 error(s) in pipeline:\n${file}:6:3: error: Missing required key "path" (at sinks.log.path)`,
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildGraph', () => {
  it('reports all errors at once, in file order', () => {
    const text = [
      'version: 1',
      'sources:',
      '  demo: { type: gen, rate: 20/s, sede: 1 }',
      'operators:',
      '  clean: { type: pas, inputs: [demo] }',
      '  fair: { type: pass, inputs: [dmeo] }',
      'sinks:',
      '  log: { type: out, inputs: [fair, clean] }',
    ].join('\n');
    expect(messages(check(text).issues)).toEqual([
      'p.yaml:3:34: error: Unknown key "sede" (at sources.demo.sede) Did you mean "seed"?',
      'p.yaml:5:18: error: Unknown operator type "pas" (at operators.clean.type) Did you mean "pass"?',
      'p.yaml:6:32: error: Input "dmeo" names no source or operator (at operators.fair.inputs[0]) Did you mean "demo"?',
      'p.yaml:8:3: error: Missing required key "path" (at sinks.log.path)',
    ]);
  });

  describe('top level', () => {
    it('requires version: 1', () => {
      expect(messages(check('sources: {}\n').issues)).toEqual([
        'p.yaml:1:1: error: Missing required key "version" (at version)',
      ]);
      expect(messages(check('version: 2\n').issues)).toEqual([
        'p.yaml:1:10: error: Expected 1, received 2 (at version)',
      ]);
      expect(messages(check('').issues)).toEqual([
        'p.yaml:1:1: error: The file is empty; a pipeline needs at least "version: 1" (at version)',
      ]);
    });

    it('reports unknown top-level keys with a suggestion', () => {
      expect(messages(check('version: 1\nsource: {}\n').issues)).toEqual([
        'p.yaml:2:1: error: Unknown top-level key "source"; allowed: version, server, resources, clock, sources, operators, sinks (at source) Did you mean "sources"?',
      ]);
    });

    it('checks server and resources with their schemas', () => {
      const text = 'version: 1\nserver: { listen: localhost, tokn: x }\nresources: { redis: { url: 5 } }\n';
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:2:19: error: Expected host:port, such as 127.0.0.1:8080 (at server.listen)',
        'p.yaml:2:30: error: Unknown key "tokn" (at server.tokn) Did you mean "token"?',
        'p.yaml:3:28: error: Expected string, received number (at resources.redis.url)',
      ]);
    });

    it('reads a clock with its defaults, and checks it has a bpm or follow', () => {
      const { graph } = check('version: 1\nclock: { follow: { listen: 127.0.0.1:9100 } }\n');
      expect(graph?.settings.clock).toEqual({
        beats_per_bar: 4,
        follow: { listen: '127.0.0.1:9100', beat_address: '/clock/beat', tempo_address: '/tempo', lost_after: 2000 },
      });
      expect(check('version: 1\nclock: { bpm: 90, beats_per_bar: 3 }\n').graph?.settings.clock).toEqual({ bpm: 90, beats_per_bar: 3 });
      expect(check('version: 1\n').graph?.settings.clock).toBeUndefined();
      expect(messages(check('version: 1\nclock: { bpm: 5000, follow: { beat_address: clock } }\n').issues)).toEqual([
        'p.yaml:2:8: error: A clock has either `bpm` (fixed) or `follow` (an OSC clock), not both or neither (at clock)',
        'p.yaml:2:15: error: Expected a number at most 400, received 5000 (at clock.bpm)',
        'p.yaml:2:45: error: Expected an OSC address such as /clock/beat (at clock.follow.beat_address)',
      ]);
      expect(messages(check('version: 1\nclock: { beats_per_bar: 4 }\n').issues)).toEqual([
        'p.yaml:2:8: error: A clock has either `bpm` (fixed) or `follow` (an OSC clock), not both or neither (at clock)',
      ]);
    });

    it('resolves settings from the environment', () => {
      const text = 'version: 1\nserver: { token: "${TOKEN:-}" }\nresources:\n  redis: { url: "${REDIS_URL:-embedded}" }\n';
      const { graph } = check(text, { REDIS_URL: 'redis://r:6379' });
      expect(graph?.settings).toEqual({
        server: { listen: '127.0.0.1:8080', token: '' },
        resources: { redis: { url: 'redis://r:6379' }, postgres: { url: 'embedded' } },
      });
    });

    it('reports a section that is not a mapping', () => {
      expect(messages(check('version: 1\nsources: [demo]\n').issues)).toEqual([
        'p.yaml:2:10: error: Expected a mapping of node ids to nodes under "sources" (at sources)',
      ]);
    });
  });

  describe('node types and configs', () => {
    it('says when a type belongs to another section', () => {
      const text = `${HEAD}operators:\n  log: { type: out, inputs: [demo], path: x }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:16: error: "out" is a sink, not an operator; move "log" under sinks (at operators.log.type)',
      ]);
    });

    it('lists the known types when none is close', () => {
      const text = `${HEAD}operators:\n  x: { type: zzzzzz, inputs: [demo] }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:14: error: Unknown operator type "zzzzzz"; known operator types: limit, pass, split (at operators.x.type)',
      ]);
    });

    it('reports a node without a type, or that is not a mapping', () => {
      const text = `${HEAD}  a: { rate: 1/s }\n  b: gen\n  c:\n`;
      expect(messages(check(text).issues).filter((m) => m.includes('error'))).toEqual([
        'p.yaml:4:3: error: Missing required key "type" (at sources.a.type)',
        'p.yaml:5:6: error: Expected a mapping with a "type", received "gen" (at sources.b)',
        'p.yaml:6:3: error: Expected a mapping with a "type", received nothing (at sources.c)',
      ]);
    });

    it('lists the allowed keys when no key is close to an unknown one', () => {
      const text = `${HEAD}  more: { type: gen, rate: 1/s, zzzzzz: 1 }\n`;
      expect(messages(check(text).issues).filter((m) => m.includes('zzzzzz'))).toEqual([
        'p.yaml:4:33: error: Unknown key "zzzzzz"; allowed here: seed, users, enabled (at sources.more.zzzzzz)',
      ]);
    });

    it('suggests sink driver keys and checks their values', () => {
      const text = `${HEAD}sinks:\n  log: { type: out, inputs: [demo], path: x, bufer: {}, retry: { attempts: -1 }, flush_timeout: soon }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:46: error: Unknown key "bufer" (at sinks.log.bufer) Did you mean "buffer"?',
        'p.yaml:5:76: error: Expected a number at least 0, received -1 (at sinks.log.retry.attempts)',
        'p.yaml:5:97: error: Expected a duration with a unit, such as "80ms", "2s", "5m" or "1h" (at sinks.log.flush_timeout)',
      ]);
    });

    it('checks durations and rates through the schema', () => {
      const text = `${HEAD}  more: { type: gen, rate: 0/s }\noperators:\n  cmds: { type: split, inputs: [demo, more], cases: { cv: { match: x, every: soon } } }\n`;
      expect(messages(check(text).issues).filter((m) => m.includes('error'))).toEqual([
        'p.yaml:4:28: error: A rate must let at least one event through (at sources.more.rate)',
        'p.yaml:6:78: error: Expected a duration with a unit, such as "80ms", "2s", "5m" or "1h" (at operators.cmds.cases.cv.every)',
      ]);
    });

    it('suggests the nearest allowed value of an enum', () => {
      const text = `${HEAD}sinks:\n  log: { type: out, inputs: [demo], path: x, buffer: { when_full: drop_olde } }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:67: error: Expected one of "drop_oldest", "drop_newest", "latest_per_key", "block", received "drop_olde" (at sinks.log.buffer.when_full) Did you mean "drop_oldest"?',
      ]);
    });

    it('reports a malformed enabled flag', () => {
      const text = `${HEAD}  more: { type: gen, rate: 1/s, enabled: yes }\n`;
      expect(messages(check(text).issues).filter((m) => m.includes('error'))).toEqual([
        'p.yaml:4:42: error: Expected boolean, "true" or "false", received "yes" (at sources.more.enabled)',
      ]);
    });

    it('reports an id that could not be named in inputs', () => {
      const text = `${HEAD}sinks:\n  my.log: { type: out, inputs: [demo], path: x }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:3: error: Node id "my.log" must start with a letter or "_" and hold only letters, digits, "_" and "-" (at sinks.my.log)',
      ]);
    });

    it('still validates a disabled node', () => {
      const text = `${HEAD}  more: { type: gen, rate: fast, enabled: false }\nsinks:\n  log: { type: out, inputs: [demo, more], path: x }\n`;
      expect(messages(check(text).issues)).toEqual([
        `p.yaml:4:28: error: ${RATE_HELP} (at sources.more.rate)`,
      ]);
    });
  });

  describe('inputs', () => {
    it('reports a missing or empty inputs list once', () => {
      const text = `${HEAD}sinks:\n  a: { type: out, path: x }\n  b: { type: out, inputs: [], path: x }\n  c: { type: zzzzzz }\n`;
      expect(check(text).issues.filter((i) => i.rule !== 'unknown_type').map(formatIssue)).toEqual([
        'p.yaml:3:3: warning: Nothing reads from "demo"; its events go nowhere (at sources.demo)',
        'p.yaml:5:3: error: Sink "a" has no inputs; add "inputs: [node]" naming the nodes or ports it reads from (at sinks.a.inputs)',
        'p.yaml:6:27: error: Sink "b" has no inputs; add "inputs: [node]" naming the nodes or ports it reads from (at sinks.b.inputs)',
        'p.yaml:7:3: error: Sink "c" has no inputs; add "inputs: [node]" naming the nodes or ports it reads from (at sinks.c.inputs)',
      ]);
    });

    it('expands "*" to the default outputs of sources and operators, never the node itself', () => {
      const text = `${HEAD}operators:\n  cmds: { type: split, inputs: [demo], cases: { cv: { match: x } } }\n  all: { type: pass, inputs: ["*"] }\nsinks:\n  log: { type: out, inputs: [all], path: x }\n  other: { type: out, inputs: ["*"], path: x }\n`;
      const { graph, issues } = check(text);
      expect(issues).toEqual([]);
      expect(inputsOf(graph, 'all')).toEqual(['demo', 'cmds']);
      expect(inputsOf(graph, 'other')).toEqual(['demo', 'cmds', 'all']);
    });

    it('expands node.* to every named port of the node, and ? to one character', () => {
      const text = `${HEAD}operators:\n  cmds: { type: split, inputs: [demo], cases: { cv: { match: x }, pitch: { match: y } } }\nsinks:\n  log: { type: out, inputs: ["cmds.*", "dem?"], path: x }\n`;
      const { graph, issues } = check(text);
      expect(issues).toEqual([]);
      expect(inputsOf(graph, 'log')).toEqual(['cmds.cv', 'cmds.pitch', 'cmds._unmatched', 'demo']);
    });

    it('reports a named port on a node that has only its default output', () => {
      const text = `${HEAD}sinks:\n  log: { type: out, inputs: [demo.chat, demo], path: x }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:30: error: Node "demo" has no port "chat"; it has only its default output, "demo" (at sinks.log.inputs[0]) Did you mean "demo"?',
      ]);
    });

    it('accepts the default port of a ported operator and inputs from a disabled node', () => {
      const text = `${HEAD}  off: { type: gen, rate: 1/s, enabled: false }\noperators:\n  fair: { type: limit, inputs: [demo, off], rate: 1/s }\nsinks:\n  log: { type: out, inputs: [fair, fair._limited], path: x }\n`;
      const { graph, issues } = check(text);
      expect(issues).toEqual([]);
      expect(graph?.nodes.get('off')?.enabled).toBe(false);
      expect(inputsOf(graph, 'fair')).toEqual(['demo', 'off']);
    });

    it('does not report ports of a node whose config is invalid', () => {
      const text = `${HEAD}operators:\n  cmds: { type: split, inputs: [demo], cases: { cv: { match: 1 } } }\nsinks:\n  log: { type: out, inputs: [cmds.cv, "cmds.*"], path: x }\n`;
      expect(check(text).issues.map((i) => i.rule)).toEqual(['invalid_value']);
    });
  });

  describe('cycles', () => {
    it('reports a node reading itself', () => {
      const text = `${HEAD}operators:\n  loop: { type: pass, inputs: [demo, loop] }\nsinks:\n  log: { type: out, inputs: [loop], path: x }\n`;
      expect(messages(check(text).issues)).toEqual(['p.yaml:5:3: error: Cycle: loop → loop (at operators.loop)']);
    });

    it('reports each cycle once, starting at its first node in the file', () => {
      const text = [
        HEAD.trimEnd(),
        'operators:',
        '  b: { type: pass, inputs: [a] }',
        '  a: { type: pass, inputs: [demo, b] }',
        '  x: { type: pass, inputs: [demo, y] }',
        '  y: { type: pass, inputs: [x] }',
        'sinks:',
        '  log: { type: out, inputs: [a, x], path: x }',
      ].join('\n');
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:3: error: Cycle: b → a → b (at operators.b)',
        'p.yaml:7:3: error: Cycle: x → y → x (at operators.x)',
      ]);
    });
  });

  describe('order', () => {
    it('puts every node after its inputs, otherwise in file order, sources first', () => {
      const text = [
        'version: 1',
        'sinks:',
        '  log: { type: out, inputs: [late, early], path: x }',
        'operators:',
        '  late: { type: pass, inputs: [early] }',
        '  early: { type: pass, inputs: [demo] }',
        'sources:',
        '  demo: { type: gen, rate: 20/s }',
      ].join('\n');
      const { graph } = check(text);
      expect(graph?.order).toEqual(['demo', 'early', 'late', 'log']);
    });
  });

  describe('templates', () => {
    it('checks address, template, format and *_template fields, nested too', () => {
      const text = `${HEAD}operators:\n  p: { type: pass, inputs: [demo], format: "{{ text }} {{" }\n  cmds: { type: split, inputs: [p], cases: { cv: { match: x, reply_template: "{{ nope }}" } } }\nsinks:\n  log: { type: out, inputs: [cmds], path: "{{ ignored }}", address: "/{{ author.login }}" }\n`;
      expect(messages(check(text).issues)).toEqual([
        'p.yaml:5:44: error: Unbalanced "{{ }}" in template "{{ text }} {{" (at operators.p.format)',
        'p.yaml:6:62: error: Unknown key "reply_template"; allowed here: every (at operators.cmds.cases.cv.reply_template)',
        'p.yaml:6:78: error: Template field "nope" is not an event field (at operators.cmds.cases.cv.reply_template)',
      ]);
    });
  });

  describe('warnings', () => {
    it('does not warn about named ports when the mirrored default port is read', () => {
      const text = `${HEAD}operators:\n  cmds: { type: split, inputs: [demo], cases: { cv: { match: x } } }\nsinks:\n  log: { type: out, inputs: [cmds], path: x }\n`;
      expect(check(text).issues).toEqual([]);
    });

    it('does not warn about an unread side port (`_…`): those are optional by design', () => {
      const text = `${HEAD}operators:\n  fair: { type: limit, inputs: [demo], rate: 1/s }\nsinks:\n  log: { type: out, inputs: [fair], path: x }\n`;
      expect(messages(check(text).issues)).toEqual([]);
    });

    it('warns once about an orphan, not about each of its ports', () => {
      const text = `${HEAD}operators:\n  cmds: { type: split, inputs: [demo], cases: { cv: { match: x } } }\n`;
      expect(check(text).issues.map((i) => `${i.rule} ${i.path}`)).toEqual(['orphan_node operators.cmds']);
    });
  });
});

describe('large files', () => {
  /** `version`, a `gen` source, the given operators, and an `out` sink reading `last`. */
  const pipeline = (operators: readonly string[], last: string): string =>
    [
      'version: 1',
      'sources:',
      '  demo: { type: gen, rate: 20/s }',
      'operators:',
      ...operators,
      'sinks:',
      `  out: { type: out, inputs: [${last}], path: x }`,
      '',
    ].join('\n');

  // The old checks took minutes here (a linear search per node, per position, per id); the
  // timeout only guards against a hang, the assertions are about the outcome.
  it('accepts a valid chain of 20,000 nodes, near a megabyte', { timeout: 60_000 }, () => {
    const n = 20_000;
    const operators = Array.from({ length: n }, (_, i) => `  n${i + 1}: { type: pass, inputs: [${i === 0 ? 'demo' : `n${i}`}] }`);
    const text = pipeline(operators, `n${n}`);
    expect(text.length).toBeLessThanOrEqual(MAX_FILE_BYTES);
    const { graph, issues } = check(text);
    expect(issues).toEqual([]);
    expect(graph?.nodes.size).toBe(n + 2);
    expect(graph?.order[0]).toBe('demo');
    expect(graph?.order[n]).toBe(`n${n}`);
    expect(inputsOf(graph, 'out')).toEqual([`n${n}`]);
  });

  it('reports 20,000 unknown inputs, with a "did you mean" for the first hundred only', { timeout: 60_000 }, () => {
    const n = 20_000;
    const operators = Array.from({ length: n }, (_, i) => `  n${i + 1}: { type: pass, inputs: [m${i + 2}] }`);
    const { issues } = check(pipeline(operators, `n${n}`));
    const unknown = issues.filter((i) => i.rule === 'unknown_input');
    expect(unknown).toHaveLength(n);
    expect(unknown.slice(0, 100).every((i) => i.suggestion !== undefined)).toBe(true);
    expect(unknown.filter((i) => i.suggestion !== undefined)).toHaveLength(100);
  });

  it('refuses globs that would connect every node to every other', { timeout: 60_000 }, () => {
    const n = 1000;
    const operators = Array.from({ length: n }, (_, i) => `  n${i + 1}: { type: pass, inputs: ["*"] }`);
    const { graph, issues } = check(pipeline(operators, 'n1'));
    expect(graph).toBeUndefined();
    expect(issues.filter((i) => i.rule === 'too_many_connections')).toHaveLength(1);
    expect(issues.find((i) => i.rule === 'too_many_connections')?.message).toContain(`more than ${MAX_CONNECTIONS}`);
  });
});
