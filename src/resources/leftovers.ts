/**
 * What an earlier run may have left in an embedded server's directory, dealt with before a new
 * server starts there: an embedded redis-server still running on the same data (its watchdog
 * killed too, or still stopping it) would otherwise write the same append-only file as the new
 * one. A run records its server in `server.json`; the next start asks whatever answers on that
 * port for its pid, and shuts it down only when it is that very redis-server, so a reused port
 * or pid never hits another program.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

/** The record of a running embedded server, in its directory. */
export interface ServerRecord {
  readonly pid: number;
  readonly port: number;
}

const RECORD = 'server.json';

export async function writeServerRecord(dir: string, record: ServerRecord): Promise<void> {
  await writeFile(join(dir, RECORD), `${JSON.stringify(record)}\n`);
}

export async function removeServerRecord(dir: string): Promise<void> {
  await rm(join(dir, RECORD), { force: true });
}

async function readServerRecord(dir: string): Promise<ServerRecord | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as Partial<ServerRecord>;
    return typeof value.pid === 'number' && typeof value.port === 'number' ? { pid: value.pid, port: value.port } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends Redis commands over a raw connection and resolves with everything it answered once the
 * answer contains `until` (or the connection closes); '' when nothing listens.
 */
function redisSay(port: number, commands: string, until: RegExp, timeoutMs = 2000): Promise<string> {
  return new Promise((resolveSay) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolveSay(answer);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.once('connect', () => socket.write(commands));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (until.test(answer)) done();
    });
    socket.once('error', done);
    socket.once('close', done);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops the embedded redis-server an earlier run left running on `dir`, if any, and waits (up
 * to `waitMs`) until it is gone. Returns whether there was one.
 */
export async function stopLeftoverRedis(dir: string, waitMs = 10_000): Promise<boolean> {
  const record = await readServerRecord(dir);
  if (!record) return false;
  const info = await redisSay(record.port, 'INFO server\r\n', /process_id:\d+\r\n/);
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (pid !== record.pid) {
    await removeServerRecord(dir);
    return false;
  }
  // SHUTDOWN writes the append-only file out first; the connection closes as it exits.
  await redisSay(record.port, 'SHUTDOWN\r\n', /^-/);
  const deadline = performance.now() + waitMs;
  while (alive(pid) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await removeServerRecord(dir);
  return true;
}
