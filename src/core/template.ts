/**
 * `{{ path }}` templates over an event's fields (`/cv/{{ variable }}`), compiled once per node
 * so rendering is a few property reads and string joins.
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}/g;
const STRAY = /\{\{|\}\}/;

/** Fields a template may read, across every event kind (DESIGN.md §3). */
const KNOWN_ROOTS = new Set([
  'kind', 'id', 'platform', 'channel', 'author', 'text', 'emotes', 'ts', 'bits', 'replyTo',
  'action', 'firstMessage', 'backfill', 'sourceRoom', 'originalText', 'folded', 'category',
  'type', 'data', 'name', 'args', 'chat', 'variable', 'value', 'previous', 'origin', 'by',
  'verdict', 'reasons', 'points', 'labels', 'summary', 'histogram', 'instance', 'receivedAt',
  'heldMs',
]);

export type Template = (event: object) => string;

/** The paths a template reads, in order. */
export function templatePaths(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** Problems with a template: unknown fields and unbalanced braces; empty when it is fine. */
export function checkTemplate(template: string): string[] {
  const problems: string[] = [];
  if (STRAY.test(template.replace(PLACEHOLDER, ''))) {
    problems.push(`Unbalanced "{{ }}" in template "${template}"`);
  }
  for (const path of templatePaths(template)) {
    const root = path.split('.')[0] as string;
    if (!KNOWN_ROOTS.has(root)) problems.push(`Template field "${path}" is not an event field`);
  }
  return problems;
}

/**
 * Compiles a template. A missing field renders as an empty string; `escape` is applied to
 * every substituted value (e.g. to keep OSC address syntax out of chat-provided names).
 */
export function compileTemplate(template: string, escapeValue: (value: string) => string = String): Template {
  const parts: Array<string | readonly string[]> = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    parts.push(template.slice(last, m.index));
    parts.push((m[1] as string).split('.'));
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(template.slice(last));
  if (parts.length === 1) {
    const constant = template;
    return () => constant;
  }
  return (event) => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      let value: unknown = event;
      for (const key of part) {
        value = value == null ? undefined : (value as Record<string, unknown>)[key];
      }
      out += value == null ? '' : escapeValue(String(value));
    }
    return out;
  };
}

/**
 * Problems with a template whose fields are a fixed list (a reply's, a timer message's):
 * unbalanced braces, and each field not in `fields`, worded with `noun` ("reply field").
 */
export function checkTemplateFields(template: string, fields: readonly string[], noun: string): string[] {
  const problems: string[] = [];
  if (STRAY.test(template.replace(PLACEHOLDER, ''))) problems.push(`Unbalanced "{{ }}" in template "${template}"`);
  for (const path of templatePaths(template)) {
    if (!fields.includes(path)) problems.push(`Unknown ${noun} "${path}"; use one of ${fields.join(', ')}`);
  }
  return problems;
}
