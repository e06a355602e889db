/**
 * The moderation fixtures: every evasion of a banned word or link in
 * test/fixtures/moderation/evasions.json must be caught, and every ordinary message in
 * ordinary.json (many languages, numbers, file names, emoji) must pass, with every rule on and
 * each message run through `normalize` first, as in a pipeline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import { MODERATE_PORTS, ModerateConfig, moderate } from './index.js';
import { NormalizeConfig, normalize } from '../normalize.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/moderation');
const evasions = JSON.parse(readFileSync(join(FIXTURES, 'evasions.json'), 'utf8')) as {
  text: string;
  trick: string;
  reason: string;
}[];
const ordinary = JSON.parse(readFileSync(join(FIXTURES, 'ordinary.json'), 'utf8')) as string[];

/** Every rule on, with its defaults. */
const FULL_POLICY = {
  words: { file: 'banned.txt' },
  links: { allow: ['youtube.com', 'twitch.tv'] },
  regex: [{ name: 'phone_number', pattern: '\\d{3}[ .-]\\d{3}[ .-]\\d{4}', on: 'text', action: 'flag' }],
  caps: {},
  symbols: {},
  zalgo: {},
  emotes: {},
  length: {},
  repetition: {},
  copypasta: {},
  first_time: {},
  flood: {},
  escalation: {},
  nuke: {},
};

/** Runs each text (from its own user) through normalize → moderate; the routed output. */
async function run(texts: readonly string[]): Promise<Routed[]> {
  const events = texts.map((text, i) => chat(text, { user: `user${i}`, id: `m${i}` }));
  const config = ModerateConfig.parse(FULL_POLICY);
  return lastValueFrom(
    from(events).pipe(
      normalize(NormalizeConfig.parse({})),
      moderate(config, { baseDir: FIXTURES, scheduler: new VirtualTimeScheduler() }),
      toArray(),
    ),
  );
}

describe('moderation fixtures', () => {
  it('holds at least 50 evasions and 50 ordinary messages', () => {
    expect(evasions.length).toBeGreaterThanOrEqual(50);
    expect(ordinary.length).toBeGreaterThanOrEqual(50);
  });

  it('catches every evasion of a banned word or link', async () => {
    const out = await run(evasions.map((e) => e.text));
    const missed: string[] = [];
    evasions.forEach((evasion, i) => {
      const verdict = out.find(
        (r) => r.port === MODERATE_PORTS.flagged && r.event.kind === 'moderation' && r.event.chat.id === `m${i}`,
      );
      const reasons = verdict?.event.kind === 'moderation' ? verdict.event.reasons : [];
      if (!reasons.includes(evasion.reason)) missed.push(`${evasion.trick}: ${JSON.stringify(evasion.text)}`);
    });
    expect(missed).toEqual([]);
    expect(out.filter((r) => r.port === MODERATE_PORTS.clean)).toEqual([]);
  });

  it('passes every ordinary message', async () => {
    const out = await run(ordinary);
    const flagged = out
      .filter((r) => r.port === MODERATE_PORTS.flagged)
      .map((r) => (r.event.kind === 'moderation' ? `${r.event.chat.text} (${r.event.reasons.join(', ')})` : ''));
    expect(flagged).toEqual([]);
    expect(out.filter((r) => r.port === MODERATE_PORTS.clean)).toHaveLength(ordinary.length);
  });
});
