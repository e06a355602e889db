/**
 * `moderate`'s link rule: its options and the `links` field. The finder itself is shared with
 * `classify` (../shared/links.ts).
 */
import { z } from 'zod';
import { ROLES } from '../../core/events.js';
import { duration } from '../../core/units.js';
import { DEFAULT_EXEMPT, ruleFields } from './rule.js';

export const LinksRuleConfig = z
  .strictObject({
    allow: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Domains whose links are fine, with their subdomains: `youtube.com` also allows `www.youtube.com` and `m.youtube.com`.',
      ),
    obfuscated: z
      .boolean()
      .default(true)
      .describe(
        'Also catch links written around filters: `example dot com`, `example(.)com`, `example[.]com`, `example . c o m`, `hxxps://`.',
      ),
    permit: z
      .strictObject({
        command: z
          .string()
          .regex(/^[a-z0-9_-]{1,32}$/, 'A command name is lower-case letters, digits, `_` and `-`')
          .default('permit')
          .describe('The command name after `command_prefix`: `!permit someone`.'),
        duration: duration()
          .prefault('60s')
          .describe('How long the permitted user may post links after the command.'),
        roles: z
          .array(z.enum(ROLES))
          .min(1)
          .default([...DEFAULT_EXEMPT])
          .describe('Who may permit (any of these roles).'),
      })
      .prefault({})
      .describe(
        'A moderator types `!permit someone` (or `!permit @someone`) and that user may post links (on the same platform) for `duration`. The command message itself is not passed on `clean`.',
      ),
    ...ruleFields({ action: 'delete', points: 1 }),
  })
  .describe('Links, including obfuscated ones.');
export type LinksRuleConfig = z.output<typeof LinksRuleConfig>;

/**
 * The `links` field: `block` (catch links with the defaults), `allow` (no link rule), or the
 * rule's options.
 */
export function linksField() {
  return z
    .union([z.enum(['block', 'allow']), LinksRuleConfig])
    .optional()
    .transform((value): LinksRuleConfig | undefined =>
      value === undefined || value === 'allow' ? undefined : value === 'block' ? LinksRuleConfig.parse({}) : value,
    )
    .describe(
      '`block` catches links with the default options, `allow` (or leaving it out) lets links through; or the options of the link rule.',
    );
}
