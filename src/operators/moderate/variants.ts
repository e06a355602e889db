/**
 * Extra folded forms of a message for `moderate`'s text rules (banned words, links, regex), for
 * the two tricks `normalize`'s `folded` cannot undo without changing what everyone else reads:
 *
 * - a right-to-left override (U+202E) makes `\u202Edrowdab` display as `badword`: `normalize`
 *   removes the control and keeps the logical order, so the visual order is rebuilt here from
 *   `originalText`;
 * - `1` and `|` standing for `l` (`he11`, `he||o`): folding reads `1` as `i`, so a second form
 *   reads them as `l`.
 *
 * Both cost nothing for messages without such characters (one `includes` / one regex test).
 */
import { cleanOptions, cleanText, foldText } from '../shared/text.js';

const RLO = '\u202e';
const PDF = '\u202c';
const CLEAN = cleanOptions({ stripInvisible: true, maxCombining: 0, collapseWhitespace: true, maxLength: 2000 });

/** The folded text as displayed when `original` uses a right-to-left override; else undefined. */
export function visualFolded(original: string): string | undefined {
  if (!original.includes(RLO)) return undefined;
  let out = '';
  let i = 0;
  while (i <= original.length) {
    const start = original.indexOf(RLO, i);
    if (start < 0) {
      out += original.slice(i);
      break;
    }
    out += original.slice(i, start);
    let end = original.indexOf(PDF, start + 1);
    if (end < 0) end = original.length;
    out += Array.from(original.slice(start + 1, end)).reverse().join('');
    i = end + 1;
  }
  return foldText(cleanText(out, [], CLEAN).text);
}

const ONE_NEXT_TO_LETTER = /[a-z][1|]|[1|][a-z]/i;
const ONES = /[1|]/g;

/** The folded text with `1` and `|` read as `l` when they touch a letter; else undefined. */
export function oneAsLFolded(text: string): string | undefined {
  if ((!text.includes('1') && !text.includes('|')) || !ONE_NEXT_TO_LETTER.test(text)) return undefined;
  return foldText(text.replace(ONES, 'l'));
}
