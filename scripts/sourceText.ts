/**
 * TypeScript source with its comments blanked, for the checks that read src/ as text (the
 * import rules, the clock rule). String and template literals are stepped over, so `'/cv/*'`
 * or `"http://…"` opens no comment; a comment after code on a line is blanked too. Comments
 * become spaces, newlines stay, so line numbers hold.
 *
 * Not a parser: a regex literal holding a quote can hide the rest of its line, which only ever
 * makes a check see more, never less.
 */
export function blankComments(source: string): string {
  const n = source.length;
  let out = '';
  let i = 0;
  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && (next === '/' || next === '*')) {
      const close = next === '/' ? source.indexOf('\n', i) : source.indexOf('*/', i + 2);
      const end = close === -1 ? n : next === '/' ? close : close + 2;
      out += source.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      // A quoted string ends at its quote or, unclosed, at the end of its line.
      while (j < n && source[j] !== c && (c === '`' || source[j] !== '\n')) j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}
