/**
 * Property: `moderate` (after `normalize`, every rule on, regex rules included) never throws
 * and answers every message, whatever the text, up to 5000 characters: each one comes out once,
 * on `clean` or `flagged`. How long the adversarial messages take (the guard against
 * catastrophic backtracking) is a performance claim, measured by bench/moderate.ts
 * (`adversarialWorstCpuMs`), not asserted here.
 */
import fc from 'fast-check';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ADVERSARIAL_MAX_LENGTH, ADVERSARIAL_MESSAGES, ADVERSARIAL_POLICY } from '../../../test/fixtures/adversarial.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import { NormalizeConfig, normalize } from '../normalize.js';
import { MODERATE_PORTS, ModerateConfig, moderate } from './index.js';

const POLICY = ModerateConfig.parse(ADVERSARIAL_POLICY);

/** A normalize → moderate chain fed one message at a time; returns the ports each came out on. */
function harness(): (text: string, i: number) => string[] {
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
    input.next(chat(text, { user: `u${i % 50}`, id: `m${i}`, firstMessage: i % 7 === 0 }));
    const ports = out.map((r) => r.port);
    out.length = 0;
    return ports;
  };
}

/** One message out, on `clean`, or on `flagged` (held), or both (`on_flag: pass`). */
const ANSWERED = [[MODERATE_PORTS.clean], [MODERATE_PORTS.flagged], [MODERATE_PORTS.flagged, MODERATE_PORTS.clean]];

describe('moderate on any text', () => {
  it('answers every adversarial message once, without throwing', () => {
    const send = harness();
    const answers = ADVERSARIAL_MESSAGES.map((text, i) => send(text, i));
    expect(answers).toHaveLength(ADVERSARIAL_MESSAGES.length);
    for (const ports of answers) expect(ANSWERED).toContainEqual(ports);
  });

  it('never throws and answers every message', () => {
    const send = harness();
    let i = 0;
    let answered = 0;
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({
        unit: fc.constantFrom('a', 'b', 'c', ' ', '.', '!', '1', '*', '\u0301', '\u202e', 'д', 'o'),
        maxLength: ADVERSARIAL_MAX_LENGTH,
      }),
      fc.string({ unit: 'binary', maxLength: ADVERSARIAL_MAX_LENGTH }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const ports = send(t, i++);
        expect(ANSWERED).toContainEqual(ports);
        answered++;
      }),
      { numRuns: 300, seed: 8 },
    );
    expect(answered).toBe(300);
  });
});
