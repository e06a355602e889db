import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import { botLoginField, ownMessages } from './ownMessages.js';

describe('ownMessages', () => {
  it('marks chat from the bot login or user id, whatever the case, and nothing else', () => {
    const mark = ownMessages('TheBot');
    expect(mark(chat('hi', { user: 'thebot' })).self).toBe(true);
    expect(mark({ ...chat('hi', { user: 'someone' }), author: { ...chat('').author, id: 'thebot', login: 'x' } }).self).toBe(true);
    expect(mark(chat('hi', { user: 'viewer' })).self).toBeUndefined();
    expect(ownMessages('@thebot')(chat('hi', { user: 'thebot' })).self).toBe(true);
  });

  it("leaves the broadcaster's messages alone when the bot speaks as the channel's own account", () => {
    expect(ownMessages('streamer')(chat('!cv panic', { user: 'streamer', roles: ['broadcaster'] })).self).toBeUndefined();
  });

  it('is the identity without a bot', () => {
    const event = chat('hi', { user: 'thebot' });
    expect(ownMessages(undefined)(event)).toBe(event);
  });

  it('validates the field', () => {
    expect(botLoginField('x').parse(' thebot ')).toBe('thebot');
    expect(botLoginField('x').parse('')).toBeUndefined();
    expect(botLoginField('x').parse(undefined)).toBeUndefined();
  });
});
