// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the syntax under test, not a mistyped template literal.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Alias, Composer } from 'yaml';
import { defaultRegistry } from '../components.js';
import { formatIssue, PipelineError } from '../core/errors.js';
import { buildGraph } from './graph.js';
import { loadFile, loadText, MAX_FILE_BYTES, MAX_REFERENCES, MAX_VALUES } from './load.js';

const load = (text: string, env: Record<string, string | undefined> = {}) =>
  loadText(text, { file: 'pipeline.yaml', env });
const messages = (text: string, env: Record<string, string | undefined> = {}) =>
  load(text, env).issues.map(formatIssue);

describe('loadText', () => {
  it('parses plain YAML and keeps positions', () => {
    const loaded = load('version: 1\nsources:\n  demo: { type: gen }\n');
    expect(loaded.issues).toEqual([]);
    expect(loaded.value).toEqual({ version: 1, sources: { demo: { type: 'gen' } } });
    const key = loaded.doc.getIn(['sources', 'demo', 'type'], true) as { range: [number, number, number] };
    expect(loaded.lineCounter.linePos(key.range[0])).toEqual({ line: 3, col: 17 });
  });

  describe('${VAR} interpolation', () => {
    it('resolves references in string values once, at load', () => {
      const loaded = load('a: "${HOST}:${PORT:-8080}"\nb: [x, "${HOST}"]\n', { HOST: 'h' });
      expect(loaded.value).toEqual({ a: 'h:8080', b: ['x', 'h'] });
    });

    it('re-reads a value that is one whole reference as a plain YAML scalar', () => {
      const loaded = load(
        [
          'enabled: "${ENABLED:-false}"',
          'on: "${ON:-true}"',
          'n: "${N:-20}"',
          'hex: "${HEX:-0x10}"',
          'f: "${F:-1.5}"',
          'nothing: "${NOTHING:-null}"',
          'empty: "${EMPTY:-}"',
          'text: "${TEXT:-hello}"',
          'mixed: "n=${N:-20}"',
          'tagged: !!str "${N:-20}"',
          'spaced: "${SPACED:- 20}"',
        ].join('\n'),
      );
      expect(loaded.value).toEqual({
        enabled: false,
        on: true,
        n: 20,
        hex: 16,
        f: 1.5,
        nothing: null,
        empty: '',
        text: 'hello',
        mixed: 'n=20',
        tagged: '20',
        spaced: ' 20',
      });
    });

    it('reads the variable from the injected env, not from process.env', () => {
      process.env.CHATFLOW_LOAD_TEST = 'from process';
      try {
        expect(load('a: "${CHATFLOW_LOAD_TEST:-default}"', {}).value).toEqual({ a: 'default' });
      } finally {
        delete process.env.CHATFLOW_LOAD_TEST;
      }
    });

    it('turns $${ into a literal ${', () => {
      expect(load('a: "$${HOME}/x"\nb: $${HOME}\n', { HOME: '/root' }).value).toEqual({
        a: '${HOME}/x',
        b: '${HOME}',
      });
    });

    it('leaves keys, comments and non-strings alone', () => {
      expect(load('"${KEY}": 1 # ${COMMENT}\nn: 2\n').value).toEqual({ '${KEY}': 1, n: 2 });
    });

    it('reports an unset variable at its scalar, with the path, and keeps checking', () => {
      const text = 'version: 1\nserver:\n  token: "${TOKEN}"\n  listen: ${LISTEN:?say where to listen}\n';
      expect(messages(text)).toEqual([
        'pipeline.yaml:3:10: error: Environment variable TOKEN is not set; set it or give a default with ${TOKEN:-default} (at server.token)',
        'pipeline.yaml:4:11: error: Environment variable LISTEN is not set: say where to listen (at server.listen)',
      ]);
      // The rest of the document is still usable; the broken scalars keep their text.
      expect(load(text).value).toEqual({ version: 1, server: { token: '${TOKEN}', listen: '${LISTEN:?say where to listen}' } });
    });

    it('reports a malformed reference', () => {
      expect(messages('a:\n  - "${1X}"\n')).toEqual([
        'pipeline.yaml:2:5: error: Malformed variable reference "${1X}": write ${NAME}, ${NAME:-default} or ${NAME:?message}, or $${ for a literal ${ (at a[0])',
      ]);
    });
  });

  describe('YAML errors', () => {
    it('reports a syntax error with its position and path, and no value', () => {
      const loaded = load('version: 1\nsources:\n  demo: type: gen\n');
      expect(loaded.issues.map(formatIssue)).toEqual([
        'pipeline.yaml:3:9: error: Invalid YAML: Nested mappings are not allowed in compact mappings; a value cannot hold a "key: value" on the same line; move it to its own line, indented under its key, or write it as { key: value } (at sources.demo.type)',
      ]);
      expect(loaded.value).toBeUndefined();
    });

    it('reports a node id written twice in one section as duplicate_id', () => {
      const loaded = load('sources:\n  demo: { type: gen }\n  demo: { type: gen }\n');
      expect(loaded.issues.map((i) => [i.rule, formatIssue(i)])).toEqual([
        [
          'duplicate_id',
          'pipeline.yaml:3:3: error: Node id "demo" is defined twice in sources (first at line 2) (at sources.demo)',
        ],
      ]);
      // Duplicate keys leave the rest of the document intact, so checking goes on.
      expect(loaded.value).toEqual({ sources: { demo: { type: 'gen' } } });
    });

    it('reports any other key written twice as duplicate_key', () => {
      expect(load('sources:\n  demo: { type: gen, type: pass }\n').issues.map((i) => [i.rule, formatIssue(i)])).toEqual([
        [
          'duplicate_key',
          'pipeline.yaml:2:22: error: Key "type" is written twice (first at line 2) (at sources.demo.type)',
        ],
      ]);
    });

    it('reports an alias without an anchor', () => {
      expect(messages('a: &x 1\nb: *y\n')).toEqual([
        'pipeline.yaml:2:4: error: Invalid YAML: unknown alias *y; define &y before it (at b)',
      ]);
    });

    it('rewords the multiple-documents error for a pipeline file', () => {
      expect(messages('a: 1\n---\nb: 2\n')).toEqual([
        'pipeline.yaml:2:1: error: Invalid YAML: a pipeline file holds one document; remove the second "---"',
      ]);
    });

    it('treats an empty file as an empty document', () => {
      const loaded = load('');
      expect(loaded.issues).toEqual([]);
      expect(loaded.value).toBeNull();
    });
  });
});

describe('loadFile', () => {
  it('reads a file and names it in issues', () => {
    const file = 'test/fixtures/config/unset_variable.yaml';
    const loaded = loadFile(file, { env: {} });
    expect(loaded.file).toBe(file);
    expect(loaded.issues.map((i) => i.file)).toEqual([file]);
  });

  it('throws ERR_CONFIG_IO when the file cannot be read', () => {
    expect(() => loadFile('test/fixtures/config/nope.yaml', { env: {} })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_IO', name: 'PipelineError' }),
    );
    expect(() => loadFile('test/fixtures/config/nope.yaml', { env: {} })).toThrow(PipelineError);
  });
});

describe('one YAML syntax error, the first, with what to do', () => {
  const pipeline = readFileSync('pipeline.yaml', 'utf8');
  const lines = pipeline.split('\n');
  // A line of the default pipeline's throttle, indented by four spaces under its node.
  const at = lines.indexOf('    rate: 1/2s');
  const edited = (line: string): string => [...lines.slice(0, at), line, ...lines.slice(at + 1)].join('\n');
  const validate = (text: string) => buildGraph(loadText(text, { file: 'pipeline.yaml', env: {} }), defaultRegistry());

  it('finds the line it edits in the default pipeline', () => {
    expect(at).toBeGreaterThan(0);
    expect(validate(pipeline).issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('reports a line indented one space too deep once, at that line', () => {
    const { graph, issues } = validate(edited('     rate: 1/2s'));
    expect(graph).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(formatIssue(issues[0] as (typeof issues)[number])).toMatch(
      new RegExp(`^pipeline\\.yaml:${at + 1}:6: error: Invalid YAML: .*check the indentation of this line against the one above`),
    );
  });

  it('reports a line indented one space too shallow once, at that line', () => {
    const { issues } = validate(edited('   rate: 1/2s'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'yaml_syntax', line: at + 1, col: 1 });
    expect(issues[0]?.message).toContain('check the indentation of this line against the one above');
  });

  it('reports a tab once, saying YAML indents with spaces', () => {
    const { issues } = validate(edited('\trate: 1/2s'));
    expect(issues).toHaveLength(1);
    expect(formatIssue(issues[0] as (typeof issues)[number])).toBe(
      `pipeline.yaml:${at + 1}:1: error: Invalid YAML: YAML uses spaces for indentation, not tabs; replace the tabs at the start of this line with spaces`,
    );
  });
});

describe('hostile and huge files', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses a file above the size limit without parsing it', () => {
    const text = `version: 1\n# ${'x'.repeat(MAX_FILE_BYTES)}\n`;
    const loaded = load(text);
    expect(loaded.value).toBeUndefined();
    expect(loaded.issues.map(formatIssue)).toEqual([
      `pipeline.yaml: error: The file is ${text.length} bytes (1.0 MiB); a pipeline file may be at most 1 MiB (1048576 bytes). Is this the pipeline you meant?`,
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'chatflow-load-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(file, text);
    expect(loadFile(file, { env: {} }).issues.map((i) => i.rule)).toEqual(['file_too_large']);
  });

  it('accepts a file of exactly the size limit', () => {
    const head = 'version: 1\n# ';
    const loaded = load(`${head}${'x'.repeat(MAX_FILE_BYTES - head.length - 1)}\n`);
    expect(loaded.issues).toEqual([]);
    expect(loaded.value).toEqual({ version: 1 });
  });

  it('refuses a megabyte of aliases to one scalar, resolving none of them', { timeout: 60_000 }, () => {
    const resolve = vi.spyOn(Alias.prototype, 'resolve');
    const count = 300_000;
    const text = `version: 1\nx: &s v\nlist: [${Array(count).fill('*s').join(',')}]\n`;
    expect(text.length).toBeLessThanOrEqual(MAX_FILE_BYTES);
    const loaded = load(text);
    expect(loaded.value).toBeUndefined();
    // The anchor &s is the first reference, so the alias past the limit is number MAX_REFERENCES.
    const col = 'list: ['.length + (MAX_REFERENCES - 1) * '*s,'.length + 1;
    expect(loaded.issues.map((i) => [i.rule, i.line, i.col])).toEqual([['too_many_aliases', 3, col]]);
    expect(loaded.issues[0]?.message).toContain(`at most ${MAX_REFERENCES}`);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('refuses a megabyte of values before yaml builds any of them', { timeout: 60_000 }, () => {
    const compose = vi.spyOn(Composer.prototype, 'compose');
    const flat = `a: [${Array(500_000).fill('1').join(',')}]\n`;
    const deep = `a: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`;
    for (const text of [flat, deep]) {
      expect(text.length).toBeLessThanOrEqual(MAX_FILE_BYTES);
      const loaded = load(text);
      expect(loaded.value).toBeUndefined();
      expect(loaded.issues.map((i) => i.rule)).toEqual(['too_many_values']);
      expect(loaded.issues[0]?.message).toContain(`at most ${MAX_VALUES}`);
    }
    expect(compose).not.toHaveBeenCalled();
  });

  it('refuses a chain of 2,000 merge keys, resolving none of them', { timeout: 60_000 }, () => {
    const resolve = vi.spyOn(Alias.prototype, 'resolve');
    const lines = ['version: 1', 'm0: &m0 { k0: 0 }'];
    for (let i = 1; i < 2000; i++) lines.push(`m${i}: &m${i} { <<: *m${i - 1}, k${i}: ${i} }`);
    const loaded = load(`${lines.join('\n')}\n`);
    expect(loaded.value).toBeUndefined();
    expect(loaded.issues.map((i) => i.rule)).toEqual(['too_many_aliases']);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('resolves the aliases of an ordinary file with yaml, and keeps their positions', () => {
    const loaded = load('retry: &retry { attempts: 3 }\na: { retry: *retry }\nb: { retry: *retry }\n');
    expect(loaded.issues).toEqual([]);
    expect(loaded.value).toEqual({ retry: { attempts: 3 }, a: { retry: { attempts: 3 } }, b: { retry: { attempts: 3 } } });
    expect(loaded.positions.positionAt(['b', 'retry', 'attempts'])).toEqual({ line: 1, col: 27 });
  });
});
