/**
 * Incremental PDU framer for a TCP byte stream. P-DATA-TF PDUs are never assembled: each presentation data
 * value is handed on as views of the socket's chunks as the bytes arrive, so a data set streams through
 * without copies. Other PDUs are delivered whole (a view when the PDU sits in one chunk, a copy only when
 * it straddles chunks).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.1
 */
import { abortReason, pduHeaderLength, pduType, PduError } from './pdu.ts';

/** What a {@link PduReader} calls; a returned promise suspends reading until it settles. */
export interface PduReaderHandler {
  /** Called when a PDU header has been read, before its body; may throw a {@link PduError} to refuse it. */
  header(type: number, length: number): void;
  /** A complete PDU other than P-DATA-TF (body without the 6-byte header). */
  pdu(type: number, body: Buffer): void | Promise<void>;
  /**
   * A piece of a presentation data value of a P-DATA-TF PDU. `control` is the message control header
   * (bit 0: command, bit 1: last fragment); `complete` is true on the piece that ends the PDV.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_E.2
   */
  pdv(contextId: number, control: number, data: Buffer, complete: boolean): void | Promise<void>;
}

/** Size limits of a {@link PduReader}. */
export interface PduReaderLimits {
  /** Largest P-DATA-TF variable field accepted (the maximum length this side announced). */
  readonly maxPDataLength: number;
  /** Largest A-ASSOCIATE PDU variable field accepted. */
  readonly maxAssociateLength: number;
}

const stateHeader = 0;
const stateBody = 1;
const statePdvHeader = 2;
const statePdvData = 3;

const pdvHeaderLength = 6;
/** Release and abort PDUs have a 4-byte body; a little slack for lenient read. */
const maxShortPduLength = 64;

const emptyBuffer = Buffer.alloc(0);

/** Frames PDUs out of socket chunks and calls the handler for each. */
export class PduReader {
  readonly #handler: PduReaderHandler;
  readonly #limits: PduReaderLimits;
  readonly #queue: Buffer[] = [];
  #chunk: Buffer = emptyBuffer;
  #offset = 0;
  #state = stateHeader;
  readonly #header = Buffer.allocUnsafe(pduHeaderLength);
  #headerFill = 0;
  #pduType = 0;
  #pduRemaining = 0;
  #body: Buffer = emptyBuffer;
  #bodyFill = 0;
  #pdvRemaining = 0;
  #pdvContext = 0;
  #pdvControl = 0;
  #suspended = false;
  #failed = false;

  constructor(handler: PduReaderHandler, limits: PduReaderLimits) {
    this.#handler = handler;
    this.#limits = limits;
  }

  /** True while a handler promise is pending. */
  get suspended(): boolean {
    return this.#suspended;
  }

  /** True when bytes of an unfinished PDU have been read (a close now truncates it). */
  get midPdu(): boolean {
    return this.#state !== stateHeader || this.#headerFill > 0;
  }

  /**
   * Feeds a chunk. Returns a promise when a handler suspended reading; it settles once every queued byte has
   * been processed (rejecting with the first error). Synchronous errors are thrown. After an error the
   * reader ignores all input.
   */
  push(chunk: Buffer): Promise<void> | undefined {
    if (this.#failed) {
      return undefined;
    }
    this.#queue.push(chunk);
    if (this.#suspended) {
      return undefined;
    }
    return this.#run();
  }

  #run(): Promise<void> | undefined {
    try {
      for (;;) {
        if (this.#offset >= this.#chunk.length) {
          const next = this.#queue.shift();
          if (next === undefined) {
            this.#chunk = emptyBuffer;
            this.#offset = 0;
            return undefined;
          }
          this.#chunk = next;
          this.#offset = 0;
        }
        const pending = this.#step();
        if (pending !== undefined) {
          this.#suspended = true;
          return pending.then(
            () => {
              this.#suspended = false;
              return this.#run();
            },
            (error: unknown) => {
              this.#suspended = false;
              this.#failed = true;
              throw error;
            },
          );
        }
      }
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /** Consumes bytes of the current chunk for the current state; returns a handler's pending promise. */
  #step(): void | Promise<void> {
    switch (this.#state) {
      case stateHeader:
        return this.#readHeader();
      case stateBody:
        return this.#readBody();
      case statePdvHeader:
        return this.#readPdvHeader();
      default:
        return this.#readPdvData();
    }
  }

  #readHeader(): void | Promise<void> {
    const chunk = this.#chunk;
    let header: Buffer;
    let at: number;
    if (this.#headerFill === 0 && chunk.length - this.#offset >= pduHeaderLength) {
      header = chunk;
      at = this.#offset;
      this.#offset += pduHeaderLength;
    } else {
      const n = Math.min(pduHeaderLength - this.#headerFill, chunk.length - this.#offset);
      chunk.copy(this.#header, this.#headerFill, this.#offset, this.#offset + n);
      this.#headerFill += n;
      this.#offset += n;
      if (this.#headerFill < pduHeaderLength) {
        return undefined;
      }
      this.#headerFill = 0;
      header = this.#header;
      at = 0;
    }
    const type = header[at]!;
    const length = header.readUInt32BE(at + 2);
    this.#checkLength(type, length);
    this.#handler.header(type, length);
    this.#pduType = type;
    this.#pduRemaining = length;
    if (type === pduType.PDataTf) {
      this.#state = length === 0 ? stateHeader : statePdvHeader;
      return undefined;
    }
    if (length === 0) {
      return this.#handler.pdu(type, emptyBuffer);
    }
    this.#state = stateBody;
    this.#bodyFill = 0;
    return undefined;
  }

  #checkLength(type: number, length: number): void {
    let limit: number;
    switch (type) {
      case pduType.PDataTf:
        limit = this.#limits.maxPDataLength;
        break;
      case pduType.AssociateRq:
      case pduType.AssociateAc:
        limit = this.#limits.maxAssociateLength;
        break;
      case pduType.AssociateRj:
      case pduType.ReleaseRq:
      case pduType.ReleaseRp:
      case pduType.Abort:
        limit = maxShortPduLength;
        break;
      default:
        throw new PduError(`unrecognized PDU type 0x${type.toString(16)}`, abortReason.UnrecognizedPdu);
    }
    if (length > limit) {
      throw new PduError(
        `PDU type 0x${type.toString(16)} of ${length} bytes exceeds the limit of ${limit}`,
        abortReason.InvalidPduParameterValue,
      );
    }
  }

  #readBody(): void | Promise<void> {
    const chunk = this.#chunk;
    const available = chunk.length - this.#offset;
    const length = this.#pduRemaining;
    if (this.#bodyFill === 0 && available >= length) {
      const body = chunk.subarray(this.#offset, this.#offset + length);
      this.#offset += length;
      this.#state = stateHeader;
      return this.#handler.pdu(this.#pduType, body);
    }
    if (this.#bodyFill === 0) {
      this.#body = Buffer.allocUnsafe(length);
    }
    const n = Math.min(length - this.#bodyFill, available);
    chunk.copy(this.#body, this.#bodyFill, this.#offset, this.#offset + n);
    this.#bodyFill += n;
    this.#offset += n;
    if (this.#bodyFill < length) {
      return undefined;
    }
    const body = this.#body;
    this.#body = emptyBuffer;
    this.#bodyFill = 0;
    this.#state = stateHeader;
    return this.#handler.pdu(this.#pduType, body);
  }

  #readPdvHeader(): void | Promise<void> {
    if (this.#pduRemaining < pdvHeaderLength) {
      throw new PduError('P-DATA-TF ends inside a PDV item header', abortReason.InvalidPduParameterValue);
    }
    const chunk = this.#chunk;
    let header: Buffer;
    let at: number;
    if (this.#headerFill === 0 && chunk.length - this.#offset >= pdvHeaderLength) {
      header = chunk;
      at = this.#offset;
      this.#offset += pdvHeaderLength;
    } else {
      const n = Math.min(pdvHeaderLength - this.#headerFill, chunk.length - this.#offset);
      chunk.copy(this.#header, this.#headerFill, this.#offset, this.#offset + n);
      this.#headerFill += n;
      this.#offset += n;
      if (this.#headerFill < pdvHeaderLength) {
        return undefined;
      }
      this.#headerFill = 0;
      header = this.#header;
      at = 0;
    }
    const itemLength = header.readUInt32BE(at);
    if (itemLength < 2 || itemLength > this.#pduRemaining - 4) {
      throw new PduError(
        `PDV item length ${itemLength} does not fit its P-DATA-TF PDU`,
        abortReason.InvalidPduParameterValue,
      );
    }
    this.#pdvContext = header[at + 4]!;
    this.#pdvControl = header[at + 5]!;
    this.#pduRemaining -= pdvHeaderLength;
    this.#pdvRemaining = itemLength - 2;
    if (this.#pdvRemaining === 0) {
      this.#state = this.#pduRemaining === 0 ? stateHeader : statePdvHeader;
      return this.#handler.pdv(this.#pdvContext, this.#pdvControl, emptyBuffer, true);
    }
    this.#state = statePdvData;
    return undefined;
  }

  #readPdvData(): void | Promise<void> {
    const chunk = this.#chunk;
    const n = Math.min(chunk.length - this.#offset, this.#pdvRemaining);
    const data = chunk.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    this.#pdvRemaining -= n;
    this.#pduRemaining -= n;
    const complete = this.#pdvRemaining === 0;
    if (complete) {
      this.#state = this.#pduRemaining === 0 ? stateHeader : statePdvHeader;
    }
    return this.#handler.pdv(this.#pdvContext, this.#pdvControl, data, complete);
  }
}
