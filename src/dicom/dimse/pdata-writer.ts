/**
 * Writes DIMSE messages as P-DATA-TF PDUs: one PDV per PDU, each no longer than the peer's maximum length,
 * written as header + views of the caller's buffers (corked into one `writev`, no copies).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.5
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_E.2
 */
import type { Socket } from 'node:net';
import { FoveaError } from '../../core/errors.ts';
import { pduType } from './pdu.ts';

/** Message control header bits of a PDV. */
export const pdvControl = { Command: 0x01, Last: 0x02 } as const;

/** PDU header (6) + PDV item length (4) + context id (1) + control header (1). */
const framingLength = 12;
/** Fragment size when the peer announced no limit (maximum length 0). */
const unlimitedFragment = 262_144;

/** Waits for `drain`, failing if the socket closes first. */
export function waitForDrain(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new FoveaError('FOVEA_DIMSE_PEER', { detail: 'the connection closed while sending' }));
    };
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/** Sends command and data set PDVs on one association. */
export class PDataWriter {
  readonly #socket: Socket;
  readonly #maxFragment: number;

  /** `peerMaxPduLength` is the maximum length the peer announced (0 = unlimited). */
  constructor(socket: Socket, peerMaxPduLength: number) {
    this.#socket = socket;
    const max = peerMaxPduLength === 0 ? unlimitedFragment + 6 : peerMaxPduLength;
    this.#maxFragment = Math.max(1, max - 6);
  }

  /** Largest fragment of message bytes in one PDV. */
  get maxFragment(): number {
    return this.#maxFragment;
  }

  #checkWritable(): void {
    if (this.#socket.destroyed || !this.#socket.writable) {
      throw new FoveaError('FOVEA_DIMSE_PEER', { detail: 'the connection is closed' });
    }
  }

  /** Writes one PDU holding one PDV made of `parts`; returns false when the socket buffer is full. */
  #writePdv(contextId: number, control: number, parts: readonly Buffer[], length: number): boolean {
    const header = Buffer.allocUnsafe(framingLength);
    header[0] = pduType.PDataTf;
    header[1] = 0;
    header.writeUInt32BE(length + 6, 2);
    header.writeUInt32BE(length + 2, 6);
    header[10] = contextId;
    header[11] = control;
    const socket = this.#socket;
    socket.cork();
    let flowing = socket.write(header);
    for (const part of parts) {
      flowing = socket.write(part);
    }
    socket.uncork();
    return flowing;
  }

  /**
   * Sends a whole message (command or data set) held in memory; returns false when the socket buffer is
   * full (the caller may wait for drain).
   */
  sendBuffer(contextId: number, command: boolean, data: Buffer): boolean {
    this.#checkWritable();
    const kind = command ? pdvControl.Command : 0;
    const socket = this.#socket;
    socket.cork();
    let flowing = true;
    try {
      if (data.length === 0) {
        flowing = this.#writePdv(contextId, kind | pdvControl.Last, [], 0);
      }
      for (let offset = 0; offset < data.length; offset += this.#maxFragment) {
        const end = Math.min(data.length, offset + this.#maxFragment);
        const control = end === data.length ? kind | pdvControl.Last : kind;
        flowing = this.#writePdv(contextId, control, [data.subarray(offset, end)], end - offset);
      }
    } finally {
      socket.uncork();
    }
    return flowing;
  }

  /** Resolves once the socket's buffer has drained (at once when it is not full). */
  async flushed(): Promise<void> {
    if (this.#socket.writableNeedDrain) {
      await waitForDrain(this.#socket);
    }
  }

  /**
   * Streams a data set from an async iterable, honouring the socket's backpressure. Yielded buffers are
   * kept (not copied) until sent, so the producer must not reuse them.
   */
  async sendStream(contextId: number, data: AsyncIterable<Buffer>): Promise<void> {
    let pending: Buffer[] = [];
    let pendingLength = 0;
    for await (const chunk of data) {
      let offset = 0;
      while (offset < chunk.length) {
        if (pendingLength === this.#maxFragment) {
          this.#checkWritable();
          const flowing = this.#writePdv(contextId, 0, pending, pendingLength);
          pending = [];
          pendingLength = 0;
          if (!flowing) {
            await waitForDrain(this.#socket);
          }
        }
        const n = Math.min(this.#maxFragment - pendingLength, chunk.length - offset);
        pending.push(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
        pendingLength += n;
        offset += n;
      }
    }
    this.#checkWritable();
    if (!this.#writePdv(contextId, pdvControl.Last, pending, pendingLength)) {
      await waitForDrain(this.#socket);
    }
  }
}
