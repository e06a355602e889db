import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../core/events.js';
import { buildInputs } from './inputs.js';
import { TestInput } from './testFileSchema.js';

const input = (raw: Record<string, unknown>) => TestInput.parse(raw);

describe('buildInputs', () => {
  it('makes one viewer of one login however it is capitalized, as the platforms do', () => {
    const built = buildInputs(
      [input({ at: '1s', user: 'Ada', text: '!vote wobble 80' }), input({ at: '2s', user: 'ada', text: '!vote wobble 80' })],
      '/tmp/x.test.yaml',
      0,
    );
    if (!built.ok) throw new Error('inputs refused');
    const [first, second] = built.inputs.map((i) => i.event as ChatEvent);
    // A vote counts voters by author id: two spellings must not be two voters.
    expect(second?.author.id).toBe(first?.author.id);
    expect(second?.author.login).toBe('ada');
    expect(first?.author.displayName).toBe('Ada');
    expect([first?.firstMessage, second?.firstMessage]).toEqual([true, false]);
  });
});
