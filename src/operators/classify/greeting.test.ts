import { describe, expect, it } from 'vitest';
import { collapseRepeats, compileGreetingDetector } from './greeting.js';
import { CLASSIFY_LANGUAGES, type ClassifyLanguage } from './lexicon.js';
import { wordsOf } from './text.js';

const detector = compileGreetingDetector(CLASSIFY_LANGUAGES);
const isGreeting = (text: string): boolean => detector.isGreeting(wordsOf(text));

const TABLE: Record<ClassifyLanguage, { greetings: string[]; others: string[] }> = {
  en: {
    greetings: ['hi', 'hello chat', 'heyyyy everyone', 'good morning chat', 'yo', "what's up guys", 'hi from germany', '@streamer hi!', 'HELLO'],
    others: ['high score', 'hey that was really sick', 'this is good morning content', 'hit it', 'goodbye', 'say hi to mom please everyone'],
  },
  ru: {
    greetings: ['привет', 'всем привет', 'приветттт', 'добрый вечер', 'здравствуйте ребята', 'ку'],
    others: ['привета не будет', 'спокойной ночи', 'вечер добрый был вчера тоже'],
  },
  es: {
    greetings: ['hola', 'holaaaa a todos', 'buenas noches', 'buenos días chat', 'saludos desde méxico'],
    others: ['hora de jugar', 'buen juego', 'adiós'],
  },
  de: {
    greetings: ['hallo', 'moin moin', 'servus leute', 'guten abend zusammen', 'hallöchen', 'na du'],
    others: ['halt stop', 'gute nacht', 'tag eins von vielen hier'],
  },
  pt: {
    greetings: ['oi', 'oiii gente', 'e aí galera', 'bom dia', 'salve salve', 'boa noite a todos'],
    others: ['oito', 'boa jogada', 'tchau'],
  },
};

describe('greeting detection', () => {
  for (const language of CLASSIFY_LANGUAGES) {
    it.each(TABLE[language].greetings)(`${language}: %j is a greeting`, (text) => {
      expect(isGreeting(text)).toBe(true);
    });
    it.each(TABLE[language].others)(`${language}: %j is not a greeting`, (text) => {
      expect(isGreeting(text)).toBe(false);
    });
  }

  it('allows at most two more words after greetings and addressees', () => {
    expect(isGreeting('hi everyone happy friday')).toBe(true);
    expect(isGreeting('hi everyone happy friday again')).toBe(false);
  });

  it('ignores emoji and mentions when counting words', () => {
    expect(isGreeting('hi @a @b @c 👋👋')).toBe(true);
  });

  it('collapses repeated letters', () => {
    expect(collapseRepeats('hiiii')).toBe('hi');
    expect(collapseRepeats('приветтт')).toBe('привет');
  });

  it('adds extra greetings per language, and skips them before a question', () => {
    const extra = compileGreetingDetector(['en'], { en: ['o7'] });
    expect(extra.isGreeting(wordsOf('o7 chat'))).toBe(true);
    expect(extra.skippable(['o7', 'how'], 0)).toBe(1);
    expect(extra.skippable(['how'], 0)).toBe(0);
  });

  it('only knows the languages it was compiled with', () => {
    expect(compileGreetingDetector(['en']).isGreeting(wordsOf('привет'))).toBe(false);
  });
});
