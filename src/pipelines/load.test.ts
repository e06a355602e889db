// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the syntax under test, not a mistyped template literal.
import { describe, expect, it } from 'vitest';
import { formatIssue, PipelineError } from '../core/errors.js';
import { loadFile, loadText } from './load.js';

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
        'pipeline.yaml:3:9: error: Invalid YAML: Nested mappings are not allowed in compact mappings (at sources.demo.type)',
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
