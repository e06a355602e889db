import { describe, expect, it } from 'vitest';
import { historicalQuery, parseHistoricalQuery, parseLabels, parseTime, questionRow } from './apiQueries.js';

describe('parseHistoricalQuery', () => {
  const now = 1_700_000_000_000;

  it('defaults to the last hour, 1000 rows, no labels', () => {
    expect(parseHistoricalQuery({ name: 'events_in' }, now)).toEqual({
      ok: true,
      value: { name: 'events_in', from: now - 3_600_000, to: now, labels: {}, limit: 1000 },
    });
  });

  it('reads epoch ms and ISO times, labels in both forms, instance and limit', () => {
    const parsed = parseHistoricalQuery(
      { name: 'x', from: '2023-11-14T22:13:20.000Z', to: String(now + 5), labels: 'node=a, port=cv', instance: 'b', limit: '5' },
      now,
    );
    expect(parsed).toEqual({
      ok: true,
      value: { name: 'x', from: now, to: now + 5, labels: { node: 'a', port: 'cv' }, instance: 'b', limit: 5 },
    });
    expect(parseLabels('{"node":"a"}')).toEqual({ node: 'a' });
  });

  it.each([
    [{}, /name/],
    [{ name: 'x', to: 'yesterday' }, /`to`/],
    [{ name: 'x', from: '10', to: '5' }, /after/],
    [{ name: 'x', labels: 'nodeonly' }, /labels/],
    [{ name: 'x', labels: '{"n":1}' }, /labels/],
    [{ name: 'x', limit: '0' }, /limit/],
    [{ name: 'x', limit: '10001' }, /limit/],
  ])('rejects %j', (query, message) => {
    const parsed = parseHistoricalQuery(query, now);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('parses times', () => {
    expect(parseTime('1234')).toBe(1234);
    expect(parseTime('1970-01-01T00:00:01Z')).toBe(1000);
    expect(parseTime('soon')).toBeUndefined();
  });
});

describe('historicalQuery', () => {
  it('binds every value and asks for one row past the limit', () => {
    const q = historicalQuery({ name: 'x', from: 0, to: 1000, labels: { node: 'a' }, instance: 'i', limit: 10 });
    expect(q.values).toEqual(['x', '1970-01-01T00:00:00.000Z', '1970-01-01T00:00:01.000Z', '{"node":"a"}', 'i', 11]);
    expect(q.text).toContain('labels @> $4::jsonb');
    expect(q.text).toContain('instance = $5');
    expect(q.text).toContain('LIMIT $6');
    expect(historicalQuery({ name: 'x', from: 0, to: 1, labels: {}, limit: 1 }).text).not.toContain('labels @>');
  });
});

describe('questionRow', () => {
  it('turns a bigint id and epoch ms into numbers', () => {
    expect(
      questionRow({ id: '42', platform: 'kick', channel: 'c', author_login: 'ann', text: 'hi?', upvotes: 2, answered: false, ts: 5 }),
    ).toEqual({ id: 42, platform: 'kick', channel: 'c', login: 'ann', text: 'hi?', upvotes: 2, answered: false, ts: 5 });
  });
});
