import { describe, expect, it } from 'vitest';
import { compileGreetingDetector } from './greeting.js';
import { CLASSIFY_LANGUAGES, type ClassifyLanguage } from './lexicon.js';
import { compileQuestionDetector } from './question.js';
import { wordsOf } from './text.js';

const greetings = compileGreetingDetector(CLASSIFY_LANGUAGES);
const detect = compileQuestionDetector(CLASSIFY_LANGUAGES, {}, greetings.skippable);
const isQuestion = (text: string): boolean => detect(wordsOf(text));

/** Per language: messages that are questions, and messages that are not (false positives fail). */
const TABLE: Record<ClassifyLanguage, { questions: string[]; statements: string[] }> = {
  en: {
    questions: [
      'what song is this',
      'how do you get past the second boss',
      'why is the music so loud',
      'when is the next stream',
      'where did you buy that chair',
      'who is the guy on the left',
      'which game is next',
      "what's the sens",
      "how's it going chat",
      'is this a new map',
      'can you play the old intro',
      'do you have a discord',
      'does anyone know the song name',
      'did he just clip through the wall',
      'chat is this real',
      '@streamer are you going to play ranked today',
      'hi chat how are you all',
      'and you',
      'anyone know the song',
      'wait is that a bug',
      'the boss has 3 phases?',
      'hello?',
      'whats the plan for today',
      'should i buy this game',
      'so what happened',
      'wdym',
    ],
    statements: [
      'what a play!',
      'what a play',
      'what an absolute legend',
      'how cool is that!',
      'how cute',
      'who cares',
      'when you realize the boss was easy',
      'this game is great',
      'I love this song',
      'gg',
      'do it',
      'can confirm',
      'could be worse',
      'is',
      'what is happening!',
      "what's up chat",
      'was fun watching',
      'was a great stream',
      '???',
      'check https://example.com/watch?v=1',
      'lol',
      'the boss is hard',
      'so what',
      'why not',
      'have fun everyone',
    ],
  },
  ru: {
    questions: [
      'как дела',
      'что за игра?',
      'почему так тихо',
      'где купить эту игру',
      'когда следующий стрим',
      'кто это',
      'зачем ты туда пошел',
      'сколько часов в игре',
      'можно музыку потише',
      'какой у тебя монитор',
      'есть ли тут русские',
      'будет ли стрим завтра',
      'ну что там',
      'а ты',
      'привет, как дела',
      'чат, кто-нибудь знает название песни',
      'Как пройти этот уровень',
      'чё происходит',
      'ты играл в первую часть?',
      'куда делся босс',
    ],
    statements: [
      'как круто!',
      'как красиво',
      'как всегда лучший',
      'что за бред',
      'кто бы сомневался',
      'сколько можно',
      'привет всем',
      'отличная игра',
      'ну ты даешь',
      'а ты красавчик',
      'когда я вижу этого босса',
      'лол',
      'я тоже так думаю',
      'что-то пошло не так',
      'можно было лучше',
      'как же круто',
      'да',
    ],
  },
  es: {
    questions: [
      '¿qué juego es este?',
      'que hora es en españa',
      'cómo se llama la canción',
      'como estas',
      'por qué no usas la espada',
      'cuándo es el próximo stream',
      'cuando empieza el torneo',
      'dónde compraste la silla',
      'donde vives',
      'quién ganó',
      'cuál es tu juego favorito',
      'cuántas horas llevas',
      'y tú',
      'hola chat qué tal',
      'alguien sabe la canción',
      'oye puedes subir el volumen',
      'de dónde eres',
      'pregunta, juegas mañana',
    ],
    statements: [
      'qué bueno!',
      'que bueno',
      'qué golazo',
      'que lindo stream',
      'que tengas buen día',
      'como siempre el mejor',
      'como te dije ayer',
      'quién sabe',
      'hola a todos',
      'me encanta este juego',
      'porque es el mejor',
      'cuando quieras',
      'jajaja',
      'que no',
      'buenas noches',
      'muy buena partida',
      '¡qué jugada!',
    ],
  },
  de: {
    questions: [
      'was ist das für ein spiel',
      'wie heißt das lied',
      'warum spielst du nicht ranked',
      'wann kommt der nächste stream',
      'wo hast du den stuhl gekauft',
      'wer ist der typ',
      'welche maus benutzt du',
      'kannst du lauter machen',
      'gibt es heute einen stream',
      'hast du das gesehen',
      'ist das ein bug',
      'spielst du morgen',
      'und du',
      'hallo chat wie geht es euch',
      'weiß jemand wie das lied heißt',
      'kurze frage, wie alt bist du',
      'wieso ist der boss so schwer',
      'Woher kommst du',
    ],
    statements: [
      'was für ein spiel!',
      'was für ein spiel',
      'wie geil',
      'wie immer der beste',
      'wie gesagt, der boss ist schwer',
      'was geht',
      'hallo zusammen',
      'das ist ein bug',
      'ich liebe dieses spiel',
      'gute nacht',
      'war gut',
      'ist halt so',
      'kann sein',
      'wer weiß',
      'mega stream heute',
      'du bist der beste',
      'macht das!',
      'warum nicht',
    ],
  },
  pt: {
    questions: [
      'o que é isso',
      'oq aconteceu',
      'como faz pra passar dessa fase',
      'por que ele morreu',
      'quando vai ter live de novo',
      'onde você mora',
      'quem ganhou',
      'qual é o nome da música',
      'quantos anos você tem',
      'cadê o boss',
      'será que ele consegue',
      'e você',
      'oi gente, qual o jogo de hoje',
      'alguém sabe o nome da música',
      'tem como aumentar o volume',
      'de onde você é',
      'como assim',
    ],
    statements: [
      'que legal',
      'que jogada!',
      'que isso mano',
      'que saudade dessa música',
      'como sempre o melhor',
      'quem diria',
      'quem sabe',
      'bom dia galera',
      'boa noite a todos',
      'adorei a live',
      'kkkkkkk',
      'quando eu crescer quero ser assim',
      'e aí galera',
      'muito bom',
      'que nada',
      'ele é o melhor',
    ],
  },
};

describe('question detection', () => {
  for (const language of CLASSIFY_LANGUAGES) {
    const { questions, statements } = TABLE[language];

    it(`${language}: has at least 15 questions and 15 non-questions in its table`, () => {
      expect(questions.length).toBeGreaterThanOrEqual(15);
      expect(statements.length).toBeGreaterThanOrEqual(15);
    });

    it.each(questions)(`${language}: %j is a question`, (text) => {
      expect(isQuestion(text)).toBe(true);
    });

    it.each(statements)(`${language}: %j is not a question`, (text) => {
      expect(isQuestion(text)).toBe(false);
    });
  }

  it.each(['¿vienes?', 'ready？', 'هل أنت بخير؟', 'ok¿'])('counts the question mark in %j', (text) => {
    expect(isQuestion(text)).toBe(true);
  });

  it('needs words besides the question mark', () => {
    expect(isQuestion('?')).toBe(false);
    expect(isQuestion('?? 🤔')).toBe(false);
  });

  it('ignores a question mark inside a link or a mention', () => {
    expect(isQuestion('look https://x.com/watch?v=1 nice')).toBe(false);
    expect(isQuestion('@who? nice one')).toBe(false);
  });

  it('treats a final ! as an exclamation even after emoji, and ¡ at the start', () => {
    expect(isQuestion('what is this! 😂😂')).toBe(false);
    expect(isQuestion('¡cómo juega')).toBe(false);
    expect(isQuestion('what is this 😂')).toBe(true);
  });

  it('reads case, accents, full-width and curly apostrophes alike', () => {
    expect(isQuestion('WHAT SONG IS THIS')).toBe(true);
    expect(isQuestion('ＷＨＡＴ song')).toBe(true);
    expect(isQuestion('what’s the song')).toBe(true);
    expect(isQuestion('CÓMO ESTÁS')).toBe(true);
    expect(isQuestion('Что происходит')).toBe(true);
  });

  it('only knows the languages it was compiled with', () => {
    const englishOnly = compileQuestionDetector(['en']);
    expect(englishOnly(wordsOf('warum spielst du nicht'))).toBe(false);
    expect(englishOnly(wordsOf('why not both'))).toBe(true);
    expect(englishOnly(wordsOf('was fun'))).toBe(false);
    expect(englishOnly(wordsOf('was it fun'))).toBe(true);
  });

  it('adds extra openers per language', () => {
    const withExtra = compileQuestionDetector(['en'], { en: ['any tips', 'Tell me'] });
    expect(withExtra(wordsOf('any tips for the boss'))).toBe(true);
    expect(withExtra(wordsOf('tell me the song'))).toBe(true);
    expect(withExtra(wordsOf('any time now'))).toBe(false);
  });
});
