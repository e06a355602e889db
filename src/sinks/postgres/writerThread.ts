/**
 * The `postgres` sink's writer thread (`thread: worker`): owns the PostgreSQL connections and
 * writes the parts the main side encoded (copyWriter.ts), so the COPY protocol, the
 * transactions and the restaging of retried batches never run on the main event loop. Talks
 * over its parent port ({@link ToWriter} in, {@link FromWriter} out); started by
 * {@link PostgresWorkerSink}.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { CopyWriter, connectPostgres, errorDetails, type WriterLog } from './copyWriter.js';
import type { ErrorData, FromWriter, ToWriter, WriterInit } from './protocol.js';

/** Serves the main side on `port` until it says `stop`. */
function serve(init: WriterInit, port: MessagePort): void {
  const post = (message: FromWriter) => port.postMessage(message);
  const relay =
    (level: 'info' | 'warn') =>
    (details: Record<string, unknown>, message: string): void =>
      post({ t: 'log', level, details, message });
  const log: WriterLog = { info: relay('info'), warn: relay('warn') };
  const writer = new CopyWriter(connectPostgres(init.url, init.applicationName), init.connections, log);
  /** The parts of each batch being written, by batch id. */
  const batches = new Map<number, ReturnType<CopyWriter['writePart']>[]>();

  const handle = async (message: ToWriter): Promise<void> => {
    switch (message.t) {
      case 'start':
        try {
          await writer.start();
          post({ t: 'started' });
        } catch (err) {
          post({ t: 'startFailed', error: plain(err) });
        }
        return;
      case 'part': {
        let writes = batches.get(message.batch);
        if (writes === undefined) {
          writes = [];
          batches.set(message.batch, writes);
        }
        writes.push(writer.writePart(message.index, message.tables));
        return;
      }
      case 'batch': {
        const writes = batches.get(message.batch) ?? [];
        batches.delete(message.batch);
        const outcome = await writer.settle(writes);
        if (outcome.ok) post({ t: 'written', batch: message.batch, inserted: outcome.inserted, restaged: outcome.restaged });
        else post({ t: 'failed', batch: message.batch, retryable: outcome.retryable, error: plain(outcome.error) });
        return;
      }
      case 'stop':
        await writer.stop();
        post({ t: 'stopped' });
        return;
      default:
        // A message this thread does not know is a bug on the main side: fail loudly, the sink
        // restarts the thread.
        throw new Error(`Unknown message to the PostgreSQL writer thread: ${JSON.stringify(message)}`);
    }
  };
  port.on('message', (message: ToWriter) => {
    handle(message).catch((err: unknown) => {
      // Rethrown outside the promise: an uncaught exception ends the thread, as any bug would.
      setImmediate(() => {
        throw err;
      });
    });
  });
}

function plain(err: unknown): ErrorData {
  return errorDetails(err) ?? { message: 'Unknown error.' };
}

serve(workerData as WriterInit, parentPort as MessagePort);
