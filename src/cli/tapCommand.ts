/**
 * `chatflow tap <node[.port]>…`: streams the events leaving nodes of a running instance over
 * `/api/tap` (src/server/tapRoute.ts): one pretty line per event in a terminal, JSON lines
 * otherwise (or with --json). Runs until Ctrl-C (exit 0) or until the instance goes away.
 */
import { WebSocket } from 'ws';
import type { ChatflowEvent } from '../core/events.js';
import type { TapMessage } from '../server/tapRoute.js';
import { type ApiTarget, authHeaders, unauthorized, unreachable } from './apiClient.js';
import type { CommandIo } from './commandIo.js';
import { EXIT } from './exitCodes.js';

export interface TapOptions {
  readonly target: ApiTarget;
  readonly match?: string | undefined;
  readonly rate?: string | undefined;
  readonly sample?: string | undefined;
  readonly json: boolean;
}

const MAX_LINE = 200;

/** One event as a terminal line: `12:00:01 cmds.cv command !cv cutoff=0.5 (alice)`. */
export function prettyEvent(node: string, port: string, event: ChatflowEvent, at: Date): string {
  const time = at.toTimeString().slice(0, 8);
  const where = port === '' ? node : `${node}.${port}`;
  let what: string;
  switch (event.kind) {
    case 'chat':
      what = `${event.author.login}: ${event.text}`;
      break;
    case 'command':
      what = `!${event.name} ${Object.entries(event.args)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ')} (${event.chat.author.login})`;
      break;
    default: {
      const { kind: _kind, receivedAt: _at, ...rest } = event;
      what = JSON.stringify(rest);
    }
  }
  const line = `${time} ${where} ${event.kind} ${what}`.replace(/[\r\n]+/g, ' ');
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

export function tapUrl(target: ApiTarget, nodes: readonly string[], options: TapOptions): string {
  const url = new URL(`${target.url.replace(/^http/, 'ws')}/api/tap`);
  url.searchParams.set('node', nodes.join(','));
  if (options.match !== undefined) url.searchParams.set('match', options.match);
  if (options.rate !== undefined) url.searchParams.set('rate', options.rate);
  if (options.sample !== undefined) url.searchParams.set('sample', options.sample);
  return url.toString();
}

export function tapCommand(nodes: readonly string[], options: TapOptions, io: CommandIo): Promise<number> {
  const { stdout, stderr } = io;
  const json = options.json || (stdout as { isTTY?: boolean }).isTTY !== true;
  const fail = (message: string, code: number): number => {
    stderr.write(`chatflow tap: ${message}\n`);
    return code;
  };
  return new Promise<number>((resolve) => {
    let done = false;
    let opened = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      io.shutdown?.removeEventListener('abort', onAbort);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      resolve(code);
    };
    const onAbort = () => finish(EXIT.ok);
    const ws = new WebSocket(tapUrl(options.target, nodes, options), { headers: authHeaders(options.target) });
    io.shutdown?.addEventListener('abort', onAbort, { once: true });
    if (io.shutdown?.aborted) onAbort();
    ws.on('unexpected-response', (_request, response) => {
      if (done) return;
      const err = response.statusCode === 401 ? unauthorized(options.target) : unreachable(options.target, new Error(`HTTP ${response.statusCode}`));
      finish(fail(err.message, err.exitCode));
    });
    // A reader that went away (`chatflow tap x | head`): done, not a crash.
    stdout.on('error', () => finish(EXIT.ok));
    ws.on('error', (err) => {
      if (done) return;
      const e = unreachable(options.target, err);
      finish(fail(e.message, e.exitCode));
    });
    ws.on('open', () => {
      opened = true;
    });
    ws.on('message', (data) => {
      let message: TapMessage;
      try {
        message = JSON.parse(String(data)) as TapMessage;
      } catch {
        return;
      }
      switch (message.type) {
        case 'event':
          stdout.write(
            json
              ? `${JSON.stringify({ node: message.node, port: message.port, event: message.event })}\n`
              : `${prettyEvent(message.node, message.port, message.event, new Date())}\n`,
          );
          break;
        case 'dropped': {
          const d = message.dropped;
          stderr.write(
            `chatflow tap: dropped so far: ${d.rate} over --rate, ${d.slow_client} while this terminal was behind, ${d.tap_queue} from the tap's full queue.\n`,
          );
          break;
        }
        case 'error':
          finish(fail(message.message, EXIT.usage));
          break;
        case 'hello':
          if (!json) stderr.write(`chatflow tap: watching ${message.targets.map((t) => (t.port ? `${t.node}.${t.port}` : t.node)).join(', ')} (Ctrl-C to stop).\n`);
          break;
      }
    });
    ws.on('close', () => {
      if (done) return;
      finish(opened ? fail(`${options.target.url} closed the tap (the instance stopped).`, EXIT.unavailable) : EXIT.unavailable);
    });
  });
}
