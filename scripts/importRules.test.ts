import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkImports, specifiers } from './importRules.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('the imports of src/ (docs/architecture.md)', () => {
  const report = checkImports(ROOT);

  it('have no cycle between files, type-only imports included', () => {
    expect(report.cycles.map((c) => c.join(' -> '))).toEqual([]);
  });

  it('reach into a component folder only through its index.ts, and into shared/ only from the same kind', () => {
    expect(report.deepImports).toEqual([]);
  });

  it('keep core below everything, sinks off operators and sources, operators off sinks', () => {
    expect(report.layerViolations).toEqual([]);
  });
});

describe('checkImports on a fixture tree', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  function tree(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'chatflow-imports-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }

  it('reports a type-only cycle, a deep import, a shared/ file reached from another kind and each layer breach', () => {
    root = tree({
      'src/core/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'src/core/b.ts': "export type { A } from './a.js';\nexport type B = number;\n",
      'src/core/up.ts': "import { run } from '../pipelines/run.js';\n",
      'src/pipelines/run.ts': "import { osc } from '../sinks/osc/index.js';\nimport { encode } from '../sinks/osc/encode.js';\nexport const run = 1;\n",
      'src/sinks/osc/index.ts': "import { encode } from './encode.js';\nimport { VARIABLE } from '../../operators/control/index.js';\n",
      'src/sinks/osc/encode.ts': "import { lower } from '../shared/text.js';\nexport const encode = 1;\n",
      'src/sinks/shared/text.ts': 'export const lower = 1;\n',
      'src/operators/control/index.ts': "export const VARIABLE = 1;\nconst s = await import('../../sinks/shared/text.js');\n",
      'src/operators/control/control.test.ts': "import { encode } from '../../sinks/osc/index.js';\n",
    });
    const report = checkImports(root);
    expect(report.cycles).toEqual([['src/core/a.ts', 'src/core/b.ts', 'src/core/a.ts']]);
    expect(report.deepImports).toEqual([
      'src/operators/control/index.ts -> src/sinks/shared/text.ts',
      'src/pipelines/run.ts -> src/sinks/osc/encode.ts',
    ]);
    expect(report.layerViolations).toEqual([
      'src/core/up.ts -> src/pipelines/run.ts',
      'src/operators/control/index.ts -> src/sinks/shared/text.ts',
      'src/sinks/osc/index.ts -> src/operators/control/index.ts',
    ]);
  });

  it('keeps every layer off the ones above it: server and resources off components, components off the runtime, the runtime off the test harness, the harness off the CLI', () => {
    root = tree({
      'src/server/routes.ts': "import { osc } from '../sinks/osc/index.js';\n",
      'src/resources/storage.ts': "import { run } from '../pipelines/run.js';\n",
      'src/sources/demo.ts': "import { parse } from '../operators/parse.js';\nimport { tick } from '../pipelines/clock.js';\n",
      'src/operators/parse.ts': "import { io } from '../cli/io.js';\n",
      'src/pipelines/run.ts': "import { io } from '../cli/io.js';\nimport { list } from '../components.js';\n",
      'src/pipelines/clock.ts': 'export const tick = 1;\n',
      'src/components.ts': "import { parse } from './operators/parse.js';\n",
      'src/cli/io.ts': "import { run } from '../pipelines/run.js';\nimport { routes } from '../server/routes.js';\nimport { runVirtual } from '../testing/virtualRun.js';\n",
      'src/sinks/osc/index.ts': 'export const osc = 1;\n',
      'src/testing/virtualRun.ts': "import { run } from '../pipelines/run.js';\nimport { io } from '../cli/io.js';\nexport const runVirtual = 1;\n",
      'src/pipelines/replay.ts': "import { runVirtual } from '../testing/virtualRun.js';\n",
    });
    expect(checkImports(root).layerViolations).toEqual([
      'src/operators/parse.ts -> src/cli/io.ts',
      'src/pipelines/replay.ts -> src/testing/virtualRun.ts',
      'src/pipelines/run.ts -> src/cli/io.ts',
      'src/resources/storage.ts -> src/pipelines/run.ts',
      'src/server/routes.ts -> src/sinks/osc/index.ts',
      'src/sources/demo.ts -> src/operators/parse.ts',
      'src/sources/demo.ts -> src/pipelines/clock.ts',
      'src/testing/virtualRun.ts -> src/cli/io.ts',
    ]);
  });

  it('finds a cycle through three files and a file importing itself', () => {
    root = tree({
      'src/pipelines/a.ts': "import './b.js';\n",
      'src/pipelines/b.ts': "export * from './c';\n",
      'src/pipelines/c.ts': "import type { A } from './a.js';\n",
      'src/pipelines/self.ts': "import { x } from './self.js';\nexport const x = 1;\n",
    });
    expect(checkImports(root).cycles).toEqual([
      ['src/pipelines/a.ts', 'src/pipelines/b.ts', 'src/pipelines/c.ts', 'src/pipelines/a.ts'],
      ['src/pipelines/self.ts', 'src/pipelines/self.ts'],
    ]);
  });

  it('reads every import form and skips commented-out ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import {\n  c,\n  type D,\n} from './c.js';",
      "export { e } from './e.js';",
      "export type * from './f.js';",
      "import './g.js';",
      "const h = await import('./h.js');",
      "// import { x } from './x.js';",
      "/* import { y } from './y.js'; */",
    ].join('\n');
    expect(specifiers(text)).toEqual(['./a.js', './b.js', './c.js', './e.js', './f.js', './g.js', './h.js']);
  });

  it('reads a string holding "/*" or "//" as a string, not as the start of a comment', () => {
    const text = [
      "const glob = '/cv/*';",
      'const url = "http://x";',
      "const late = await import('./late.js'); // a comment after code",
      '/** The doc comment that closes nothing. */',
      "import { after } from './after.js';",
    ].join('\n');
    expect(specifiers(text)).toEqual(['./late.js', './after.js']);
  });
});
