/**
 * Link detection on folded text (so look-alike letters and full-width dots are already plain
 * ASCII), shared by `moderate` and `classify` so both agree on what a link is.
 *
 * What counts as a link:
 *
 * - anything after a scheme, including defanged ones: `http://`, `https://`, `hxxp://`,
 *   `hxxps[:]//`, and anything starting `www.`;
 * - a bare `name.tld` whose top-level domain is on {@link LINK_TLDS}, a list of the domains
 *   links in chat actually use (`com`, `net`, `gg`, `tv`, `ly`, `ru`, `xyz`, …). Endings that
 *   are mostly file names, abbreviations or words are left off on purpose: `file.txt`,
 *   `main.py`, `readme.md`, `e.g.`, `i.e.`, `v1.2`, `2.5`, `node.js`, `ok.so`, `this.is`;
 *   `name@host.com` (an e-mail address) is not a link.
 * - the same written around filters: `example dot com`, `example (dot) com`, `example[.]com`,
 *   `example(.)com`, `example . com`, `example . c o m`, `example。com`.
 *
 * Checking costs one regex test for messages with no dot, `dot`, `www` or `://` in them.
 */

/** Top-level domains a bare `name.tld` must end in to count as a link. */
export const LINK_TLDS: ReadonlySet<string> = new Set(
  (
    'com net org info biz io gg tv ly co cc ws xyz top site online shop store club live link click app dev fun ' +
    'icu buzz vip win bid pw tk ml ga cf gq ai gl su ru ua kz de uk fr es nl br jp cn kr eu ca au nz ' +
    'ch cz sk hu ro bg gr tr ir pk vn th ph sg hk tw mx ar cl pe ve za ng ' +
    'website space tech digital today news stream games chat social media network money cash loan ' +
    'bet casino porn sex xxx cam dating adult'
  ).split(' '),
);

/** Cheap first test: nothing like a link can be in text without any of these. */
const MAYBE_LINK = /[.\u3002\uff61]|dot|www|:\/\/|\[:\]/;

/** Obfuscated dots: `(.)`, `[.]`, `{.}`, `(dot)`, `[dot]`, ` dot ` between words, `。`. */
const BRACKET_DOT = /\s*[([{<]\s*(?:dot|\.)\s*[)\]}>]\s*/g;
const WORD_DOT = /(?<=[a-z0-9])\s+dot\s+(?=[a-z])/g;
const IDEOGRAPHIC_DOT = /[\u3002\uff61]/g;
/** Spaces around a dot between a letter or digit and a letter: `example . com`. */
const SPACED_DOT = /(?<=[a-z0-9])\s*\.\s*(?=[a-z])/g;
/** A top-level domain spelled out in single letters after a dot: `.c o m`. */
const SPACED_TLD = /\.((?:[a-z] ){1,5}[a-z])(?![a-z0-9])/g;
const SPACES = / /g;
/** Defanged and plain schemes: `http://`, `hxxps[:]//`, `h**p://`. */
const DEFANGED_SCHEME = /h(?:tt|xx|\*\*)p(s?)\s*(?:\[:\]|\(:\)|:)\s*\/\s*\//g;

/**
 * A scheme or `www.` and the host after it, or a bare host: labels of letters, digits and `-`
 * separated by dots, starting after something that is not part of a host (so `a@b.com` and the
 * middle of `x.y.com` never start one). Linear: a label cannot hold a dot.
 */
const LINK = /(?:(https?:\/\/|www\.)|(?<![a-z0-9.@_-]))((?:[a-z0-9-]+\.)+)([a-z][a-z0-9-]*)(?![a-z0-9_-])|https?:\/\//g;

/** Undoes the ways of writing a link around a filter. */
export function deobfuscate(text: string): string {
  let s = text;
  if (s.includes('(') || s.includes('[') || s.includes('{') || s.includes('<')) s = s.replace(BRACKET_DOT, '.');
  if (s.includes('dot')) s = s.replace(WORD_DOT, '.');
  if (s.includes('\u3002') || s.includes('\uff61')) s = s.replace(IDEOGRAPHIC_DOT, '.');
  if (s.includes(' .') || s.includes('. ')) s = s.replace(SPACED_DOT, '.');
  if (s.includes('.')) s = s.replace(SPACED_TLD, (_m, letters: string) => `.${letters.replace(SPACES, '')}`);
  if (s.includes('h')) s = s.replace(DEFANGED_SCHEME, 'http$1://');
  return s;
}

/** True when `host` is one of `allowed` or a subdomain of one. */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  for (const domain of allowed) {
    if (host === domain || (host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e)) {
      return true;
    }
  }
  return false;
}

/**
 * The host of the first link in folded `text` that `allowed` does not cover (`''` for a scheme
 * without a host), or undefined when there is none.
 *
 * @param allowed Lower-case domains, each also allowing its subdomains.
 * @param obfuscated Whether to undo obfuscation first.
 */
export function findLink(text: string, allowed: readonly string[], obfuscated: boolean): string | undefined {
  if (!MAYBE_LINK.test(text)) return undefined;
  const s = obfuscated ? deobfuscate(text) : text;
  // matchAll works on a copy of LINK, so its `lastIndex` is never shared between calls.
  for (const m of s.matchAll(LINK)) {
    const labels = m[2];
    if (labels === undefined) return ''; // a scheme with no host after it
    const tld = m[3] as string;
    if (m[1] === undefined && !LINK_TLDS.has(tld)) continue;
    const host = labels + tld;
    if (!isAllowedHost(host, allowed)) return host;
  }
  return undefined;
}
