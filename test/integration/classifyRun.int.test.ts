/**
 * `classify` in the real runtime: a pipeline file through the registry, simulate's chat,
 * `kind.question` and `kind` (every category, mirrored to the default output) written by
 * real file sinks.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';

const EVENTS = 600;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const lines = async (file: string): Promise<ChatflowEvent[]> =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ChatflowEvent);

describe('classify in a pipeline', () => {
  it('sends each category to its port and every event to the default output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-classify-run-'));
    dirs.push(dir);
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `version: 1
sources:
  demo: { type: simulate, rate: max, count: ${EVENTS}, users: 50, seed: 5 }
operators:
  clean: { type: normalize, inputs: [demo] }
  kind: { type: classify, inputs: [clean] }
sinks:
  questions: { type: file, inputs: [kind.question], path: questions.jsonl }
  greetings: { type: file, inputs: [kind.greeting], path: greetings.jsonl }
  all: { type: file, inputs: [kind], path: all.jsonl }
`,
    );
    const running = await startPipeline(loadPipeline(file, { registry: defaultRegistry(), env: {} }), {
      logger: silentLogger(),
      resources: { baseDir: dir, instance: 'test' },
    });
    await running.finished;
    await running.stop();

    const all = await lines(join(dir, 'all.jsonl'));
    const questions = await lines(join(dir, 'questions.jsonl'));
    const greetings = await lines(join(dir, 'greetings.jsonl'));
    expect(all).toHaveLength(EVENTS);
    const chats = all.filter((e) => e.kind === 'chat');
    expect(chats.length).toBeGreaterThan(0);
    for (const e of chats) {
      expect(['command', 'link', 'question', 'greeting', 'emote_only', 'other']).toContain(e.category);
    }
    expect(questions.length).toBeGreaterThan(0);
    expect(greetings.length).toBeGreaterThan(0);
    expect(questions.every((e) => e.kind === 'chat' && e.category === 'question')).toBe(true);
    expect(questions.map((e) => (e.kind === 'chat' ? e.id : ''))).toEqual(
      chats.filter((e) => e.category === 'question').map((e) => e.id),
    );
    expect(greetings.length).toBe(chats.filter((e) => e.category === 'greeting').length);
  });
});
