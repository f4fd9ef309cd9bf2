/**
 * Incremental MLLP framer: `<VT> message <FS><CR>` blocks out of a byte stream, whatever the TCP segmentation
 * (several messages in one read, one message over many reads). Bytes outside a block are counted and
 * dropped; a block over the size limit is counted to its end and reported with its first bytes only.
 * @see https://www.hl7.org/documentcenter/public/wg/inm/mllp_transport_specification.PDF (MLLP; HL7 v2.5.1 Appendix C.4)
 */

/** Start block character `<VT>`. */
export const mllpStart = 0x0b;
/** End block character `<FS>`. */
export const mllpEnd = 0x1c;
/** Carriage return, which must follow `<FS>`. */
export const mllpCr = 0x0d;

/** What the framer found in the bytes pushed to it. */
export type MllpFrameEvent =
  | { readonly kind: 'message'; readonly bytes: Buffer }
  | { readonly kind: 'oversized'; readonly head: Buffer; readonly size: number }
  | {
      readonly kind: 'discarded';
      readonly size: number;
      readonly reason: 'outside-block' | 'restarted-block';
    };

/** How many bytes of an oversized block are kept (enough for its MSH, to address the rejection). */
const oversizedHeadBytes = 4096;

/**
 * Splits an MLLP byte stream into blocks. A `<VT>` inside a block restarts it (the partial block is
 * reported as discarded); `<FS>` not followed by `<CR>` still ends the block (lenient read).
 */
export class MllpFramer {
  readonly #maxMessageBytes: number;
  #inBlock = false;
  #sawEnd = false;
  #parts: Buffer[] = [];
  #size = 0;
  #outside = 0;

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Bytes of an unfinished block (0 when between blocks). */
  get pendingBytes(): number {
    return this.#inBlock ? this.#size : 0;
  }

  /** Feeds bytes; returns the events they complete, in order. */
  push(chunk: Buffer): MllpFrameEvent[] {
    const events: MllpFrameEvent[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#sawEnd) {
        this.#sawEnd = false;
        this.#finish(events);
        if (chunk[offset] === mllpCr) {
          offset += 1;
        }
        continue;
      }
      if (!this.#inBlock) {
        const start = chunk.indexOf(mllpStart, offset);
        const skipped = (start < 0 ? chunk.length : start) - offset;
        this.#outside += skipped;
        if (start < 0) {
          break;
        }
        this.#flushOutside(events);
        this.#inBlock = true;
        this.#parts = [];
        this.#size = 0;
        offset = start + 1;
        continue;
      }
      const end = chunk.indexOf(mllpEnd, offset);
      const restart = chunk.indexOf(mllpStart, offset);
      if (restart >= 0 && (end < 0 || restart < end)) {
        events.push({
          kind: 'discarded',
          size: this.#size + restart - offset,
          reason: 'restarted-block',
        });
        this.#parts = [];
        this.#size = 0;
        offset = restart + 1;
        continue;
      }
      const stop = end < 0 ? chunk.length : end;
      this.#append(chunk.subarray(offset, stop));
      if (end < 0) {
        break;
      }
      offset = end + 1;
      if (offset < chunk.length) {
        this.#finish(events);
        if (chunk[offset] === mllpCr) {
          offset += 1;
        }
      } else {
        this.#sawEnd = true;
      }
    }
    if (!this.#inBlock) {
      this.#flushOutside(events);
    }
    return events;
  }

  #append(bytes: Buffer): void {
    const size = this.#size + bytes.length;
    if (size <= this.#maxMessageBytes) {
      this.#parts.push(bytes);
    } else if (this.#size <= this.#maxMessageBytes) {
      // Crossing the limit: keep only the head (for the MSH) and count the rest.
      this.#parts = [Buffer.from(Buffer.concat([...this.#parts, bytes]).subarray(0, oversizedHeadBytes))];
    }
    this.#size = size;
  }

  #finish(events: MllpFrameEvent[]): void {
    this.#inBlock = false;
    if (this.#size > this.#maxMessageBytes) {
      events.push({ kind: 'oversized', head: Buffer.from(Buffer.concat(this.#parts)), size: this.#size });
    } else {
      events.push({
        kind: 'message',
        bytes: this.#parts.length === 1 ? Buffer.from(this.#parts[0]!) : Buffer.concat(this.#parts),
      });
    }
    this.#parts = [];
    this.#size = 0;
  }

  #flushOutside(events: MllpFrameEvent[]): void {
    if (this.#outside > 0) {
      events.push({ kind: 'discarded', size: this.#outside, reason: 'outside-block' });
      this.#outside = 0;
    }
  }
}

/** Wraps a message in an MLLP block. */
export function frameMllp(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([mllpStart]), message, Buffer.from([mllpEnd, mllpCr])]);
}
