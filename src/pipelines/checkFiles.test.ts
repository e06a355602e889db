import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultRegistry } from '../components.js';
import { formatIssue } from '../core/errors.js';
import { filePath } from '../core/filePath.js';
import { namedFiles } from './checkFiles.js';
import { validatePipeline } from './graph.js';

const registry = defaultRegistry();

/** Writes `pipeline.yaml` (and `files`) into a fresh folder; returns the pipeline's path. */
function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'chatflow-files-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  return join(dir, 'pipeline.yaml');
}

const errors = (file: string): string[] =>
  validatePipeline(file, { registry, env: {} })
    .issues.filter((i) => i.severity === 'error')
    .map((i) => formatIssue(i).replaceAll(join(file, '..'), '<dir>'));

const PIPELINE = `version: 1
sources:
  chat: { type: replay, path: recordings/night.jsonl }
operators:
  mod:
    type: moderate
    inputs: [chat]
    words: { file: lists/banned.txt }
sinks:
  log: { type: file, inputs: [mod.clean], path: out/clean.jsonl }
  history: { type: postgres, inputs: [mod.flagged], dead_letter: dead/history.jsonl }
`;

describe('validate: every file a config names', () => {
  it('reports a word list or recording that is not there, at its value, as run would refuse it', () => {
    expect(errors(project(PIPELINE))).toEqual([
      '<dir>/pipeline.yaml:3:31: error: File "recordings/night.jsonl" not found (looked for <dir>/recordings/night.jsonl, relative to the pipeline file) (at sources.chat.path)',
      '<dir>/pipeline.yaml:8:20: error: File "lists/banned.txt" not found (looked for <dir>/lists/banned.txt, relative to the pipeline file) (at operators.mod.words.file)',
    ]);
  });

  it('passes when they exist, relative to the pipeline file (not the working directory)', () => {
    const file = project(PIPELINE, { 'recordings/night.jsonl': '', 'lists/banned.txt': 'scam*\n' });
    expect(errors(file)).toEqual([]);
  });

  it('refuses a folder where a file is read or written, and a file where a folder must be created', () => {
    const file = project(PIPELINE, {
      'recordings/night.jsonl/keep': '',
      'lists/banned.txt': 'scam*\n',
      out: 'a file, not a folder',
      'dead/history.jsonl/keep': '',
    });
    expect(errors(file)).toEqual([
      '<dir>/pipeline.yaml:3:31: error: "recordings/night.jsonl" is a folder (<dir>/recordings/night.jsonl); name a file (at sources.chat.path)',
      '<dir>/pipeline.yaml:10:49: error: "out/clean.jsonl" cannot be created: <dir>/out is a file, not a folder (at sinks.log.path)',
      '<dir>/pipeline.yaml:11:66: error: "dead/history.jsonl" is a folder (<dir>/dead/history.jsonl); name a file to write (at sinks.history.dead_letter)',
    ]);
  });

  it('finds file fields by their schema marker, through optional, arrays, records and unions', () => {
    const schema = z.strictObject({
      one: filePath('read').optional(),
      many: z.array(z.strictObject({ f: filePath('write').describe('x') })).default([]),
      byName: z.record(z.string(), z.union([filePath('read'), z.number()])).optional(),
      other: z.string().optional(),
    });
    const found = namedFiles(schema, { one: 'a', many: [{ f: 'b' }], byName: { k: 'c', n: 3 }, other: 'd' });
    expect(found).toEqual([
      { path: ['one'], file: 'a', access: 'read' },
      { path: ['many', 0, 'f'], file: 'b', access: 'write' },
      { path: ['byName', 'k'], file: 'c', access: 'read' },
    ]);
  });
});
