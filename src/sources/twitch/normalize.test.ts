import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTwitchSamples } from '../../../test/fakes/twitchSamples.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { parseIrcLine } from './client.js';
import { actionBody, type LineOutcome, normalizeTwitchLine, tagNumber } from './normalize.js';

/** The wall clock the golden file was made with (twitch-golden.gen.ts). */
const GOLDEN_NOW = 1_700_000_000_000;

interface GoldenEntry {
  readonly line: number;
  readonly command: string | null;
  readonly outcome: LineOutcome;
  readonly events: readonly (ChatEvent | PlatformEvent)[];
}

const golden = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/twitch-golden.json', import.meta.url), 'utf8'),
) as GoldenEntry[];
const samples = loadTwitchSamples();

function normalize(raw: string, receivedAt = 1) {
  const message = parseIrcLine(raw);
  if (message === null) throw new Error(`unparsable: ${raw}`);
  const events: (ChatEvent | PlatformEvent)[] = [];
  const outcome = normalizeTwitchLine(message, receivedAt, () => GOLDEN_NOW, (e) => events.push(e));
  return { outcome, events };
}

/** The one sample line containing `fragment`. */
function sample(fragment: string): string {
  const found = samples.filter((s) => s.raw.includes(fragment));
  if (found.length !== 1) throw new Error(`${found.length} samples contain ${JSON.stringify(fragment)}`);
  return (found[0] as { raw: string }).raw;
}

const only = (raw: string): ChatEvent | PlatformEvent => {
  const { events } = normalize(raw);
  expect(events).toHaveLength(1);
  return events[0] as ChatEvent | PlatformEvent;
};
/** The one chat event of a line. */
const chatOf = (raw: string): ChatEvent => {
  const event = only(raw);
  if (event.kind !== 'chat') throw new Error(`not chat: ${event.type}`);
  return event;
};
/** The one platform event of a line. */
const platformOf = (raw: string): PlatformEvent => {
  const event = only(raw);
  if (event.kind !== 'platform') throw new Error('not a platform event');
  return event;
};

describe('normalizeTwitchLine: every captured line (golden)', () => {
  it('has a golden entry for each of the 89 sample lines, in order', () => {
    expect(samples).toHaveLength(89);
    expect(golden.map((g) => g.line)).toEqual(samples.map((s) => s.line));
  });

  it.each(samples.map((s) => [s.line, s.raw] as const))('line %i', (line, raw) => {
    const expected = golden.find((g) => g.line === line) as GoldenEntry;
    const { outcome, events } = normalize(raw, line);
    expect(outcome).toBe(expected.outcome);
    expect(events).toEqual(expected.events);
  });
});

describe('normalizeTwitchLine: hand-checked lines', () => {
  it('PRIVMSG: author, roles from badges and tags, color, platform time', () => {
    expect(only(sample('PRIVMSG #pajlada :dank cam'))).toEqual({
      kind: 'chat',
      id: 'e9d998c3-36f1-430f-89ec-6b887c28af36',
      platform: 'twitch',
      channel: 'pajlada',
      author: { id: '29803735', login: 'jun1orrrr', displayName: 'JuN1oRRRR', roles: [], color: '#0000FF', badges: {} },
      text: 'dank cam',
      emotes: [],
      ts: 1594545155039,
      action: false,
      firstMessage: false,
      receivedAt: 1,
    });
  });

  it('emotes after an emoji are code-point ranges', () => {
    const chat = chatOf(sample(':Kappa 😂 Kappa'));
    expect(chat.text).toBe('Kappa 😂 Kappa');
    expect(chat.emotes).toEqual([
      { id: '25', name: 'Kappa', start: 0, end: 4 },
      { id: '25', name: 'Kappa', start: 8, end: 12 },
    ]);
    expect(chat.author.roles).toEqual(['broadcaster', 'subscriber', 'verified']);
    const hearts = chatOf(sample('emotes=483:2-3,7-8,12-13'));
    expect(hearts.emotes.map((e) => [e.start, e.end, e.name])).toEqual([
      [2, 3, '<3'],
      [7, 8, '<3'],
      [12, 13, '<3'],
    ]);
  });

  it('malformed (`25:04`), reversed (`25:4-0`) and out-of-bounds emote ranges fall back to plain text', () => {
    expect(chatOf(sample('emotes=25:04')).emotes).toEqual([]);
    expect(chatOf(sample('emotes=25:4-0')).emotes).toEqual([]);
    expect(chatOf(sample('emotes=25:41-45')).emotes).toEqual([]);
  });

  it('unescapes tags: display name, reply body with `\\:`', () => {
    expect(chatOf(sample('display-name=Riot\\sGames')).author).toMatchObject({
      displayName: 'Riot Games',
      roles: ['broadcaster', 'mod'],
    });
    expect(chatOf(sample('reply-parent-msg-body=This\\smessage')).replyTo).toEqual({
      id: 'b34ccfc7-4977-403a-8a94-33c6bac34fb8',
      login: 'yannismate',
      text: 'This message contains special chars !;',
    });
  });

  it('reads a tag without `=` as empty (IRCv3), not as its own name: no VIP, no display name, no color', () => {
    const chat = chatOf('@badges=;color;display-name;id=7;room-id=2;user-id=1;vip :alice!alice@alice.tmi.twitch.tv PRIVMSG #chan :hi');
    expect(chat.author.displayName).toBe('alice');
    expect(chat.author.roles).toEqual([]);
    expect(chat.author.color).toBeUndefined();
  });

  it('reply in shuffled tag order, VIP from `vip=1`, text kept as sent', () => {
    const chat = chatOf(sample('brian6932'));
    expect(chat.replyTo).toEqual({ id: '241c2a7e-be6e-4132-981b-fc76c5137e3a', login: 'xgspidermonkey', text: 'LOL' });
    expect(chat.author.roles).toEqual(['vip', 'subscriber']);
    expect(chat.text).toBe('@xgspidermonkey  b');
  });

  it('/me actions, including an empty one without an id', () => {
    expect(only(sample('PRIVMSG #pajlada :\u0001ACTION -tags\u0001'))).toMatchObject({ text: '-tags', action: true });
    const empty = chatOf(sample(':\u0001ACTION\u0001'));
    expect(empty).toMatchObject({ text: '', action: true, id: 'privmsg:11148817:11148817:1522855191000' });
  });

  it('first message, recent-messages backfill and the U+E0000 anti-duplicate prefix (kept)', () => {
    expect(chatOf(sample('first-msg=1')).firstMessage).toBe(true);
    expect(chatOf(sample('historical=1;badge-info')).backfill).toBe(true);
    const tagged = chatOf(sample('pajaW_/3.0'));
    expect(tagged.text).toBe('\u{E0000}-tags pajaW_/3.0');
    expect(tagged.emotes).toEqual([{ id: '80481_/3', name: 'pajaW_/3', start: 7, end: 14 }]);
  });

  it('Shared Chat: the source room is kept when it is not the channel', () => {
    expect(only(sample('Video game things'))).toMatchObject({ channel: 'vampireblazewing', sourceRoom: '655533779' });
  });

  it('bits: a chat message with `bits` and a `cheer` event with the same id', () => {
    const { events } = normalize(sample('bits=5000'));
    expect(events.map((e) => e.kind)).toEqual(['chat', 'platform']);
    expect(events[0]).toMatchObject({ kind: 'chat', bits: 5000, id: '405c4ccb-7d69-4a57-ac16-292e72ba288b' });
    expect(events[1]).toMatchObject({
      kind: 'platform',
      type: 'cheer',
      id: '405c4ccb-7d69-4a57-ac16-292e72ba288b',
      data: { bits: 5000, message: 'showlove5000 Chew your food slower... it\'s healthier' },
    });
  });

  it('sub and resub report the cumulative months (not the streak, not a boolean)', () => {
    expect(platformOf(sample('msg-id=sub;')).data).toEqual({
      msgId: 'sub',
      months: 1,
      plan: 'Prime',
      prime: true,
      planName: 'Channel Subscription (xqcow)',
    });
    expect(platformOf(sample('display-name=Gutrin')).data).toMatchObject({ msgId: 'resub', months: 2, streakMonths: 2, message: 'xqcL' });
    const action = platformOf(sample('ACTION Kappa TEST TEST Kappa'));
    expect(action).toMatchObject({ type: 'subscription', author: { login: 'randers' } });
    expect(action.data).toMatchObject({ months: 23, message: 'Kappa TEST TEST Kappa :)', action: true });
  });

  it('gifts: named, anonymous (AnAnonymousGifter), mystery, multi-month in shuffled order', () => {
    const named = platformOf(sample('msg-param-recipient-user-name=qatarking24xd'));
    expect(named).toMatchObject({ type: 'gift', author: { login: 'adamatreflectstudios' } });
    expect(named.data).toMatchObject({ recipientLogin: 'qatarking24xd', months: 1, anonymous: false });
    const anonymous = platformOf(sample('display-name=AnAnonymousGifter'));
    expect(anonymous.author).toBeUndefined();
    expect(anonymous.data).toMatchObject({ recipientDisplayName: 'Dot0422', anonymous: true });
    expect(platformOf(sample('msg-id=submysterygift')).data).toMatchObject({ count: 20, senderCount: 100, anonymous: false });
    expect(platformOf(sample('display-name=Lucidfoxx')).data).toMatchObject({
      months: 12,
      recipientLogin: 'ogprodigy',
      planName: 'Silver Package',
    });
  });

  it('raid', () => {
    const raid = platformOf(sample('msg-param-viewerCount=430'));
    expect(raid).toMatchObject({ type: 'raid', channel: 'xqcow', author: { login: 'iamelisabete' } });
    expect(raid.data).toEqual({ msgId: 'raid', viewers: 430, login: 'iamelisabete', displayName: 'iamelisabete' });
  });

  it('CLEARCHAT: timeout with duration, ban without, whole-chat clear without a user, trailing without `:`', () => {
    expect(only(sample(':fabzeef'))).toMatchObject({
      type: 'user_timed_out',
      author: { id: '148973258', login: 'fabzeef' },
      data: { userId: '148973258', login: 'fabzeef', durationSeconds: 1 },
    });
    const ban = platformOf(sample(':weeb123'));
    expect(ban.type).toBe('user_banned');
    expect(ban.data).toEqual({ userId: '70948394', login: 'weeb123' });
    expect(only(sample('CLEARCHAT #randers'))).toMatchObject({ type: 'chat_cleared', channel: 'randers', ts: 1594561392337 });
    expect(platformOf(sample('CLEARCHAT #pajlada nerixyz')).data).toMatchObject({ login: 'nerixyz', durationSeconds: 1 });
  });

  it('CLEARMSG: the deleted message id, with an ACTION unwrapped, trailing without `:`', () => {
    expect(platformOf(sample(':\u0001ACTION test')).data).toEqual({
      messageId: '15e5164d-f8e6-4aec-baf4-2d6a330760c4',
      login: 'randers',
      text: 'test',
      action: true,
    });
    expect(only(sample('CLEARMSG #pajlada sup'))).toMatchObject({ type: 'message_deleted', id: '862716db-9a7c-4563-8480-af799769ae81' });
  });

  it('ROOMSTATE: the settings the line carries, followers-only -1 meaning off', () => {
    expect(platformOf(sample('@emote-only=0;followers-only=-1;r9k=0;rituals=0;room-id=40286300')).data).toEqual({
      roomId: '40286300',
      emoteOnly: false,
      followersOnly: -1,
      r9k: false,
      slow: 0,
      subsOnly: false,
    });
    expect(platformOf(sample('@room-id=40286300;slow=5')).data).toEqual({ roomId: '40286300', slow: 5 });
  });

  it('protocol lines are control, notices chatflow does not map are unsupported', () => {
    expect(normalize(':tmi.twitch.tv RECONNECT').outcome).toBe('control');
    expect(normalize('PING :tmi.twitch.tv').outcome).toBe('control');
    expect(normalize(sample('msg-id=ritual')).outcome).toBe('unsupported');
    expect(normalize(sample('WHISPER')).outcome).toBe('unsupported');
  });
});

describe('normalizeTwitchLine: hostile and broken lines', () => {
  it('reports lines missing what their command needs as malformed', () => {
    expect(normalize('@id=x :a!a@a PRIVMSG').outcome).toBe('malformed');
    expect(normalize('@id=x :a!a@a PRIVMSG #chan').outcome).toBe('malformed');
    expect(normalize('@id=x :a!a@a PRIVMSG nochannel :hi').outcome).toBe('malformed');
    expect(normalize(':tmi.twitch.tv USERNOTICE #chan :no msg-id').outcome).toBe('malformed');
    expect(normalize('@login=x :tmi.twitch.tv CLEARMSG #chan :no target').outcome).toBe('malformed');
    expect(normalize(':tmi.twitch.tv CLEARCHAT').outcome).toBe('malformed');
  });

  it('keeps control characters and a megabyte of text as they are', () => {
    const huge = 'A'.repeat(1_000_000);
    expect(chatOf(`@id=h;emotes=25:0-4 :a!a@a PRIVMSG #c :${huge}`).text).toHaveLength(1_000_000);
    const weird = chatOf('@id=w;color=not-a-color;bits=-5;tmi-sent-ts=NaN :a!a@a PRIVMSG #c :\u0000\u0007\u001b[31m\u202e');
    expect(weird.text).toBe('\u0000\u0007\u001b[31m\u202e');
    expect(weird.author.color).toBeUndefined();
    expect(weird.bits).toBeUndefined();
    expect(weird.ts).toBe(GOLDEN_NOW);
  });

  it('never throws, whatever the line', () => {
    const tagValue = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[ ;\r\n]/g, ''));
    const key = fc.constantFrom('id', 'emotes', 'badges', 'bits', 'msg-id', 'ban-duration', 'slow', 'reply-parent-msg-id', 'display-name', 'vip');
    const command = fc.constantFrom('PRIVMSG', 'USERNOTICE', 'CLEARCHAT', 'CLEARMSG', 'ROOMSTATE', 'NOTICE', 'JOIN');
    fc.assert(
      fc.property(fc.dictionary(key, tagValue), command, fc.string({ unit: 'binary', maxLength: 60 }), (tags, cmd, tail) => {
        const tagText = Object.entries(tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(';');
        const line = `${tagText ? `@${tagText} ` : ''}:u!u@u ${cmd} ${tail.replace(/[\r\n]/g, '')}`;
        const message = parseIrcLine(line);
        if (message === null) return true;
        const outcome = normalizeTwitchLine(message, 0, () => 0, () => undefined);
        return ['events', 'control', 'unsupported', 'malformed'].includes(outcome);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (line) => {
        const message = parseIrcLine(line.replace(/[\r\n]/g, ''));
        if (message !== null) normalizeTwitchLine(message, 0, () => 0, () => undefined);
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('actionBody', () => {
  it('unwraps CTCP ACTION and leaves anything else alone', () => {
    expect(actionBody('\u0001ACTION waves\u0001')).toBe('waves');
    expect(actionBody('\u0001ACTION\u0001')).toBe('');
    expect(actionBody('\u0001ACTION no closing')).toBe('no closing');
    expect(actionBody('\u0001ACTIONS x\u0001')).toBeUndefined();
    expect(actionBody('ACTION plain')).toBeUndefined();
  });
});

describe('what a message keeps alive', () => {
  it('keeps no line alive through the message id or the author\'s login', () => {
    // The ids and logins of 500 lines of ~40 kB each, kept as dedupe and throttle keep them:
    // were they views into their lines (V8's sliced strings) the lines would stay, 20 MB.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const padding = 'x'.repeat(40_000);
    const line = (i: number) =>
      `@client-nonce=${padding};display-name=Viewer;id=${String(i).padStart(8, '0')}-1111-2222-3333-444444444444;user-id=1234 :a_long_viewer_login${i}!viewer@viewer.tmi.twitch.tv PRIVMSG #chan :hello ${i}`;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: string[] = [];
    for (let i = 0; i < 500; i++) {
      const event = normalize(line(i)).events[0] as ChatEvent;
      kept.push(event.id, event.author.login);
    }
    gc();
    const perMessage = (process.memoryUsage().heapUsed - before) / 500;
    expect(kept.slice(14, 16)).toEqual(['00000007-1111-2222-3333-444444444444', 'a_long_viewer_login7']);
    expect(perMessage).toBeLessThan(2_000);
  });
});

describe('tagNumber', () => {
  it('is Number() of any tag value', () => {
    const digits = fc.stringMatching(/^[0-9]{1,17}$/);
    const odd = fc.constantFrom('', ' 12', '12 ', '1e3', '0x1F', '-5', '+5', '1.5', 'Infinity', 'NaN', '١٢', '0007', '9007199254740993');
    fc.assert(
      fc.property(fc.oneof(digits, odd, fc.string({ maxLength: 16 })), (raw) => {
        expect(Object.is(tagNumber(raw), Number(raw))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
