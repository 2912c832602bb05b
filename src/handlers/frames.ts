/**
 * Length-prefixed frames on a byte stream: what the TCP transport reads and writes.
 *
 *   frame = length (u32, big-endian; counts what follows) · type (u8) · body
 *
 * A frame longer than the reader's maximum is refused before any buffer is allocated for it:
 * the reader either stops (before authentication) or skips its bytes as they come, holding
 * none of them.
 *
 * @internal
 */

/** Frame types. */
export const FrameType = {
  /** A protocol frame: link sequence number (u48) · the envelope as JSON. */
  Data: 1,
  /** Cumulative acknowledgement: the next link sequence number expected (u48). */
  Ack: 2,
  /** A heartbeat, asking for an `Ack` at once. */
  Ping: 3,
  /** Handshake: the listener's challenge (JSON). */
  Hello: 10,
  /** Handshake: the connecting role's claim and proof (JSON). */
  Auth: 11,
  /** Handshake: the listener's proof and where the link resumes (JSON). */
  Welcome: 12,
  /** Handshake: a refusal, and why (JSON); the connection then closes. */
  Refused: 13
} as const

/** Bytes of the length prefix and type. */
export const headerBytes = 5
/** Bytes of a link sequence number. */
export const seqBytes = 6

/** A frame of `type` with a JSON body. */
export const jsonFrame = (type: number, body: unknown): Buffer => {
  const text = JSON.stringify(body)
  const length = Buffer.byteLength(text)
  const buf = Buffer.allocUnsafe(headerBytes + length)
  buf.writeUInt32BE(1 + length, 0)
  buf[4] = type
  buf.write(text, headerBytes, "utf8")
  return buf
}

/** A frame of `type` whose body is one sequence number (an `Ack`), or nothing (a `Ping`). */
export const seqFrame = (type: number, seq?: number): Buffer => {
  const buf = Buffer.allocUnsafe(headerBytes + (seq === undefined ? 0 : seqBytes))
  buf.writeUInt32BE(1 + (seq === undefined ? 0 : seqBytes), 0)
  buf[4] = type
  if (seq !== undefined) buf.writeUIntBE(seq, headerBytes, seqBytes)
  return buf
}

/** A `Data` frame: link sequence number and the envelope's JSON text. */
export const dataFrame = (seq: number, text: string): Buffer => {
  const length = Buffer.byteLength(text)
  const buf = Buffer.allocUnsafe(headerBytes + seqBytes + length)
  buf.writeUInt32BE(1 + seqBytes + length, 0)
  buf[4] = FrameType.Data
  buf.writeUIntBE(seq, headerBytes, seqBytes)
  buf.write(text, headerBytes + seqBytes, "utf8")
  return buf
}

/** What the reader calls with each whole frame: its type and body (`buf[start, end)`). */
export type OnFrame = (type: number, buf: Buffer, start: number, end: number) => void

/**
 * Splits a byte stream into frames. `max` bounds the length a frame may declare (type and
 * body); `onOversize(length)` is told of one that declares more, or declares none, and says
 * whether to go on (its bytes are then skipped as they come) or to stop reading for good.
 */
export class FrameReader {
  /** Bytes of a frame begun but not whole yet, in `partial[0, filled)` (its length known). */
  private partial: Buffer | undefined = undefined
  private filled = 0
  /** Up to 3 bytes of a length prefix cut by a chunk's end. */
  private head: Buffer | undefined = undefined
  /** Bytes still to skip of an oversized frame. */
  private skip = 0
  private stopped = false
  /** What followed the frame during whose handling `stop()` was called, in that chunk. */
  rest: Buffer | undefined = undefined

  constructor(
    public max: number,
    private readonly onFrame: OnFrame,
    private readonly onOversize: (length: number) => boolean
  ) {}

  /** Stops reading: what comes after is ignored. */
  stop(): void {
    this.stopped = true
    this.partial = undefined
    this.head = undefined
  }

  push(chunk: Buffer): void {
    let off = 0
    const n = chunk.length
    while (off < n && !this.stopped) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - off)
        this.skip -= k
        off += k
        continue
      }
      if (this.partial !== undefined) {
        const k = Math.min(this.partial.length - this.filled, n - off)
        chunk.copy(this.partial, this.filled, off, off + k)
        this.filled += k
        off += k
        if (this.filled === this.partial.length) {
          const frame = this.partial
          this.partial = undefined
          this.onFrame(frame[0], frame, 1, frame.length)
          if (this.stopped && off < n) this.rest = chunk.subarray(off)
        }
        continue
      }
      // A length prefix, possibly cut by the previous chunk's end.
      let length: number
      if (this.head !== undefined || n - off < 4) {
        const have = this.head === undefined ? 0 : this.head.length
        const k = Math.min(4 - have, n - off)
        const head = Buffer.allocUnsafe(have + k)
        if (this.head !== undefined) this.head.copy(head, 0)
        chunk.copy(head, have, off, off + k)
        off += k
        if (head.length < 4) {
          this.head = head
          return
        }
        this.head = undefined
        length = head.readUInt32BE(0)
      } else {
        length = chunk.readUInt32BE(off)
        off += 4
      }
      if (length < 1 || length > this.max) {
        if (!this.onOversize(length)) return this.stop()
        this.skip = length
        continue
      }
      if (n - off >= length) {
        // The common case: the whole frame is in this chunk; no copy.
        const start = off
        off += length
        this.onFrame(chunk[start], chunk, start + 1, start + length)
        if (this.stopped && off < n) this.rest = chunk.subarray(off)
      } else {
        // Allocated only now that its length is known to be within bounds.
        this.partial = Buffer.allocUnsafe(length)
        this.filled = 0
      }
    }
  }
}
