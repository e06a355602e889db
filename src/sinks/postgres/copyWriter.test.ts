import { describe, expect, it } from 'vitest';
import { BufferPool } from './bufferPool.js';
import { type PartResult, writtenThenReleased } from './copyWriter.js';
import { CopyText, type TableText } from './rows.js';

function textOf(pool: BufferPool): CopyText {
  const text = new CopyText(pool);
  text.add('chat_messages', 'a\tb');
  return text;
}

describe('writtenThenReleased', () => {
  it('gives a part’s buffers back to the pool once it is stored, after the write saw its text', async () => {
    const pool = new BufferPool();
    const seen: string[] = [];
    const writer = {
      writePart: async (_index: number, tables: readonly TableText[]): Promise<PartResult> => {
        seen.push(...tables.map((t) => Buffer.from(t.bytes).toString()));
        expect(pool.size).toBe(0);
        return { inserted: 1, restaged: false };
      },
    };
    await expect(writtenThenReleased(writer, 0, textOf(pool))).resolves.toEqual({ inserted: 1, restaged: false });
    expect(seen).toEqual(['a\tb\n']);
    expect(pool.size).toBe(1);
  });

  it('keeps the buffers of a failed write out of the pool (its socket may still hold them)', async () => {
    const pool = new BufferPool();
    const writer = { writePart: () => Promise.reject(Object.assign(new Error('gone'), { code: 'ECONNRESET' })) };
    await expect(writtenThenReleased(writer, 0, textOf(pool))).rejects.toThrow('gone');
    expect(pool.size).toBe(0);
  });
});
