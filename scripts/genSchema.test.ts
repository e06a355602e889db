import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../src/components.js';
import { renderPipelineSchema, renderReference } from '../src/pipelines/reference.js';
import { renderTestReference, renderTestSchema, withTestReference } from '../src/testing/reference.js';

describe('generated files', () => {
  const registry = defaultRegistry();

  it('pipeline.schema.json is up to date (run `npm run gen`)', async () => {
    const committed = await readFile(new URL('../pipeline.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderPipelineSchema(registry));
  });

  it('docs/components.md is up to date (run `npm run gen`)', async () => {
    const committed = await readFile(new URL('../docs/components.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderReference(registry));
  });
});

describe('generated test file reference', () => {
  it('pipeline.test.schema.json is up to date (run `npm run gen`)', async () => {
    const committed = await readFile(new URL('../pipeline.test.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderTestSchema());
  });

  it('the test file reference in docs/testing.md is up to date (run `npm run gen`)', async () => {
    const committed = await readFile(new URL('../docs/testing.md', import.meta.url), 'utf8');
    expect(committed).toContain(renderTestReference());
    expect(withTestReference(committed)).toBe(committed);
  });
});
