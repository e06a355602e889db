/**
 * A config key that is no longer accepted, kept in the schema only to refuse it with a message
 * saying what to write instead (a plain "Unknown key" would leave the user guessing).
 */
import { z } from 'zod';

/**
 * A key that must be left out: any value is refused with `message(value)`.
 *
 * @param message What to write instead, given the value as written.
 */
export function renamedOption(message: (value: string) => string) {
  return z
    .never({ error: (issue) => message(typeof issue.input === 'string' ? issue.input : JSON.stringify(issue.input)) })
    .optional();
}
