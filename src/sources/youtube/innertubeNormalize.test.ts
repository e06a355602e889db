import { describe, expect, it } from 'vitest';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { normalizeInnertubeAction, parseAmountText, runsToText, usecToMs } from './innertubeNormalize.js';
import { readLiveChatPage, scrapeWatchPage } from './innertubeClient.js';

const ctx = { channel: 'vid', receivedAt: 1, backfill: false, now: () => 42 };

describe('parseAmountText', () => {
  it.each([
    ['￥1,000', 1000, 'JPY'],
    ['€2.00', 2, 'EUR'],
    ['$5.00', 5, 'USD'],
    ['CA$10.50', 10.5, 'CAD'],
    ['SGD 10.00', 10, 'SGD'],
    ['1.000,50 €', 1000.5, 'EUR'],
    ['2,50 €', 2.5, 'EUR'],
    ['₹1,00,000.00', 100000, 'INR'],
    ['PHP 1,234,567', 1234567, 'PHP'],
  ])('%s → %d %s', (text, amount, currency) => {
    expect(parseAmountText(text)).toEqual({ amount, currency });
  });

  it('gives up on text without a number', () => {
    expect(parseAmountText('free')).toBeUndefined();
  });
});

describe('runsToText', () => {
  it('writes standard emoji as themselves and custom emoji as their shortcut, with code-point ranges', () => {
    const message = {
      runs: [
        { text: '😂 hi ' },
        { emoji: { emojiId: 'UCxyz/abc', shortcuts: [':yt:', ':youtube:'], isCustomEmoji: true } },
        { text: ' ' },
        { emoji: { emojiId: '👍', shortcuts: [':thumbs_up:'] } },
      ],
    };
    expect(runsToText(message)).toEqual({
      text: '😂 hi :yt: 👍',
      emotes: [{ id: 'UCxyz/abc', name: ':yt:', start: 5, end: 8 }],
    });
  });
});

describe('usecToMs', () => {
  it('reads the microsecond string', () => {
    expect(usecToMs('1609459200123456')).toBe(1609459200123);
    expect(usecToMs('x')).toBeUndefined();
  });
});

describe('normalizeInnertubeAction', () => {
  const run = (action: unknown) => {
    const events: (ChatEvent | PlatformEvent)[] = [];
    const outcome = normalizeInnertubeAction(action, ctx, (e) => events.push(e));
    return { outcome, events };
  };

  it('reads owner, moderator, verified and member badges as roles', () => {
    const badge = (iconType: string) => ({ liveChatAuthorBadgeRenderer: { icon: { iconType } } });
    const member = { liveChatAuthorBadgeRenderer: { customThumbnail: { thumbnails: [] } } };
    const { events } = run({
      addChatItemAction: {
        item: {
          liveChatTextMessageRenderer: {
            id: 'm1',
            timestampUsec: '1000000',
            authorExternalChannelId: 'UC1',
            authorName: { simpleText: 'Owner' },
            message: { runs: [{ text: 'hi' }] },
            authorBadges: [badge('OWNER'), badge('MODERATOR'), badge('VERIFIED'), member],
          },
        },
      },
    });
    expect((events[0] as ChatEvent).author.roles).toEqual(['broadcaster', 'mod', 'member', 'verified']);
    expect(events[0]?.ts).toBe(1000);
  });

  it('turns a ban into user_banned and a retraction into message_deleted with retracted', () => {
    expect(run({ markChatItemsByAuthorAsDeletedAction: { externalChannelId: 'UCbad' } }).events[0]).toMatchObject({
      type: 'user_banned',
      data: { userId: 'UCbad' },
    });
    expect(
      run({ markChatItemAsDeletedAction: { targetItemId: 't1', deletedStateMessage: { runs: [{ text: '[message retracted]' }] } } }).events[0],
    ).toMatchObject({ type: 'message_deleted', data: { messageId: 't1', retracted: true } });
  });

  it('counts unknown actions as unsupported and broken ones as malformed', () => {
    expect(run({ addLiveChatTickerItemAction: {} }).outcome).toBe('unsupported');
    expect(run({ addChatItemAction: { item: { liveChatTextMessageRenderer: {} } } }).outcome).toBe('malformed');
    expect(run({ addChatItemAction: { item: { liveChatViewerEngagementMessageRenderer: { id: 'x' } } } }).outcome).toBe('silent');
    expect(run(null).outcome).toBe('malformed');
  });
});

describe('innertube client parsing', () => {
  it('scrapes key, client version, continuation and the replay marker from a watch page', () => {
    const html = '<script>ytcfg.set({"INNERTUBE_API_KEY":"AIza-k","INNERTUBE_CONTEXT":{"client":{"clientVersion":"2.2021.1"}}})</script>{"continuations":[{"reloadContinuationData":{"continuation":"0ofMyA"}}],"isReplay":true}';
    expect(scrapeWatchPage(html)).toEqual({ apiKey: 'AIza-k', clientVersion: '2.2021.1', continuation: '0ofMyA', isReplay: true });
    expect(scrapeWatchPage('<html></html>')).toEqual({ isReplay: false });
  });

  it('reads the next continuation of any kind, and none when the chat is over', () => {
    const page = (continuations: unknown) => ({ continuationContents: { liveChatContinuation: { continuations } } });
    expect(readLiveChatPage(page([{ timedContinuationData: { continuation: 'c2', timeoutMs: 5000 } }]))?.next).toEqual({ continuation: 'c2', timeoutMs: 5000 });
    expect(readLiveChatPage(page([{ reloadContinuationData: { continuation: 'c3' } }]))?.next).toEqual({ continuation: 'c3' });
    expect(readLiveChatPage({ continuationContents: { liveChatContinuation: {} } })).toEqual({ actions: [] });
    expect(readLiveChatPage({})).toBeUndefined();
  });
});
