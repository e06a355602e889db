/**
 * Property: `moderate` (after `normalize`, every rule on, regex rules included) never throws
 * and never spends long on one message, whatever the text, up to 5000 characters. The aim is to
 * catch catastrophic backtracking, not to benchmark, so the timing is made so it cannot flake:
 * it is CPU time (`process.cpuUsage`, so time the process spends descheduled on a busy machine
 * does not count), each message runs five times and the fastest run counts (a pathological
 * pattern is slow every time, a GC pause only once), and the ceiling is about ten times what the
 * slowest adversarial message costs (about 1 ms).
 */
import fc from 'fast-check';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import { ModerateConfig, moderate } from './index.js';
import { NormalizeConfig, normalize } from '../normalize.js';

/** Most CPU milliseconds the fastest of five runs of one message may take. */
const CEILING_MS = 10;
const MAX_LENGTH = 5000;

const POLICY = ModerateConfig.parse({
  words: { list: ['badword', 'free followers', 'scam*', '*coin', 'a*b*c'] },
  links: { allow: ['youtube.com'] },
  regex: [
    { name: 'phone', pattern: '\\d{3}[ .-]?\\d{3}[ .-]?\\d{4}', on: 'text' },
    { name: 'crypto', pattern: '\\bfree\\s+(btc|eth|crypto)\\b' },
    { name: 'spaced', pattern: '^\\w+\\s+\\w+\\s+\\w+$' },
    { name: 'greedy', pattern: 'a.*b!' },
    { name: 'bounded', pattern: 'a.{0,40}b.{0,40}!' },
  ],
  caps: {},
  symbols: {},
  zalgo: {},
  emotes: {},
  length: {},
  repetition: {},
  copypasta: {},
  first_time: { unseen: true, warmup: '0s' },
  flood: {},
  escalation: {},
  nuke: {},
});

/** A normalize → moderate chain fed one message at a time; returns how long each took. */
function harness(): (text: string, i: number) => number {
  const input = new Subject<ChatflowEvent>();
  const out: Routed[] = [];
  input
    .pipe(normalize(NormalizeConfig.parse({})), moderate(POLICY, { scheduler: new VirtualTimeScheduler() }))
    .subscribe({
      next: (r) => out.push(r),
      error: (err: unknown) => {
        throw err;
      },
    });
  return (text, i) => {
    const event = chat(text, { user: `u${i % 50}`, id: `m${i}`, firstMessage: i % 7 === 0 });
    const before = out.length;
    const started = process.cpuUsage();
    input.next(event);
    const used = process.cpuUsage(started);
    const elapsed = (used.user + used.system) / 1000;
    if (out.length === before) throw new Error(`nothing came out for ${JSON.stringify(text.slice(0, 40))}`);
    out.length = 0;
    return elapsed;
  };
}

/** The fastest of five runs of `text`, in CPU milliseconds. */
function fastest(send: (text: string, i: number) => number, text: string, i: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 5; k++) best = Math.min(best, send(text, i + k));
  return best;
}

const ADVERSARIAL = [
  `${'a'.repeat(MAX_LENGTH)}!`,
  `${'a '.repeat(MAX_LENGTH / 2)}!`,
  'a.'.repeat(MAX_LENGTH / 2),
  '.'.repeat(MAX_LENGTH),
  `${'1'.repeat(MAX_LENGTH)}x`,
  `${'abc'.repeat(MAX_LENGTH / 3)}`,
  `${'a b c '.repeat(MAX_LENGTH / 6)}!`,
  `free ${' '.repeat(MAX_LENGTH - 10)}btc`,
  `h${'t'.repeat(MAX_LENGTH)}p://`,
  'dot '.repeat(MAX_LENGTH / 4),
  '(.)'.repeat(MAX_LENGTH / 3),
  `${'x'.repeat(100)}.`.repeat(MAX_LENGTH / 101),
  `a${'\u0300'.repeat(MAX_LENGTH)}`,
  '\u202e'.repeat(MAX_LENGTH),
  `\u202e${'drowdab '.repeat(MAX_LENGTH / 8)}`,
  '1l|'.repeat(MAX_LENGTH / 3),
  '🔥'.repeat(MAX_LENGTH / 2),
  'Ａ'.repeat(MAX_LENGTH),
  'b a d w o r d '.repeat(MAX_LENGTH / 14),
  '!nuke '.repeat(MAX_LENGTH / 6),
];

describe('moderate on any text', () => {
  it('stays fast on adversarial input (catastrophic backtracking would not)', () => {
    const send = harness();
    for (let i = 0; i < 3; i++) send('warm up the chain', i);
    const slow: string[] = [];
    ADVERSARIAL.forEach((text, i) => {
      const ms = fastest(send, text, i * 5);
      if (ms > CEILING_MS) slow.push(`${JSON.stringify(text.slice(0, 20))}…: ${ms.toFixed(1)} ms`);
    });
    expect(slow).toEqual([]);
  });

  it('never throws and never spends long on one message', () => {
    const send = harness();
    let i = 0;
    let worst = 0;
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', '.', '!', '1', '*', '\u0301', '\u202e', 'д', 'o'), maxLength: MAX_LENGTH }),
      fc.string({ unit: 'binary', maxLength: MAX_LENGTH }),
    );
    fc.assert(
      fc.property(text, (t) => {
        i += 5;
        const ms = fastest(send, t, i);
        worst = Math.max(worst, ms);
        return ms <= CEILING_MS;
      }),
      { numRuns: 300, seed: 8 },
    );
    expect(worst).toBeLessThanOrEqual(CEILING_MS);
  });
});
