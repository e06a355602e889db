/**
 * Link detection for `classify`: the finder `moderate` uses (operators/shared/links.ts), so
 * both nodes agree on what a link is: URLs with a scheme, `www.` hosts and bare domains on a
 * known top-level domain (`clips.twitch.tv/x`, `bit.ly/abc`), full-width letters included; not
 * e-mail addresses, versions (`v1.2`), file names (`node.js`) or abbreviations (`e.g.`).
 *
 * Two differences, both on purpose. The text is folded for case, compatibility forms and
 * diacritics only, not with normalize's `folded`, whose leetspeak folding turns the `@` of
 * `me@mail.com` into `a` (making it a link). And spelled-out dodges (`example dot com`) are not
 * undone: in ordinary chat that would make "the dot com bubble" a link; catching dodges is
 * moderation's job.
 */
import { foldWords } from './fold.js';
import { findLink } from '../shared/links.js';

const NONE: readonly string[] = [];

/** True when `text` holds a link. */
export function hasLink(text: string): boolean {
  return findLink(foldWords(text), NONE, false) !== undefined;
}
