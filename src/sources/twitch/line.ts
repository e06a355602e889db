/**
 * The IRC line grammar (`[@tags ][:prefix ]COMMAND params[ :trailing]`) for the `twitch`
 * source, in the form tmi.js's parser gives (so tmi.js can handle what this parsed), with the
 * tags read as the IRCv3 message-tags spec says through `rawTag` (tmi.js's parser gives a key
 * without `=` its own name as value, this one `true`, like an empty one).
 */
import type { IrcMessage, IrcTags } from './tags.js';

const AT = 64;
const COLON = 58;
const SPACE = 32;

/**
 * Reads the tag section of a line (between `@` and the first space). Every tag is kept under
 * its full key, client-only `+` prefix and vendor (`example.com/`) included; its value stays
 * escaped (read it with `tag()`). A key without `=` and a key with an empty value are both
 * `true` (read as `''`); of duplicate keys the last wins; an empty key is skipped.
 */
export function parseTags(section: string): IrcTags {
  // No prototype: a tag named `__proto__` or `constructor` is just a tag.
  const tags = Object.create(null) as Record<string, string | true>;
  let from = 0;
  const n = section.length;
  while (from <= n) {
    let end = section.indexOf(';', from);
    if (end === -1) end = n;
    const eq = section.indexOf('=', from);
    const hasValue = eq !== -1 && eq < end;
    const key = section.slice(from, hasValue ? eq : end);
    if (key !== '') tags[key] = hasValue && eq + 1 < end ? section.slice(eq + 1, end) : true;
    from = end + 1;
  }
  return tags;
}

/**
 * Splits one IRC line (without its `\r\n`), or `null` when it has no command (a tag section or
 * a prefix with nothing after it). Prefix and parameters are read as tmi.js reads them (runs of
 * spaces separate, a parameter starting with `:` takes the rest of the line); the tags as the
 * spec says ({@link parseTags}).
 */
export function parseIrcLine(line: string): IrcMessage | null {
  let position = 0;
  let nextSpace = 0;
  let tags: IrcTags = NO_TAGS;
  if (line.charCodeAt(0) === AT) {
    nextSpace = line.indexOf(' ');
    if (nextSpace === -1) return null;
    tags = parseTags(line.slice(1, nextSpace));
    position = nextSpace + 1;
  }
  while (line.charCodeAt(position) === SPACE) position++;
  let prefix: string | null = null;
  if (line.charCodeAt(position) === COLON) {
    nextSpace = line.indexOf(' ', position);
    if (nextSpace === -1) return null;
    prefix = line.slice(position + 1, nextSpace);
    position = nextSpace + 1;
    while (line.charCodeAt(position) === SPACE) position++;
  }
  nextSpace = line.indexOf(' ', position);
  if (nextSpace === -1) {
    if (line.length <= position) return null;
    return { raw: line, tags, prefix, command: line.slice(position), params: [] };
  }
  const command = line.slice(position, nextSpace);
  const params: string[] = [];
  position = nextSpace + 1;
  while (line.charCodeAt(position) === SPACE) position++;
  while (position < line.length) {
    if (line.charCodeAt(position) === COLON) {
      params.push(line.slice(position + 1));
      break;
    }
    nextSpace = line.indexOf(' ', position);
    if (nextSpace === -1) {
      params.push(line.slice(position));
      break;
    }
    params.push(line.slice(position, nextSpace));
    position = nextSpace + 1;
    while (line.charCodeAt(position) === SPACE) position++;
  }
  return { raw: line, tags, prefix, command, params };
}

const NO_TAGS: IrcTags = Object.freeze(Object.create(null) as Record<string, string | true>);
