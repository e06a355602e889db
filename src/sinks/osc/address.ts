/**
 * Keeping chat-provided text out of OSC address syntax: escaping substituted address parts,
 * filling empty segments, sanitizing string arguments and checking an address template's literal
 * parts.
 */

/** Longest substituted address part, after escaping. */
export const MAX_ADDRESS_PART = 64;
/** Longest string argument, in UTF-16 code units, after sanitizing. */
export const MAX_STRING_ARG = 256;

/** `A–Z a–z 0–9 _ . -`: the only characters a substituted value keeps in an address. */
function isSafeAddressChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2d // -
  );
}

/**
 * Makes a value (a variable name, a login, anything from chat) safe inside an OSC address:
 * every character other than `A–Z a–z 0–9 _ . -` becomes `_`, one per code point, so OSC
 * pattern syntax (`# * , / ? [ ] { }`), spaces, control characters and non-ASCII can never
 * reach the address, and Max/Pd special characters (`; $ \ ,`) neither. An empty value becomes
 * `_`; the result is cut to {@link MAX_ADDRESS_PART} characters. Returns `value` itself when
 * it is already safe.
 *
 * @example escapeAddressPart('a b/#*') // 'a_b___'
 */
export function escapeAddressPart(value: string): string {
  const n = value.length;
  if (n === 0) return '_';
  let i = 0;
  while (i < n && isSafeAddressChar(value.charCodeAt(i))) i += 1;
  if (i === n && n <= MAX_ADDRESS_PART) return value;
  let out = value.slice(0, i);
  while (i < n && out.length < MAX_ADDRESS_PART) {
    const c = value.charCodeAt(i);
    if (isSafeAddressChar(c)) {
      out += value[i];
      i += 1;
    } else {
      out += '_';
      // A surrogate pair is one code point: one `_`.
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(value.charCodeAt(i + 1)) ? 2 : 1;
    }
  }
  return out.length > MAX_ADDRESS_PART ? out.slice(0, MAX_ADDRESS_PART) : out;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Fills empty segments of a rendered address (`/by/` when a field was missing, `/a//b`) with
 * `_`, so every address is well-formed. Returns `address` itself when there are none.
 */
export function fillEmptySegments(address: string): string {
  if (!address.endsWith('/') && !address.includes('//')) return address;
  let out = address.replace(/\/(?=\/)/g, '/_');
  if (out.endsWith('/')) out += '_';
  return out;
}

/**
 * Makes text safe as an OSC string argument: drops C0 and C1 control characters (a NUL would
 * end the string early) and cuts it to {@link MAX_STRING_ARG} code units without splitting a
 * surrogate pair. Unicode stays (sent as UTF-8, as `osc.writePacket` does).
 */
export function sanitizeStringArg(text: string): string {
  let out = text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(out)) out = out.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  if (out.length > MAX_STRING_ARG) {
    const cut = isLowSurrogate(out.charCodeAt(MAX_STRING_ARG)) ? MAX_STRING_ARG - 1 : MAX_STRING_ARG;
    out = out.slice(0, cut);
  }
  return out;
}

/** Characters a configured address may not contain outside its `{{ }}` placeholders. */
const ADDRESS_LITERAL_FORBIDDEN = /[\s#*,?[\]{}]/;

/**
 * Problems with the literal parts of an address template (what is left after removing its
 * placeholders): it must start with `/`, be printable ASCII and hold no OSC pattern syntax.
 */
export function checkAddressLiteral(template: string): string[] {
  const literal = template.replace(/\{\{[^}]*\}\}/g, 'x');
  const problems: string[] = [];
  if (!literal.startsWith('/')) problems.push('An OSC address starts with "/"');
  if (ADDRESS_LITERAL_FORBIDDEN.test(literal)) {
    problems.push('An OSC address may not contain spaces or any of # * , ? [ ] { } outside "{{ }}"');
  }
  if (/[^\u0021-\u007e]/.test(literal)) problems.push('An OSC address is printable ASCII');
  return problems;
}
