import { describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import { TapFeed, parseTapQuery } from './tapFeed.js';

const known = (id: string) => ['cmds', 'a.b'].includes(id);

describe('TapFeed', () => {
  it('passes only what --match matches, without counting the rest as drops', () => {
    const feed = new TapFeed({ match: /^!cv/u }, () => 0);
    expect([chat('!cv 1'), chat('hello'), chat('!cv 2')].map((e) => feed.admit(e, false))).toEqual([true, false, true]);
    expect(feed.dropped).toEqual({ rate: 0, slow_client: 0, tap_queue: 0 });
  });

  it('keeps an even fraction with sample', () => {
    const feed = new TapFeed({ sample: 0.25 }, () => 0);
    const kept = Array.from({ length: 12 }, (_, i) => feed.admit(chat(String(i)), false));
    expect(kept.map((k, i) => (k ? i : -1)).filter((i) => i >= 0)).toEqual([3, 7, 11]);
  });

  it('caps the rate by the clock: a second of burst, then what a second refills; the rest counted', () => {
    let now = 0;
    const feed = new TapFeed({ ratePerS: 5 }, () => now);
    const burst = Array.from({ length: 8 }, () => feed.admit(chat('x'), false)).filter(Boolean).length;
    expect(burst).toBe(5);
    now = 400;
    const later = Array.from({ length: 8 }, () => feed.admit(chat('x'), false)).filter(Boolean).length;
    expect(later).toBe(2);
    expect(feed.dropped.rate).toBe(9);
  });

  it('drops what a full client cannot take, counted as slow_client', () => {
    const feed = new TapFeed({}, () => 0);
    expect(feed.admit(chat('a'), true)).toBe(false);
    expect(feed.admit(chat('b'), false)).toBe(true);
    expect(feed.dropped.slow_client).toBe(1);
  });
});

describe('parseTapQuery', () => {
  it('reads node and node.port, comma-separated, a dotted node id being a node', () => {
    const parsed = parseTapQuery({ node: 'cmds,cmds.cv,a.b' }, known);
    expect(parsed.ok && parsed.value.targets).toEqual([
      { node: 'cmds', port: '' },
      { node: 'cmds', port: 'cv' },
      { node: 'a.b', port: '' },
    ]);
  });

  it('reads match, rate and sample', () => {
    const parsed = parseTapQuery({ node: 'cmds', match: '^!', rate: '50/s', sample: '0.1' }, known);
    expect(parsed.ok && parsed.value.feed).toEqual({ match: /^!/u, ratePerS: 50, sample: 0.1 });
  });

  it.each([
    [{}, '`node` names the node'],
    [{ node: 'cmds', match: '(' }, '`match` is not a regular expression'],
    [{ node: 'cmds', rate: 'fast' }, '`rate` is events per second'],
    [{ node: 'cmds', rate: '0/s' }, '`rate` is events per second'],
    [{ node: 'cmds', sample: '2' }, '`sample` is a fraction'],
  ])('refuses %j', (query, message) => {
    const parsed = parseTapQuery(query, known);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});
