import { describe, expect, it } from 'vitest';
import { chat as chatEvent } from '../../test/support/events.js';
import { replyPriority, replyToChat } from './reply.js';

describe('replyToChat', () => {
  it('answers in the chat message’s channel, threaded under it, in its author’s lane', () => {
    const chat = chatEvent('!cv cutoff 0.7', { id: 'm-1', channel: 'synthwave', user: 'ada', roles: ['vip'] });
    const reply = replyToChat(chat, 'cutoff set');
    expect(reply).toMatchObject({
      kind: 'reply',
      platform: chat.platform,
      channel: 'synthwave',
      text: 'cutoff set',
      replyTo: 'm-1',
      viewer: { id: chat.author.id, login: 'ada', roles: ['vip'] },
      receivedAt: chat.receivedAt,
    });
    expect(reply.priority).toBeUndefined();
    expect(replyToChat(chat, 'x', 'low').priority).toBe('low');
  });
});

describe('replyPriority', () => {
  it('is the reply’s own, else high for a moderator or the broadcaster, else normal', () => {
    const mod = replyToChat(chatEvent('x', { roles: ['mod'] }), 'x');
    const owner = replyToChat(chatEvent('x', { roles: ['broadcaster'] }), 'x');
    const viewer = replyToChat(chatEvent('x', { roles: ['subscriber'] }), 'x');
    expect(replyPriority(mod)).toBe('high');
    expect(replyPriority(owner)).toBe('high');
    expect(replyPriority(viewer)).toBe('normal');
    expect(replyPriority({ ...mod, priority: 'low' })).toBe('low');
    expect(replyPriority({ kind: 'reply', platform: 'kick', channel: 'c', text: 't', receivedAt: 0 })).toBe('normal');
  });
});
