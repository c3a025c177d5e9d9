import { open, type FileHandle } from "node:fs/promises";
import { crc32 } from "node:zlib";

/** One logged change to a collection, numbered by `seq` (1, 2, 3… per collection, never reused). */
export type WalEntry =
  | { seq: number; op: "upsert"; records: { id: string; documentId: string; vector: ArrayLike<number> }[] }
  | { seq: number; op: "deleteIds"; ids: string[] }
  | { seq: number; op: "deleteDocument"; documentId: string };

const OP_UPSERT = 1;
const OP_DELETE_IDS = 2;
const OP_DELETE_DOCUMENT = 3;
/** Frame header: payload length (u32) and the payload's CRC-32 (u32). */
const HEADER = 8;
/** Larger frames can only be garbage: the writer chunks batches far below this. */
const MAX_FRAME = 256 * 1024 * 1024;

/** Ids and document ids are length-prefixed with a u16, so longer strings cannot be logged. */
export const MAX_KEY_BYTES = 65_535;

function encode(entry: WalEntry, dimensions: number): Buffer {
  const strings: Buffer[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s, "utf8");
    if (b.length > MAX_KEY_BYTES) throw new Error(`Key too long for the vector log (${b.length} bytes)`);
    strings.push(b);
    return b;
  };
  let size = 1 + 8;
  if (entry.op === "upsert") {
    size += 8;
    for (const r of entry.records) size += 4 + str(r.id).length + str(r.documentId).length + 4 * dimensions;
  } else if (entry.op === "deleteIds") {
    size += 4;
    for (const id of entry.ids) size += 2 + str(id).length;
  } else size += 2 + str(entry.documentId).length;

  const frame = Buffer.allocUnsafe(HEADER + size);
  let at = HEADER;
  const putString = (b: Buffer) => {
    frame.writeUInt16LE(b.length, at);
    b.copy(frame, at + 2);
    at += 2 + b.length;
  };
  let s = 0;
  if (entry.op === "upsert") {
    frame.writeUInt8(OP_UPSERT, at);
    frame.writeDoubleLE(entry.seq, at + 1);
    frame.writeUInt32LE(entry.records.length, at + 9);
    frame.writeUInt32LE(dimensions, at + 13);
    at += 17;
    for (const r of entry.records) {
      putString(strings[s++]);
      putString(strings[s++]);
      for (let i = 0; i < dimensions; i++, at += 4) frame.writeFloatLE(r.vector[i], at);
    }
  } else if (entry.op === "deleteIds") {
    frame.writeUInt8(OP_DELETE_IDS, at);
    frame.writeDoubleLE(entry.seq, at + 1);
    frame.writeUInt32LE(entry.ids.length, at + 9);
    at += 13;
    for (let i = 0; i < entry.ids.length; i++) putString(strings[s++]);
  } else {
    frame.writeUInt8(OP_DELETE_DOCUMENT, at);
    frame.writeDoubleLE(entry.seq, at + 1);
    at += 9;
    putString(strings[s++]);
  }
  frame.writeUInt32LE(size, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER)), 4);
  return frame;
}

/** Decodes one payload whose CRC already matched; throws on a payload that does not parse. */
function decode(payload: Buffer): WalEntry {
  let at = 0;
  const getString = () => {
    const length = payload.readUInt16LE(at);
    const s = payload.toString("utf8", at + 2, at + 2 + length);
    at += 2 + length;
    return s;
  };
  const op = payload.readUInt8(0);
  const seq = payload.readDoubleLE(1);
  at = 9;
  if (op === OP_UPSERT) {
    const count = payload.readUInt32LE(at);
    const dimensions = payload.readUInt32LE(at + 4);
    at += 8;
    const records = [];
    for (let r = 0; r < count; r++) {
      const id = getString();
      const documentId = getString();
      const vector = new Array<number>(dimensions);
      for (let i = 0; i < dimensions; i++, at += 4) vector[i] = payload.readFloatLE(at);
      records.push({ id, documentId, vector });
    }
    return { seq, op: "upsert", records };
  }
  if (op === OP_DELETE_IDS) {
    const count = payload.readUInt32LE(at);
    at += 4;
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(getString());
    return { seq, op: "deleteIds", ids };
  }
  if (op === OP_DELETE_DOCUMENT) return { seq, op: "deleteDocument", documentId: getString() };
  throw new Error(`Unknown vector log operation ${op}`);
}

/**
 * An append-only write-ahead log of a collection's changes: length- and CRC-framed binary records in one file.
 *
 * @remarks Why this shape: a change is acknowledged only after its frame is on disk (`sync`, an fdatasync), and the
 * in-memory index can always be rebuilt as "last snapshot + the frames after it". A crash can leave at most a torn
 * last frame (short, or with a CRC that does not match); {@link WriteAheadLog.open} stops reading there and cuts
 * the file back, so later appends never follow garbage. Writes are positional at the known good length for the same
 * reason: a failed write (disk full) is overwritten by the next one instead of staying in the middle of the log.
 */
export class WriteAheadLog {
  private constructor(
    private readonly handle: FileHandle,
    private size: number,
    private readonly dimensions: number,
  ) {}

  /** Opens (creating) the log, returning it with every intact entry in order. */
  static async open(path: string, dimensions: number): Promise<{ log: WriteAheadLog; entries: WalEntry[] }> {
    const handle = await open(path, "a+");
    try {
      const data = await handle.readFile();
      const entries: WalEntry[] = [];
      let good = 0;
      while (good + HEADER <= data.length) {
        const length = data.readUInt32LE(good);
        if (length === 0 || length > MAX_FRAME || good + HEADER + length > data.length) break;
        const payload = data.subarray(good + HEADER, good + HEADER + length);
        if (crc32(payload) !== data.readUInt32LE(good + 4)) break;
        try {
          entries.push(decode(payload));
        } catch {
          break;
        }
        good += HEADER + length;
      }
      await handle.close();
      // Reopen for positional writes ("a" mode would ignore the position on Linux).
      const writer = await open(path, "r+");
      if (good < data.length) {
        await writer.truncate(good);
        await writer.datasync();
      }
      return { log: new WriteAheadLog(writer, good, dimensions), entries };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** Writes one entry after the last good one; not durable until {@link WriteAheadLog.sync}. */
  async append(entry: WalEntry): Promise<void> {
    const frame = encode(entry, this.dimensions);
    let written = 0;
    while (written < frame.length) {
      const { bytesWritten } = await this.handle.write(frame, written, frame.length - written, this.size + written);
      written += bytesWritten;
    }
    this.size += frame.length;
  }

  /** Makes every appended entry durable (fdatasync). */
  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  /** Empties the log once a snapshot holds everything in it. */
  async reset(): Promise<void> {
    await this.handle.truncate(0);
    await this.handle.datasync();
    this.size = 0;
  }

  get bytes(): number {
    return this.size;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
