/** The `simulate` source's config. */
import { z } from 'zod';
import { PLATFORMS } from '../../core/events.js';
import { rate } from '../../core/units.js';
import { checkCommandTemplate, DEFAULT_COMMANDS } from './text.js';

const weight = (fallback: number, what: string) =>
  z.number().nonnegative().default(fallback).describe(`Relative weight of ${what}.`);

export const SimulateMix = z
  .strictObject({
    chat: weight(50, 'plain chat lines (with the odd `/me`, cheer or reply)'),
    command: weight(25, 'commands rendered from `commands`'),
    emote: weight(12, 'emote lines (emote ranges filled in)'),
    link: weight(3, 'messages with links, some obfuscated'),
    caps: weight(5, 'caps and repeated-letter spam'),
    unicode: weight(5, 'Unicode tricks: zero-width characters, homoglyphs, zalgo, bidi controls, full-width and astral letters, tag characters, emoji before emotes'),
  })
  .superRefine((mix, ctx) => {
    if (Object.values(mix).every((w) => w === 0)) {
      ctx.addIssue({ code: 'custom', message: 'At least one weight of `mix` must be above 0' });
    }
  })
  .describe('What the messages are, as relative weights (they need not add up to 100).');
export type SimulateMix = z.output<typeof SimulateMix>;

export const SimulateConfig = z
  .strictObject({
    rate: rate({ or: 'max' })
      .prefault('20/s')
      .describe(
        'Messages per period (`20/s`, `1/2s`, `1000000/s`). High rates are emitted in batches every millisecond. `max`: as fast as possible, in chunks of 1000, yielding to the event loop every few milliseconds.',
      ),
    users: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(200)
      .describe(
        'Distinct chatters, including one broadcaster per platform. A few talk a lot, most rarely, as in real chat.',
      ),
    seed: z.number().int().default(1).describe('Seed of the random sequence: the same seed gives the same messages.'),
    platforms: z
      .array(z.enum(PLATFORMS))
      .min(1)
      .default([...PLATFORMS])
      .refine((list) => new Set(list).size === list.length, 'List each platform once')
      .describe('Platforms the users chat from; users are spread evenly across them.'),
    channel: z
      .string()
      .min(1)
      .default('sim')
      .describe("Channel name on every platform; the broadcasters' login is derived from it."),
    count: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Stop after this many messages and complete. Left out: run until stopped.'),
    mix: SimulateMix.prefault({}).describe('What the messages are, as relative weights (they need not add up to 100).'),
    commands: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULT_COMMANDS])
      .describe(
        'Command templates. Placeholders: `{0..100}` an integer, `{0.0..1.0}` a number with two decimals, `{note}` a note such as `C4` or `F#3`, `{a|b|c}` one of the words.',
      ),
    command_noise: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe(
        'Share of commands that come out wrong, as viewers type them: upper case, out of range, garbage arguments, or missing arguments.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.users < config.platforms.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['users'],
        message: 'Need at least one user per platform (each platform has a broadcaster)',
      });
    }
    config.commands.forEach((template, index) => {
      for (const problem of checkCommandTemplate(template)) {
        ctx.addIssue({ code: 'custom', path: ['commands', index], message: `Invalid command template: ${problem}` });
      }
    });
  })
  .describe('Synthetic chat.');
export type SimulateConfig = z.output<typeof SimulateConfig>;
