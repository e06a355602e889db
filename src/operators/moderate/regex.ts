/**
 * Regular-expression rules for `moderate`, and the check that keeps patterns prone to
 * catastrophic backtracking out of the config.
 *
 * JavaScript regexes backtrack, and a running match cannot be interrupted, so a pattern like
 * `(a+)+$` can freeze the whole process on a crafted message. Two guards:
 *
 * 1. at config time, {@link unsafePattern} rejects the shapes that backtrack exponentially or
 *    with a high polynomial degree: a quantifier applied to a group that itself holds a
 *    quantifier (`(a+)+`, `(\w*\s?)*`, `(?:ab+){2,}`) or alternatives (`(a|aa)+`, `(\w|\d)+`),
 *    back-references (`(a*)\1`), more than
 *    {@link MAX_WIDE} unbounded quantifier on a wide atom (`a.*b.*!`), a wide one next to any
 *    other unbounded quantifier (`a.*b\w+!`), more than
 *    {@link MAX_SAME} on one atom (`a*a*a*a*b`) and more than {@link MAX_UNBOUNDED} in all;
 * 2. at run time a pattern only ever sees the first `max_input` characters of a message
 *    (500 by default), which bounds what the accepted, at-worst-quadratic patterns can cost.
 */
import { z } from 'zod';
import { ruleFields } from './rule.js';

/** Most unbounded quantifiers (`*`, `+`, `{n,}`) one pattern may hold. */
export const MAX_UNBOUNDED = 8;
/** Most unbounded quantifiers on wide atoms (`.`, `\S`, `\W`, `\D`, `[^…]`, a group). */
export const MAX_WIDE = 1;
/** Most unbounded quantifiers on one and the same atom (`a*a*a*`, `\w+\s\w+\s\w+`). */
export const MAX_SAME = 3;

/** Flags a rule's regex may carry; `g` and `y` are left out because they make `test()` stateful. */
const FLAGS = /^(?!.*(.).*\1)[imsu]*$/;

const WIDE_ESCAPES = new Set(['\\S', '\\W', '\\D']);

/**
 * Why `pattern` is refused, or undefined when it is accepted. The pattern must already
 * compile. Refused: a repeating quantifier on a group that holds one (`(a+)+`) or holds
 * alternatives (`(a|aa)+`, which JavaScript cannot tell apart from safe ones), back-references,
 * more than {@link MAX_WIDE} unbounded quantifier on a wide atom (`a.*b.*!` is cubic), more
 * than {@link MAX_SAME} on the same atom, more than {@link MAX_UNBOUNDED} in all.
 */
export function unsafePattern(pattern: string): string | undefined {
  // For each open group: whether something inside it is quantified.
  const groups: boolean[] = [];
  // For each open group: whether it holds alternatives (`|`), at any depth.
  const alternatives: boolean[] = [];
  // For each open group: where its body starts in the pattern.
  const starts: number[] = [];
  /** The body of the group just closed, when it is one. */
  let groupBody = '';
  let unbounded = 0;
  let wide = 0;
  const same = new Map<string, number>();
  /** The atom just read: its text, and whether it is a group with a quantifier inside. */
  let atom = '';
  let groupQuantified = false;
  let groupAlternatives = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next)) return 'back-references (`\\1`) can backtrack exponentially';
      if (next === 'k' && pattern[i + 2] === '<') return 'back-references (`\\k<name>`) can backtrack exponentially';
      atom = c + next;
      groupQuantified = false;
      i++;
      continue;
    }
    if (c === '[') {
      // A class, to its closing bracket (escapes inside skipped).
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      atom = pattern.slice(i, j + 1);
      groupQuantified = false;
      i = j;
      continue;
    }
    if (c === '(') {
      groups.push(false);
      alternatives.push(false);
      const prefix = /^\(\?(?::|<?[=!]|<[A-Za-z_]\w*>)/.exec(pattern.slice(i));
      starts.push(i + (prefix ? prefix[0].length : 1));
      atom = '';
      continue;
    }
    if (c === ')') {
      groupQuantified = groups.pop() ?? false;
      groupAlternatives = alternatives.pop() ?? false;
      groupBody = pattern.slice(starts.pop() ?? i, i);
      if (groupQuantified && groups.length > 0) groups[groups.length - 1] = true;
      if (groupAlternatives && alternatives.length > 0) alternatives[alternatives.length - 1] = true;
      atom = '()';
      continue;
    }
    if (c === '|') {
      if (alternatives.length > 0) alternatives[alternatives.length - 1] = true;
      atom = '';
      groupQuantified = false;
      continue;
    }
    const quantifier = quantifierAt(pattern, i);
    if (quantifier !== undefined) {
      if (quantifier.repeats && atom === '()' && groupQuantified) {
        return 'a quantifier on a group that holds a quantifier (like `(a+)+`) can backtrack exponentially; rewrite it without the nesting';
      }
      if (quantifier.repeats && atom === '()' && groupAlternatives && !distinctWords(groupBody)) {
        return 'a repeated group of alternatives that may overlap (like `(a|aa)+` or `(\\w|\\d)+`) can backtrack exponentially; use a character class (`[ab]+`), words starting with different letters (`(?:foo|bar)+`), or one rule per alternative';
      }
      if (quantifier.unbounded) {
        unbounded++;
        if (atom === '()' || atom === '.' || atom.startsWith('[^') || WIDE_ESCAPES.has(atom)) wide++;
        const n = (same.get(atom) ?? 0) + 1;
        same.set(atom, n);
        if (n > MAX_SAME) {
          return `more than ${MAX_SAME} unbounded quantifiers on \`${atom}\` can take polynomial time; split the pattern into several rules`;
        }
      }
      if (quantifier.repeats && groups.length > 0) groups[groups.length - 1] = true;
      i = quantifier.end - 1;
      if (pattern[i + 1] === '?') i++; // lazy
      atom = '';
      groupQuantified = false;
      continue;
    }
    atom = c;
    groupQuantified = false;
  }
  if (wide > 0 && unbounded > wide) {
    return 'an unbounded `.*`, `\\S+`, `[^x]*` or group repeat next to another unbounded quantifier (like `a.*b\\w+`) can take cubic time; bound one of them (`.{0,40}`, `\\w{1,30}`)';
  }
  if (wide > MAX_WIDE) {
    return `more than ${MAX_WIDE} unbounded quantifier on wide atoms (\`.*\`, \`\\S+\`, \`[^x]*\`, groups) can take polynomial time; bound them (\`.{0,40}\`) or split the pattern into several rules`;
  }
  if (unbounded > MAX_UNBOUNDED) {
    return `more than ${MAX_UNBOUNDED} unbounded quantifiers (\`*\`, \`+\`, \`{n,}\`) in one pattern can take polynomial time; split it into several rules`;
  }
  return undefined;
}

/**
 * Whether a group's body is alternatives of plain words that start with different letters
 * (`foo|bar`): a repeat of those can only ever match one way, so it cannot backtrack.
 */
function distinctWords(body: string): boolean {
  const words = body.split('|');
  if (!words.every((w) => /^[\p{L}\p{N} _-]+$/u.test(w))) return false;
  const firsts = new Set(words.map((w) => w[0]?.toLowerCase()));
  return firsts.size === words.length;
}

/** The quantifier starting at `i`, if any: whether it repeats (max > 1) and is unbounded. */
function quantifierAt(
  pattern: string,
  i: number,
): { end: number; repeats: boolean; unbounded: boolean } | undefined {
  const c = pattern[i];
  if (c === '*' || c === '+') return { end: i + 1, repeats: true, unbounded: true };
  if (c === '?') return { end: i + 1, repeats: false, unbounded: false };
  if (c !== '{') return undefined;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
  return { end: i + m[0].length, repeats: max > 1, unbounded: max === Number.POSITIVE_INFINITY };
}

export const RegexRuleConfig = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/, 'A rule name is lower-case letters, digits and `_`, starting with a letter')
      .default('regex')
      .describe('The reason this rule gives in verdicts and metrics (`moderated_<name>`).'),
    pattern: z
      .string()
      .min(1)
      .describe(
        'A regular expression (JavaScript syntax) that must find a match. Patterns that can backtrack catastrophically are refused: nested quantifiers (`(a+)+`), back-references, more than one unbounded `.*`/`\\S+`/`[^x]*`/group repeat (use bounded ones such as `.{0,40}`), more than three on one atom, more than eight in all.',
      ),
    flags: z
      .string()
      .regex(FLAGS, 'Expected regex flags from `i`, `m`, `s`, `u`, each at most once')
      .default('iu')
      .describe('Flags: `i` ignore case, `m` multiline, `s` dot matches newline, `u` Unicode.'),
    on: z
      .enum(['folded', 'text'])
      .default('folded')
      .describe(
        '`folded`: match the folded text (lower case, look-alikes and leetspeak folded; write the pattern in lower-case ASCII). `text`: match the normalized text as shown.',
      ),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .superRefine((rule, ctx) => {
    try {
      new RegExp(rule.pattern, rule.flags);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: reason });
      return;
    }
    const unsafe = unsafePattern(rule.pattern);
    if (unsafe !== undefined) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `Refused pattern: ${unsafe}` });
  })
  .describe('A regular-expression rule.');
export type RegexRuleConfig = z.output<typeof RegexRuleConfig>;
