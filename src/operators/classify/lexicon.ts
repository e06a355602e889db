/**
 * The words `classify` knows, per language: what opens a question, what is an exclamation
 * that only looks like one, and what opens a greeting. Plain data; the detectors in
 * question.ts and greeting.ts compile it once per node.
 *
 * Every entry is one or more words, written as chat writes them; they are folded (lower case,
 * diacritics removed, `ё` → `е`) before matching, so `qué` and `que`, `können` and `konnen`
 * are the same entry.
 */

/** Languages `classify` has word lists for. */
export const CLASSIFY_LANGUAGES = ['en', 'ru', 'es', 'de', 'pt'] as const;
export type ClassifyLanguage = (typeof CLASSIFY_LANGUAGES)[number];

/** Extra words from a config, per language. */
export type WordsByLanguage = { readonly [L in ClassifyLanguage]?: readonly string[] | undefined };

/** The word lists of one language. */
export interface Lexicon {
  /** A message starting with one of these is a question (`how`, `o que`, `gibt es` is an auxiliary). */
  readonly openers: readonly string[];
  /**
   * Phrases starting like a question that are not one: exclamations (`what a`, `qué bueno`),
   * rhetorical phrases (`who cares`), clauses (`when you`), wishes (`que tengas`). Checked
   * before `openers`; the longest matching entry wins.
   */
  readonly notQuestions: readonly string[];
  /** Whole messages that read like questions but are not asked (`so what`, `why not`). */
  readonly rhetoricals: readonly string[];
  /** Verbs that open a yes/no question only when a subject follows (`is it`, `kannst du`). */
  readonly auxiliaries: readonly string[];
  /** Subjects that may follow an auxiliary. */
  readonly subjects: readonly string[];
  /** A question particle in second position (`есть ли`). */
  readonly particles: readonly string[];
  /** Whole messages that ask back (`and you`, `а ты`, `y tú`). */
  readonly reciprocals: readonly string[];
  /** Words skipped before looking for an opener (`chat`, `so`, `ну`, `oye`). */
  readonly fillers: readonly string[];
  /** People a greeting or question is addressed to (`everyone`, `всем`, `leute`). */
  readonly addressees: readonly string[];
  /** A message starting with one of these (and little else) is a greeting. */
  readonly greetings: readonly string[];
}

const list = (words: string): readonly string[] =>
  words
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w.length > 0);

const en: Lexicon = {
  openers: list(`
    what, why, where, when, who, whom, whose, which, how, what if, how come, whats, hows, wheres,
    whos, whens, whys, wat, wut, wym, wdym, anyone know, anybody know, anyone else, does anyone, quick question, question`),
  notQuestions: list(`
    what a, what an, what's up, whats up, what up, wassup, whatever,
    how cool, how nice, how cute, how sweet, how lucky, how funny, how fun, how sad, how awesome,
    how amazing, how beautiful, how lovely, how wholesome, how rude, how dare, how fitting,
    who cares, who asked, who knows, who would have thought,
    when you, when u, when ur, when your, when the, when i, when he, when she, when they, when we,
    when someone, when chat, when my,
    do it, do that, do this, do the, do a, do not, do something,
    was a, was an, was so, was such, was fun, was good, was great, was nice, was really, was very,
    was not, was just, was too, was funny, was close, was insane, was amazing, was awesome,
    was lucky, was epic, was sick, was cool, was fire, was wild, was crazy, was bad, was worth,
    was the best, was the worst, was literally, was actually, was pretty, was kinda,
    was hilarious, was clean, was clutch, was my, was gonna, was going`),
  rhetoricals: list('so what, why not, whatever, who even, how come not'),
  auxiliaries: list(`
    is, are, was, were, am, do, does, did, can, could, would, will, should, shall, may, might,
    have, has, had, isn't, aren't, wasn't, weren't, don't, doesn't, didn't, can't, couldn't,
    won't, wouldn't, shouldn't, haven't, hasn't`),
  subjects: list(`
    i, you, u, ya, we, they, he, she, it, this, that, these, those, there, the, my, your, ur,
    his, her, our, their, anyone, anybody, someone, somebody, everyone, people, chat, y'all,
    yall, any, some, streamer`),
  particles: [],
  reciprocals: list('and you, and u, and yours, hbu, wbu'),
  fillers: list(`
    so, ok, okay, btw, also, and, but, wait, hmm, um, uh, well, then, lol, lmao, bro, dude,
    yo, hey, sorry, guys, chat, actually, honestly, srsly, seriously`),
  addressees: list(`
    chat, everyone, everybody, guys, all, y'all, yall, folks, friends, people, fam, bro, dude,
    peeps, gamers, streamer, there, mods, team, lads, gang, squad`),
  greetings: list(`
    hi, hello, hey, heya, hiya, howdy, yo, sup, wassup, what's up, whats up, what up,
    good morning, good afternoon, good evening, gm, greetings, hai, henlo, ello, morning,
    evening, hey hey, hiii`),
};

const ru: Lexicon = {
  openers: list(`
    как, что, чего, че, шо, почему, отчего, где, куда, откуда, когда, кто, кто-нибудь, кто-то знает,
    зачем, сколько, можно, какой, какая, какое, какие, какого, каким, какую, каком, чей, чья,
    чье, чьи, разве, неужели, вопрос, подскажите, подскажи, скажите, не подскажете`),
  notQuestions: list(`
    как всегда, как обычно, как круто, как красиво, как классно, как мило, как здорово,
    как хорошо, как приятно, как смешно, как жаль, как же, как будто, как и, как раз,
    что за, что ж, что и требовалось, кто бы сомневался, кто бы мог подумать, сколько можно,
    можно было, когда я, когда ты, когда он, когда она, когда они, когда мы`),
  rhetoricals: list('ну и что, и что, почему бы и нет, почему бы нет, а что такого'),
  auxiliaries: [],
  subjects: [],
  particles: list('ли'),
  reciprocals: list('а ты, а вы, и ты, а у тебя, а у вас, а сам, а сама'),
  fillers: list('а, и, но, ну, так, слушай, слушайте, чат, ребят, ребята, народ, кстати, блин, короче, стоп, привет, всем'),
  addressees: list('всем, все, ребят, ребята, народ, чат, друзья, стример, пацаны, братва, ребзя'),
  greetings: list(`
    привет, приветик, приветствую, здравствуйте, здравствуй, здрасте, здрасьте, здарова, здорова,
    дарова, хай, салют, ку, хеллоу, хелло, добрый день, добрый вечер, доброе утро, доброго дня,
    доброго вечера, всем привет, хаюшки, прив, хаю-хай`),
};

const es: Lexicon = {
  openers: list(`
    qué, cómo, por qué, para qué, a qué, de qué, en qué, cuándo, dónde, adónde, de dónde,
    quién, quiénes, con quién, a quién, de quién, cuál, cuáles, cuánto, cuánta, cuántos, cuántas,
    alguien sabe, alguien tiene, alguien me, hay alguien, me puedes, me pueden, puedes, podrías,
    una pregunta, pregunta`),
  notQuestions: list(`
    qué bueno, qué buena, qué buen, qué lindo, qué linda, qué bonito, qué bonita, qué guapo,
    qué guapa, qué golazo, qué jugada, qué risa, qué asco, qué miedo, qué locura, qué grande,
    qué pena, qué raro, qué bien, qué mal, qué crack, qué hermoso, qué hermosa, qué fuerte,
    qué triste, qué genial, qué divertido, qué increíble, qué épico, qué gusto, qué hermoso,
    que sí, que si, que no, que tengas, que tengan, que pases, que la pases, que disfrutes,
    que descanses, que te vaya, que les vaya, que viva, que vivan, que dios,
    como siempre, como te dije, como dije, como dijo, como digo, como dice, como no, como un,
    como una, como el, como la, como los, como las, como yo, como tú, como que, como si,
    cuando quieras, cuando puedas, cuando yo, cuando tú, cuando el, cuando la, cuando te,
    donde sea, quién sabe, quién fuera, cualquiera`),
  rhetoricals: list('por qué no, y qué, y eso qué, qué más da'),
  auxiliaries: [],
  subjects: [],
  particles: [],
  reciprocals: list('y tú, y vos, y usted, y ustedes, y a ti, y tú qué'),
  fillers: list('y, pero, oye, oigan, chat, pues, entonces, bueno, ok, amigo, hermano, che, gente, wey, güey, hola'),
  addressees: list('a todos, todos, chicos, chicas, gente, amigos, chat, banda, raza, cracks, streamer, familia'),
  greetings: list(`
    hola, holi, holis, buenas, wenas, buenos días, buenas tardes, buenas noches, buen día,
    saludos, hola hola`),
};

const de: Lexicon = {
  openers: list(`
    was, wie, warum, wieso, weshalb, weswegen, wann, wo, woher, wohin, womit, wofür, worüber,
    worum, wer, wen, wem, wessen, welche, welcher, welches, welchen, welchem,
    weiß jemand, weiss jemand, kennt jemand, kurze frage, eine frage, frage`),
  notQuestions: list(`
    was für ein, was für eine, was für einen, was ein, was eine, was geht, was los,
    wie geil, wie cool, wie schön, wie krass, wie süß, wie toll, wie lustig, wie immer,
    wie gesagt, wie gut, wie schade, wie nice, wie witzig, wie schade, wie auch immer,
    wer's glaubt, wer weiß, wo auch immer`),
  rhetoricals: list('warum nicht, wieso nicht, weshalb nicht, na und, und wenn schon'),
  auxiliaries: list(`
    ist, sind, bist, seid, war, warst, waren, hast, hat, habt, haben, kann, kannst, können, könnt,
    könnte, könntest, darf, darfst, dürfen, soll, sollen, sollte, solltest, will, willst, wollt,
    wollen, wird, wirst, werden, muss, musst, müssen, gibt, spielst, spielt, machst, macht, weißt,
    weisst, kennst, magst, glaubst, findest, streamst, geht, läuft, kommt, kommst, siehst, hörst,
    meinst, hattest, wärst, würdest, würde`),
  subjects: list(`
    du, ihr, sie, er, es, man, jemand, irgendwer, irgendjemand, wir, ich, das, der, die, dies,
    dieser, diese, dieses, dein, deine, euer, eure, ihre, hier, heute, morgen`),
  particles: [],
  reciprocals: list('und du, und ihr, und selbst, und dir, und euch'),
  fillers: list('und, aber, also, chat, ok, hey, na, leute, jungs, digga, alter, sag mal, sagt mal, ähm, hallo'),
  addressees: list('leute, zusammen, alle, chat, jungs, mädels, leutz, freunde, streamer, allerseits'),
  greetings: list(`
    hallo, hallöchen, hi, hey, servus, moin, moinsen, moin moin, guten morgen, guten tag,
    guten abend, grüß gott, grüezi, tach, huhu, na du, na ihr, was geht, was geht ab, tag`),
};

const pt: Lexicon = {
  openers: list(`
    o que, oq, oque, que, como, por que, por quê, pra que, para que, quando, onde, aonde,
    de onde, quem, qual, quais, quanto, quanta, quantos, quantas, cadê, será que,
    alguém sabe, alguém tem, tem como, uma pergunta, pergunta`),
  notQuestions: list(`
    que legal, que massa, que lindo, que linda, que top, que foda, que isso, que bom, que bonito,
    que demais, que triste, que pena, que saudade, que daora, que delícia, que jogada, que golaço,
    que absurdo, que incrível, que loucura, que sorte, que nada, que deus, que susto, que vergonha,
    que engraçado, que fofo, que fofa, que brabo, que isso mano,
    como sempre, quando eu, quando a gente, quando você, quem diria, quem sabe, quem me dera`),
  rhetoricals: list('por que não, e daí, e dai, e o que tem, que que tem'),
  auxiliaries: [],
  subjects: [],
  particles: [],
  reciprocals: list('e você, e vc, e tu, e vocês, e vcs, e aí você'),
  fillers: list('e, mas, chat, gente, mano, galera, aí, tipo, então, pessoal, ok, ué, oi, velho, cara'),
  addressees: list('galera, gente, pessoal, todos, todo mundo, chat, mano, manos, família, streamer, rapaziada, povo'),
  greetings: list(`
    oi, oie, olá, e aí, eai, eae, salve, bom dia, boa tarde, boa noite, opa, fala, fala galera,
    fala aí, oi oi, salve salve`),
};

/** The built-in word lists, by language. */
export const LEXICONS: Readonly<Record<ClassifyLanguage, Lexicon>> = { en, ru, es, de, pt };
