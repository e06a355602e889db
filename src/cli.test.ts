import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { captureIo as io } from '../test/support/commandIo.js';

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatflow-cli-'));
  await writeFile(
    file('ok.yaml'),
    `version: 1
sources:
  demo: { type: simulate, rate: 5/s }
operators:
  chat: { type: filter, inputs: [demo], match: { kind: [chat] } }
sinks:
  show: { type: console, inputs: [chat] }
`,
  );
  await writeFile(
    file('orphan.yaml'),
    `version: 1
sources:
  demo: { type: simulate }
  spare: { type: simulate, seed: 2 }
sinks:
  show: { type: console, inputs: [demo] }
`,
  );
  await writeFile(
    file('bad.yaml'),
    `version: 1
sources:
  demo: { type: simulate, rate: fast }
sinks:
  show: { type: console, inputs: [demo, nowhere] }
`,
  );
});

describe('chatflow validate', () => {
  it('exits 0 for a valid pipeline', async () => {
    const t = io();
    expect(await main(['validate', file('ok.yaml')], t.io)).toBe(0);
    expect(t.out()).toContain('valid, 3 nodes, 0 warning(s)');
  });

  it('prints warnings, and exits 1 for them only with --strict', async () => {
    const t = io();
    expect(await main(['validate', file('orphan.yaml')], t.io)).toBe(0);
    expect(t.err()).toMatch(/orphan\.yaml:4:3: warning: .*spare/);
    expect(await main(['validate', '--strict', file('orphan.yaml')], io().io)).toBe(1);
  });

  it('exits 78 and reports every error with its position', async () => {
    const t = io();
    expect(await main(['validate', file('bad.yaml')], t.io)).toBe(78);
    expect(t.err()).toMatch(/bad\.yaml:3:\d+: error: .*rate/);
    expect(t.err()).toMatch(/bad\.yaml:5:\d+: error: .*nowhere/);
    expect(t.err()).toContain('2 error(s); nothing was started.');
  });

  it('exits 78 when the file does not exist', async () => {
    const t = io();
    expect(await main(['validate', file('missing.yaml')], t.io)).toBe(78);
    expect(t.err()).toContain('missing.yaml');
  });
});

describe('chatflow graph', () => {
  it('prints Mermaid by default', async () => {
    const t = io();
    expect(await main(['graph', file('ok.yaml')], t.io)).toBe(0);
    expect(t.out()).toContain('flowchart LR');
    expect(t.out()).toContain('demo --> chat');
    expect(t.out()).toContain('chat --> show');
  });

  it('prints Graphviz dot', async () => {
    const t = io();
    expect(await main(['graph', file('ok.yaml'), '--format', 'dot'], t.io)).toBe(0);
    expect(t.out()).toContain('digraph pipeline {');
    expect(t.out()).toContain('"demo" -> "chat"');
  });

  it('refuses an unknown format with 64', async () => {
    expect(await main(['graph', file('ok.yaml'), '--format', 'png'], io().io)).toBe(64);
  });
});

describe('chatflow schema, help and usage', () => {
  it('prints the JSON Schema', async () => {
    const t = io();
    expect(await main(['schema'], t.io)).toBe(0);
    const schema = JSON.parse(t.out()) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['version', 'sources', 'operators', 'sinks']),
    );
  });

  it('shows help for the tool and for each command', async () => {
    const t = io();
    expect(await main(['--help'], t.io)).toBe(0);
    expect(t.out()).toContain('validate');
    const v = io();
    expect(await main(['validate', '--help'], v.io)).toBe(0);
    expect(v.out()).toContain('Exit codes: 0 valid, 1 warnings with --strict, 78 errors.');
  });

  it('exits 64 on an unknown command or option', async () => {
    expect(await main(['launch'], io().io)).toBe(64);
    expect(await main(['validate', '--bogus'], io().io)).toBe(64);
    expect(await main([], io().io)).toBe(64);
  });
});

describe('chatflow CLI corners', () => {
  it('prints its version from package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const t = io();
    expect(await main(['--version'], t.io)).toBe(0);
    expect(t.out()).toBe(`chatflow ${pkg.version}\n`);
  });

  it('says in plain words which option is unknown, with a suggestion, and exits 64', async () => {
    const t = io();
    expect(await main(['run', '--quiett'], t.io)).toBe(64);
    expect(t.err()).toBe(
      'chatflow run: unknown option --quiett. Did you mean --quiet? Options: --quiet, --strict, --help.\n(chatflow run --help for usage)\n',
    );
    const v = io();
    expect(await main(['graph', '--format'], v.io)).toBe(64);
    expect(v.err()).toContain('chatflow graph: --format needs a value (--format VALUE).');
    const w = io();
    expect(await main(['validate', '--strict=yes'], w.io)).toBe(64);
    expect(w.err()).toContain('chatflow validate: --strict takes no value.');
  });

  it('suggests the command meant by a typo', async () => {
    const t = io();
    expect(await main(['valdiate'], t.io)).toBe(64);
    expect(t.err()).toContain('chatflow: unknown command "valdiate". Did you mean "chatflow validate"?');
  });

  it('reingest of a missing file exits 64 before starting any server', async () => {
    const project = join(dir, 'reingest-project');
    await mkdir(project, { recursive: true });
    await writeFile(
      join(project, 'pipeline.yaml'),
      `version: 1
sources:
  demo: { type: simulate }
sinks:
  history: { type: postgres, inputs: [demo] }
`,
    );
    const t = io();
    const missing = join(project, 'nothing-here.jsonl');
    expect(await main(['reingest', missing, '--pipeline', join(project, 'pipeline.yaml')], t.io)).toBe(64);
    expect(t.err()).toBe(`chatflow reingest: cannot read "${missing}": no such file.\n`);
    // No embedded server was started for it: nothing was created under .chatflow/.
    expect(existsSync(join(project, '.chatflow'))).toBe(false);
  });
});
