/**
 * The `postgres` sink's writer thread (`thread: worker`): receives each batch's events from the
 * main side, slice by slice, encodes them into COPY parts as they come (batchEncoder.ts) and
 * writes each part as soon as it is encoded on the connections
 * it owns (copyWriter.ts), so encoding, the COPY protocol, the transactions and the restaging
 * of retried batches never run on the main event loop. Talks over its parent port
 * ({@link ToWriter} in, {@link FromWriter} out); started by {@link PostgresWorkerSink}.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { BatchEncoder, type BatchEncoding } from './batchEncoder.js';
import { CopyWriter, connectPostgres, errorDetails, type WriterLog, writtenThenReleased } from './copyWriter.js';
import type { EncodeCounts, ErrorData, FromWriter, ToWriter, WriterInit } from './protocol.js';
import { PackedReader } from './wire.js';

/** Serves the main side on `port`. */
function serve(init: WriterInit, port: MessagePort): void {
  const post = (message: FromWriter) => port.postMessage(message);
  const relay =
    (level: 'info' | 'warn') =>
    (details: Record<string, unknown>, message: string): void =>
      post({ t: 'log', level, details, message });
  const log: WriterLog = { info: relay('info'), warn: relay('warn') };
  const writer = new CopyWriter(connectPostgres(init.url, init.applicationName), init.config.connections, log);
  /** The main side's wall clock when it posted the batch: the time of rows without one of their own. */
  let now = 0;
  const encoder = new BatchEncoder(init.config.kinds, {
    instance: init.instance,
    questionCommands: new Set(init.config.question_commands),
    now: () => now,
  });
  /** Each batch being received: its encoding, and the writes of its parts encoded so far. */
  const batches = new Map<number, { readonly encoding: BatchEncoding; readonly writes: ReturnType<CopyWriter['writePart']>[] }>();

  const receive = (message: Extract<ToWriter, { t: 'events' }>): void => {
    now = message.now;
    let batch = batches.get(message.batch);
    if (batch === undefined) {
      const writes: ReturnType<CopyWriter['writePart']>[] = [];
      const encoding = encoder.begin(message.total, writer.connections, (index, text) => writes.push(writtenThenReleased(writer, index, text)));
      batch = { encoding, writes };
      batches.set(message.batch, batch);
    }
    batch.encoding.addPacked(new PackedReader(message.packed));
  };

  const write = async (id: number): Promise<void> => {
    const batch = batches.get(id);
    batches.delete(id);
    const counts: EncodeCounts = batch?.encoding.finish() ?? { stored: 0, cleaned: 0, notStored: 0 };
    const outcome = await writer.settle(batch?.writes ?? []);
    if (outcome.ok) post({ t: 'written', batch: id, inserted: outcome.inserted, restaged: outcome.restaged, ...counts });
    else post({ t: 'failed', batch: id, retryable: outcome.retryable, error: plain(outcome.error), ...counts });
  };

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
      case 'events':
        receive(message);
        return;
      case 'batch':
        await write(message.batch);
        return;
      case 'discard': {
        // Parts already handed to the writer finish first: a connection holds one transaction.
        const batch = batches.get(message.batch);
        batches.delete(message.batch);
        if (batch) await writer.settle(batch.writes);
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
  // One message at a time, in order: what follows a batch's end (or a stop) waits for its writes.
  let queue = Promise.resolve();
  port.on('message', (message: ToWriter) => {
    queue = queue.then(() => handle(message)).catch((err: unknown) => {
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
