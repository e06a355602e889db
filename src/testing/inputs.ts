/**
 * A test's `inputs` as the events the harness feeds: chat lines and platform events made the
 * way the platform sources make them, and recordings read the way `replay` reads them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ChatflowEvent } from '../core/events.js';
import { chatEvent, platformEvent } from './events.js';
import { readRecording } from './recording.js';
import type { VirtualInput } from './harness.js';
import type { TestInput } from './testFileSchema.js';

export interface InputProblem {
  /** Index of the input in the test's `inputs`. */
  readonly index: number;
  readonly message: string;
}

export type BuiltInputs =
  | { readonly ok: true; readonly inputs: readonly VirtualInput[] }
  | { readonly ok: false; readonly problems: readonly InputProblem[] };

/**
 * Builds the events of a test's inputs. Ids are `t-<n>` (n: the input's place in the list,
 * from 1), so a test's events are the same every run; a recording keeps its own ids. Events
 * are made as `chatEvent` and `platformEvent` make them (./events.ts): the author's id is
 * `<platform>-<login>`, the login lower-cased (the display name keeps its case).
 *
 * @param testFile The test file, which `file` paths are relative to.
 * @param startWallClock Epoch ms of virtual time 0, for each event's platform time `ts`.
 */
export function buildInputs(inputs: readonly TestInput[], testFile: string, startWallClock: number): BuiltInputs {
  const out: VirtualInput[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    const source = input.source === undefined ? {} : { source: input.source };
    const id = `t-${index + 1}`;
    const ts = startWallClock + input.at;
    if (input.file !== undefined) {
      const read = readRecordingFile(resolve(dirname(testFile), input.file), input.file);
      if (typeof read === 'string') problems.push({ index, message: read });
      else for (const { offset, event } of read) out.push({ at: input.at + offset, ...source, event });
      return;
    }
    const who = { platform: input.platform, channel: input.channel, roles: input.roles, ts, id };
    const display = input.display_name === undefined ? {} : { displayName: input.display_name };
    if (input.event !== undefined) {
      const login = input.user === undefined ? {} : { login: input.user, ...display };
      out.push({ at: input.at, ...source, event: platformEvent({ type: input.event, data: input.data, ...who, ...login }, input.at) });
      return;
    }
    const login = input.user as string;
    const firstMessage = input.first_message ?? !seen.has(login.toLowerCase());
    seen.add(login.toLowerCase());
    const bits = input.bits === undefined ? {} : { bits: input.bits };
    const chat = chatEvent({ login, text: input.text ?? '', firstMessage, ...who, ...display, ...bits }, input.at);
    out.push({ at: input.at, ...source, event: chat });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, inputs: out };
}

/** The events of a recording with their distance from the first, or what is wrong with it. */
function readRecordingFile(path: string, shown: string): { offset: number; event: ChatflowEvent }[] | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return code === 'ENOENT' ? `Recording not found: ${shown}` : `Recording cannot be read: ${shown}`;
  }
  // The same reading as `chatflow whatif` and `replay`; a test refuses any line that is not an event.
  const recording = readRecording(text);
  const bad = recording.skipped[0];
  if (bad !== undefined) {
    return `Line ${bad.line} of ${shown} is not an event as the \`file\` sink writes them (${bad.reason})`;
  }
  if (recording.inputs.length === 0) return `Recording holds no events: ${shown}`;
  return recording.inputs.map(({ at, event }) => ({ offset: at, event }));
}
