import { describe, expect, it } from 'vitest';
import { parseChannelLookup } from './lookup.js';

describe('parseChannelLookup', () => {
  it('takes ids as numbers or strings; needs chatroom.id', () => {
    expect(parseChannelLookup({ id: 1, slug: 'A', chatroom: { id: 2 } }, 'a')).toEqual({ slug: 'A', chatroomId: '2', channelId: '1' });
    expect(parseChannelLookup({ chatroom: { id: '2' } }, 'a')).toEqual({ slug: 'a', chatroomId: '2' });
    expect(parseChannelLookup({ id: 1, chatroom: null }, 'a')).toBeUndefined();
    expect(parseChannelLookup('<html>', 'a')).toBeUndefined();
  });
});
