/** The captured Twitch IRC lines of test/fixtures/twitch-irc-samples.txt, with their line numbers. */
import { readFileSync } from 'node:fs';

export interface TwitchSample {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The IRC line, without CRLF. */
  readonly raw: string;
}

export const TWITCH_SAMPLES_FILE = new URL('../fixtures/twitch-irc-samples.txt', import.meta.url);

/** Every IRC line of the samples file (comments and blank lines left out), in file order. */
export function loadTwitchSamples(): TwitchSample[] {
  return readFileSync(TWITCH_SAMPLES_FILE, 'utf8')
    .split('\n')
    .map((raw, index) => ({ line: index + 1, raw: raw.replace(/\r$/, '') }))
    .filter((sample) => sample.raw !== '' && !sample.raw.startsWith('#'));
}
