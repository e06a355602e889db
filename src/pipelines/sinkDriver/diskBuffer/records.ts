/**
 * The disk buffer's record framing: `[u32 LE CRC32][u32 LE payload length][payload]`, the CRC
 * covering the length bytes and the payload (one contiguous range), so a flipped bit anywhere in
 * a record (or a record cut short) is detected. Payloads are JSON objects; after a bad record the decoder resyncs on
 * the next position that holds a whole record with a valid checksum.
 */
import { crc32 } from 'node:zlib';

/** Bytes before the payload: length and checksum. */
export const HEADER_BYTES = 8;
/** The largest payload a record may carry (a chat event is a few KiB at most). */
export const MAX_PAYLOAD = 64 * 2 ** 20;
/** Every payload is a JSON object: its first byte, used to skip hopeless resync positions fast. */
const OPEN_BRACE = 0x7b;

/** Frames one payload as a record. */
export function encodeRecord(payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 4);
  payload.copy(record, HEADER_BYTES);
  record.writeUInt32LE(crc32(record.subarray(4)), 0);
  return record;
}

/**
 * Writes `json` as a record into `buf` at `at` (which must have room for `maxRecordBytes(json)`),
 * without an intermediate buffer; returns the record's length.
 */
export function writeRecord(buf: Buffer, at: number, json: string): number {
  const length = buf.write(json, at + HEADER_BYTES, 'utf8');
  buf.writeUInt32LE(length, at + 4);
  buf.writeUInt32LE(crc32(buf.subarray(at + 4, at + HEADER_BYTES + length)), at);
  return HEADER_BYTES + length;
}

/** The most bytes `json` can take as a record (3 UTF-8 bytes per UTF-16 unit at worst). */
export function maxRecordBytes(json: string): number {
  return HEADER_BYTES + json.length * 3;
}

/** What {@link decodeRecord} found at a position. */
export type Decoded =
  /** A whole record whose checksum matches: its payload is `buf[start, end)`, the next record at `end`. */
  | { readonly kind: 'record'; readonly start: number; readonly end: number }
  /** The data ends inside a record (more may follow, or the record was cut short). */
  | { readonly kind: 'partial' }
  /** A record that fails its checksum (or an impossible length). */
  | { readonly kind: 'corrupt' };

/** Whether `buf` holds a whole, intact record at `at` (a cheap first-byte check first). */
function intactAt(buf: Buffer, at: number, limit: number): number {
  if (at + HEADER_BYTES > limit) return -1;
  const length = buf.readUInt32LE(at + 4);
  const end = at + HEADER_BYTES + length;
  if (length === 0 || length > MAX_PAYLOAD || end > limit) return -1;
  if (buf[at + HEADER_BYTES] !== OPEN_BRACE) return -1;
  return crc32(buf.subarray(at + 4, end)) === buf.readUInt32LE(at) ? end : -1;
}

/** Decodes the record at `at` in `buf[0, limit)`. */
export function decodeRecord(buf: Buffer, at: number, limit: number): Decoded {
  if (at + HEADER_BYTES > limit) return { kind: 'partial' };
  const length = buf.readUInt32LE(at + 4);
  if (length === 0 || length > MAX_PAYLOAD) return { kind: 'corrupt' };
  if (at + HEADER_BYTES + length > limit) return { kind: 'partial' };
  const end = intactAt(buf, at, limit);
  return end < 0 ? { kind: 'corrupt' } : { kind: 'record', start: at + HEADER_BYTES, end };
}

/**
 * The next position after a bad record at `at` where an intact record starts, or `limit` when
 * none does: the rest of the data is the bad record's.
 */
export function resync(buf: Buffer, at: number, limit: number): number {
  for (let p = at + 1; p + HEADER_BYTES < limit; p++) {
    if (buf[p + HEADER_BYTES] === OPEN_BRACE && intactAt(buf, p, limit) >= 0) return p;
  }
  return limit;
}

/** One pass over a segment's data: each intact record, each bad stretch (skipped), in order. */
export interface RecordVisitor {
  record(start: number, end: number): void;
  corrupt(at: number, next: number): void;
}

/**
 * Walks `buf[from, limit)` record by record. A record cut short at the end is bad when
 * `complete` (nothing more will be written there), else left for later. Returns where the walk
 * stopped: `limit`, or the start of an incomplete last record.
 */
export function walkRecords(buf: Buffer, from: number, limit: number, complete: boolean, visit: RecordVisitor): number {
  let at = from;
  while (at < limit) {
    const decoded = decodeRecord(buf, at, limit);
    if (decoded.kind === 'record') {
      visit.record(decoded.start, decoded.end);
      at = decoded.end;
      continue;
    }
    if (decoded.kind === 'partial' && !complete) return at;
    const next = resync(buf, at, limit);
    visit.corrupt(at, next);
    at = next;
  }
  return at;
}
