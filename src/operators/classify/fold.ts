/**
 * How `classify` folds text before matching words and links.
 */

/** Apostrophe look-alikes, folded to `'`. */
const APOSTROPHES = /[\u2018\u2019\u02bc\u00b4\uff07]/g;
const MARKS = /\p{M}/gu;
const NOT_ASCII = /[^\x20-\x7e]/;

/**
 * The folded form of a word or phrase: lower case, compatibility forms and diacritics removed
 * (`QUÉ` → `que`, `können` → `konnen`, `ё` → `е`, `й` → `и`), apostrophe look-alikes → `'`.
 * Unlike normalize's `folded`, Cyrillic stays Cyrillic (so `как` is not `kak`).
 */
export function foldWords(text: string): string {
  if (!NOT_ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(MARKS, '').replace(APOSTROPHES, "'").toLowerCase();
}
