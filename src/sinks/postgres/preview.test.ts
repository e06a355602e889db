import { describe, expect, it } from 'vitest';
import { copyRow, unescapeCopy } from './preview.js';
import { TABLES } from './rows.js';

describe('copyRow', () => {
  it('postgres: reads COPY text back (escapes, NULL, types)', () => {
    expect(unescapeCopy('a\\tb\\\\c\\nd')).toBe('a\tb\\c\nd');
    expect(unescapeCopy('\\N')).toBeNull();
    expect(copyRow(TABLES.system_metrics, 'k\tname\t{"a":"1"}\t2.5\t\\N\tinst\t2026-01-01T00:00:00.000Z')).toEqual({
      event_key: 'k',
      name: 'name',
      labels: { a: '1' },
      value: 2.5,
      summary: null,
      instance: 'inst',
      ts: '2026-01-01T00:00:00.000Z',
    });
  });
});
