/**
 * `chatflow test --update`: writes what came out into the expectations a test file leaves
 * missing, by editing its text in place, so every comment and every other line stays as
 * written. An expectation that is written is never touched.
 */
import { isMap, isSeq, type Node, type Pair, stringify, type YAMLMap } from 'yaml';
import type { ChatflowEvent } from '../core/events.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { formatTime } from './expectations.js';
import type { RunResult } from './harness.js';
import type { LoadedTestFile } from './loadTestFile.js';

export interface UpdateResult {
  readonly text: string;
  /** What was written: `a vote moves wobble: synth (osc), 3 outputs`. */
  readonly written: readonly string[];
  /** Expectations left as they were because they are written. */
  readonly untouched: readonly string[];
  /** Missing expectations that could not be written, and why. */
  readonly skipped: readonly string[];
}

interface Edit {
  /** Replace [from, to) of the text. */
  readonly from: number;
  readonly to: number;
  readonly text: string;
}

/** `{ at: 5.080s, address: /cv/wobble, value: 0.7 }`: one output on one line. */
function flow(value: Record<string, unknown>): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

/** The fields of an event worth asserting; the rest (ids, clocks, author details) would only make the test brittle. */
export function eventSummary(event: ChatflowEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'chat':
      return { kind: 'chat', text: event.text, author: { login: event.author.login } };
    case 'platform':
      return { kind: 'platform', type: event.type, ...(event.author ? { author: { login: event.author.login } } : {}) };
    case 'command':
      return { kind: 'command', name: event.name, args: event.args, chat: { author: { login: event.chat.author.login } } };
    case 'control':
      return { kind: 'control', variable: event.variable, value: event.value, origin: event.origin };
    case 'moderation':
      return { kind: 'moderation', verdict: event.verdict, reasons: event.reasons, chat: { text: event.chat.text } };
    case 'reply':
      return { kind: 'reply', text: event.text };
    case 'metric':
      return { kind: 'metric', name: event.name };
    case 'alert':
      return { kind: 'alert', rule: event.rule, state: event.state };
  }
}

function atText(ms: number): string {
  return formatTime(ms);
}

function outputLines(items: readonly Record<string, unknown>[], indent: string): string[] {
  if (items.length === 0) return [`${indent}outputs: []`];
  return [`${indent}outputs:`, ...items.map((item) => `${indent}  - ${flow(item)}`)];
}

function sinkItems(result: RunResult, sink: string): Record<string, unknown>[] {
  return result.outputs.filter((o) => o.sink === sink).map((o) => ({ at: atText(o.at), ...o.output }));
}

function portItems(result: RunResult, ref: string): Record<string, unknown>[] {
  const dot = ref.indexOf('.');
  const node = dot < 0 ? ref : ref.slice(0, dot);
  const port = dot < 0 ? '' : ref.slice(dot + 1);
  return result.recorded.filter((r) => r.node === node && r.port === port).map((r) => ({ at: atText(r.at), ...eventSummary(r.event) }));
}

/**
 * Sinks that sent more than this are left out of a whole test's update: a test of hundreds of
 * metric rows says nothing a reader can check, and breaks with every node added.
 */
export const MAX_WRITTEN = 50;

/** A whole `expect:` block for a test with none: every sink of the pipeline and what it sent. */
function expectBlock(graph: PipelineGraph, result: RunResult, indent: string): { lines: string[]; written: string[]; left: string[] } {
  const sinks = [...graph.nodes.values()].filter((n) => n.kind === 'sink' && n.enabled);
  const lines = [`${indent}expect:`];
  const written: string[] = [];
  const left: string[] = [];
  for (const sink of sinks) {
    const items = sinkItems(result, sink.id);
    if (items.length > MAX_WRITTEN) {
      left.push(`${sink.id} (${sink.type}) sent ${items.length} outputs, more than ${MAX_WRITTEN}; add \`- sink: ${sink.id}\` to the test to write them all`);
      continue;
    }
    lines.push(`${indent}  - sink: ${sink.id}`, ...outputLines(items, `${indent}    `));
    written.push(`${sink.id}, ${items.length} output${items.length === 1 ? '' : 's'}`);
  }
  return { lines, written, left };
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => String((p.key as { value?: unknown } | null)?.value) === key) as Pair | undefined;
}

export interface UpdateTarget {
  readonly name: string;
  readonly graph: PipelineGraph;
  readonly result: RunResult;
}

/**
 * The test file's text with the missing expectations of `targets` written in.
 *
 * Missing: a test without `expect` (or `expect: []`), which gets one entry per sink; an entry
 * with a `sink` or `port` and neither `outputs` nor `never`, which gets its `outputs`.
 */
export function updateText(file: LoadedTestFile, targets: readonly UpdateTarget[]): UpdateResult {
  const { text } = file;
  const { doc, lineCounter } = file.loaded;
  const edits: Edit[] = [];
  const written: string[] = [];
  const untouched: string[] = [];
  const skipped: string[] = [];
  const lineStart = (offset: number): number => {
    const { line } = lineCounter.linePos(offset);
    return lineCounter.lineStarts[line - 1] ?? 0;
  };
  const nextLine = (offset: number): number => {
    const newline = text.indexOf('\n', offset);
    return newline < 0 ? text.length : newline + 1;
  };
  const column = (node: Node | null | undefined): number => (node?.range ? lineCounter.linePos(node.range[0]).col - 1 : 0);
  const tests = isMap(doc.contents) ? pairOf(doc.contents, 'tests')?.value : undefined;

  for (const { name, graph, result } of targets) {
    const testPair = isMap(tests) ? pairOf(tests, name) : undefined;
    const test = testPair?.value;
    if (!isMap(test) || test.flow) {
      skipped.push(`${name}: write the test as a block (one key a line) for --update to fill it in`);
      continue;
    }
    const expectPair = pairOf(test, 'expect');
    const expectValue = expectPair?.value as Node | null | undefined;
    const empty = expectValue == null || (isSeq(expectValue) && expectValue.items.length === 0) || !isSeq(expectValue);
    if (empty) {
      const indent = ' '.repeat(column(test.items[0]?.key as Node));
      const whole = expectBlock(graph, result, indent);
      for (const why of whole.left) skipped.push(`${name}: ${why}`);
      const block = `${whole.lines.join('\n')}\n`;
      if (expectPair) {
        const from = lineStart((expectPair.key as Node).range?.[0] ?? 0);
        const end = expectValue?.range?.[1] ?? (expectPair.key as Node).range?.[1] ?? from;
        edits.push({ from, to: nextLine(end), text: block });
      } else {
        const end = test.range?.[1] ?? text.length;
        const at = nextLine(Math.max(0, end - 1));
        edits.push({ from: at, to: at, text: (at === text.length && !text.endsWith('\n') ? '\n' : '') + block });
      }
      written.push(`${name}: ${whole.written.length > 0 ? whole.written.join('; ') : 'no sink'}`);
      continue;
    }
    expectValue.items.forEach((item, k) => {
      if (!isMap(item)) return;
      const sink = pairOf(item, 'sink')?.value;
      const port = pairOf(item, 'port')?.value;
      const subject = String((sink as { value?: unknown } | null)?.value ?? (port as { value?: unknown } | null)?.value ?? 'counts');
      const outputs = pairOf(item, 'outputs');
      const filled = (outputs !== undefined && outputs.value != null && !(isScalarNull(outputs.value))) || pairOf(item, 'never') !== undefined;
      if (filled || (sink == null && port == null)) {
        untouched.push(`${name}: expect[${k}] ${subject}`);
        return;
      }
      if (item.flow) {
        skipped.push(`${name}: expect[${k}] ${subject}: write it as a block (one key a line) for --update to fill it in`);
        return;
      }
      const items = sink != null ? sinkItems(result, subject) : portItems(result, subject);
      const indent = ' '.repeat(column(item.items[0]?.key as Node));
      const block = `${outputLines(items, indent).join('\n')}\n`;
      if (outputs) {
        const from = lineStart((outputs.key as Node).range?.[0] ?? 0);
        edits.push({ from, to: nextLine((outputs.key as Node).range?.[1] ?? from), text: block });
      } else {
        const end = item.range?.[1] ?? text.length;
        const at = nextLine(Math.max(0, end - 1));
        edits.push({ from: at, to: at, text: (at === text.length && !text.endsWith('\n') ? '\n' : '') + block });
      }
      written.push(`${name}: ${subject}, ${items.length} output${items.length === 1 ? '' : 's'}`);
    });
  }
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, edit.from) + edit.text + out.slice(edit.to);
  return { text: out, written, untouched, skipped };
}

function isScalarNull(node: unknown): boolean {
  return (node as { value?: unknown } | null)?.value === null;
}
