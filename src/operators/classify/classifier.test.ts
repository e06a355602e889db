import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { EmoteRange } from '../../core/events.js';
import { COMPUTED_CATEGORIES, compileClassifier } from './classifier.js';
import { CLASSIFY_LANGUAGES } from './lexicon.js';
import { hasLink } from './links.js';
import { isCommand, isEmoteOnly, withoutEmotes, wordsOf } from './text.js';

const classifier = compileClassifier({
  categories: COMPUTED_CATEGORIES,
  prefixes: ['!'],
  languages: CLASSIFY_LANGUAGES,
});
const emote = (start: number, end: number): EmoteRange => ({ id: 'e', start, end });

describe('hasLink', () => {
  it.each([
    'https://example.com',
    'go to http://x.y/z now',
    'www.example.org',
    'clips.twitch.tv/FunnyClip',
    'youtube.com/watch?v=1',
    'bit.ly/3abc',
    'visit example.com.',
    'ｈｔｔｐｓ://ｅｘａｍｐｌｅ.ｃｏｍ',
    'EXAMPLE.COM',
  ])('finds a link in %j', (text) => {
    expect(hasLink(text)).toBe(true);
  });

  it.each(['me@mail.com', 'version v1.2', 'node.js rocks', 'e.g. this', 'i.e. that', '3.5 stars', 'end.of sentence', 'hello', 'a.b.company'])(
    'finds no link in %j',
    (text) => {
      expect(hasLink(text)).toBe(false);
    },
  );
});

describe('isCommand', () => {
  it('needs the prefix directly followed by a letter or digit', () => {
    expect(isCommand('!cv cutoff 0.7', ['!'])).toBe(true);
    expect(isCommand('  !cv', ['!'])).toBe(true);
    expect(isCommand('!1', ['!'])).toBe(true);
    expect(isCommand('!!!', ['!'])).toBe(false);
    expect(isCommand('! hi', ['!'])).toBe(false);
    expect(isCommand('!', ['!'])).toBe(false);
    expect(isCommand('hi !cv', ['!'])).toBe(false);
    expect(isCommand('??help', ['!', '??'])).toBe(true);
  });
});

describe('emote-only', () => {
  it('is a message whose emote ranges and emoji cover every non-space', () => {
    const text = 'Kappa  PogChamp';
    expect(isEmoteOnly(text, withoutEmotes(text, [emote(0, 4), emote(7, 14)]))).toBe(true);
    expect(isEmoteOnly('😂😂 🔥', '😂😂 🔥')).toBe(true);
    expect(isEmoteOnly('👍🏽 ❤️ 👨‍👩‍👧 🇺🇦 1️⃣', '👍🏽 ❤️ 👨‍👩‍👧 🇺🇦 1️⃣')).toBe(true);
  });

  it('is not a message with any other text, nor an empty one', () => {
    const text = 'Kappa lol';
    expect(isEmoteOnly(text, withoutEmotes(text, [emote(0, 4)]))).toBe(false);
    expect(isEmoteOnly('lol 😂', 'lol 😂')).toBe(false);
    expect(isEmoteOnly('', '')).toBe(false);
    expect(isEmoteOnly('   ', '   ')).toBe(false);
    expect(isEmoteOnly(':)', ':)')).toBe(false);
    expect(isEmoteOnly('123', '123')).toBe(false);
  });

  it('counts emote ranges in code points, and ignores ranges past the end', () => {
    expect(withoutEmotes('😂 Kappa hi', [emote(2, 6)])).toBe('😂  hi');
    expect(withoutEmotes('hi', [emote(5, 9)])).toBe('hi');
  });
});

describe('wordsOf', () => {
  it('leaves out mentions, links and emoji, and folds case and accents', () => {
    expect(wordsOf('@Streamer ¿CÓMO estás? https://x.y/?a 😂').words).toEqual(['como', 'estas']);
  });
});

describe('compileClassifier', () => {
  it.each([
    ['!cv what is this?', 'command'],
    ['what is https://example.com?', 'link'],
    ['hi chat, what is this', 'question'],
    ['hello everyone', 'greeting'],
    ['😂😂', 'emote_only'],
    ['what a play!', 'other'],
    ['', 'other'],
  ] as const)('puts %j in %s (command > link > question > greeting > emote_only > other)', (text, category) => {
    expect(classifier(chat(text))).toBe(category);
  });

  it.each([
    ['what a play!', 'other'],
    ['what is happening!', 'other'],
    ["what's up chat", 'greeting'],
    ['hi chat how are you', 'question'],
    ['???', 'other'],
    ['the boss has 3 phases?', 'question'],
    ['so what', 'other'],
    ['so what happened', 'question'],
    ['do it', 'other'],
    ['do you stream daily', 'question'],
    ['when you realize the boss was easy', 'other'],
    ['que tengas buen día', 'other'],
    ['como estas', 'question'],
    ['а ты', 'question'],
    ['а ты красавчик', 'other'],
    ['was streaming earlier', 'question'],
    ['chat hello', 'greeting'],
    ['Ｃómo estás', 'question'],
    ['yo that’s insane', 'greeting'],
    ['the dot com bubble', 'other'],
    ['me@mail.com', 'other'],
  ] as const)('decides the documented edge case %j as %s', (text, category) => {
    expect(classifier(chat(text))).toBe(category);
  });

  it('uses emote ranges: an emote named like a greeting is an emote', () => {
    expect(classifier(chat('HeyGuys', { emotes: [emote(0, 6)] }))).toBe('emote_only');
    expect(classifier(chat('hi HeyGuys', { emotes: [emote(3, 9)] }))).toBe('greeting');
  });

  it('skips categories left out: their messages fall to the next that fits', () => {
    const some = compileClassifier({ categories: ['question'], prefixes: ['!'], languages: ['en'] });
    expect(some(chat('!help?'))).toBe('question');
    expect(some(chat('hello'))).toBe('other');
    expect(some(chat('see example.com'))).toBe('other');
  });
});
