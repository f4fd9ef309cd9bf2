/**
 * The requestor side of one association: connect, A-ASSOCIATE-RQ, one DIMSE request at a time, A-RELEASE
 * or A-ABORT.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.2
 */
import { connect, type Socket } from 'node:net';
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { decodeCommandSet, encodeCommandSet, type DimseCommand } from './command-set.ts';
import { PDataWriter, pdvControl } from './pdata-writer.ts';
import {
  abortReason,
  abortSource,
  decodeAbort,
  decodeAssociateAccept,
  decodeAssociateReject,
  describeReject,
  encodeAbort,
  encodeAssociateRequest,
  encodeReleaseRequest,
  encodeReleaseResponse,
  pduType,
  PduError,
  type AssociateAccept,
  type PresentationContextProposal,
} from './pdu.ts';
import { PduReader } from './pdu-reader.ts';
import {
  defaultImplementationClassUid,
  defaultImplementationVersionName,
  dicomApplicationContextName,
} from './uids.ts';

/** How to reach and identify with a peer SCP. */
export interface ScuOptions {
  host: string;
  port: number;
  callingAet: string;
  calledAet: string;
  /** Limit for connecting, for the association answer, for each response and for the release (default 30000 ms). */
  timeoutMs?: number;
  /** Maximum P-DATA-TF length we accept and announce (default 262144). */
  maxPduLength?: number;
  logger?: Logger;
}

type Phase = 'connecting' | 'requesting' | 'established' | 'releasing' | 'closed';

interface Waiter {
  readonly what: string;
  readonly messageId: number | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: FoveaError) => void;
  timer: NodeJS.Timeout | undefined;
}

const defaultTimeoutMs = 30_000;
const defaultMaxPduLength = 262_144;

function peerError(detail: string, cause?: unknown): FoveaError {
  return new FoveaError('FOVEA_DIMSE_PEER', { detail, cause });
}

/** One association requested by Fovea. */
export class ScuAssociation {
  readonly #socket: Socket;
  readonly #reader: PduReader;
  readonly #timeoutMs: number;
  readonly #closed: Promise<void>;
  #logger: Logger;
  #phase: Phase = 'connecting';
  #waiter: Waiter | undefined;
  #writer: PDataWriter | undefined;
  #accept: AssociateAccept | undefined;
  #commandParts: Buffer[] = [];
  #commandLength = 0;

  private constructor(options: ScuOptions) {
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const maxPduLength = options.maxPduLength ?? defaultMaxPduLength;
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'dimse-scu',
      calledAet: options.calledAet,
      peer: `${options.host}:${options.port}`,
    });
    this.#reader = new PduReader(
      {
        header: (type) => {
          this.#checkHeader(type);
        },
        pdu: (type, body) => {
          this.#onPdu(type, body);
        },
        pdv: (contextId, control, data, complete) => {
          this.#onPdv(contextId, control, data, complete);
        },
      },
      { maxPDataLength: maxPduLength, maxAssociateLength: 1_048_576 },
    );
    this.#socket = connect({ host: options.host, port: options.port, noDelay: true });
    this.#socket.setNoDelay(true);
    this.#closed = new Promise((resolve) => {
      this.#socket.once('close', () => {
        resolve();
      });
    });
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        // The SCU's handlers are synchronous, so reading never suspends.
        this.#reader.push(chunk)?.catch((error: unknown) => {
          this.#protocolFailure(error);
        });
      } catch (error) {
        this.#protocolFailure(error);
      }
    });
    this.#socket.on('end', () => {
      this.#settle(undefined, peerError('the peer closed the connection'));
      this.#socket.end();
    });
    this.#socket.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      this.#settle(
        undefined,
        peerError(
          this.#phase === 'connecting' ? `cannot connect (${code})` : `connection error (${code})`,
          error,
        ),
      );
    });
    this.#socket.on('close', () => {
      this.#phase = 'closed';
      this.#settle(undefined, peerError('the connection closed'));
    });
  }

  /**
   * Connects and negotiates the proposed presentation contexts. Throws FOVEA_DIMSE_ASSOCIATION_REJECTED on
   * an A-ASSOCIATE-RJ (result, source and reason in the detail) and FOVEA_DIMSE_PEER on any other failure.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.1
   */
  static async open(
    options: ScuOptions,
    contexts: readonly PresentationContextProposal[],
  ): Promise<ScuAssociation> {
    const association = new ScuAssociation(options);
    await association.#associate(options, contexts);
    return association;
  }

  /** The peer's A-ASSOCIATE-AC. */
  get accept(): AssociateAccept {
    return this.#accept!;
  }

  get logger(): Logger {
    return this.#logger;
  }

  async #associate(options: ScuOptions, contexts: readonly PresentationContextProposal[]): Promise<void> {
    const connected = this.#expect<undefined>('connection', undefined);
    this.#socket.once('connect', () => {
      this.#settle(undefined);
    });
    await connected;
    this.#phase = 'requesting';
    const answer = this.#expect<AssociateAccept>('A-ASSOCIATE-AC', undefined);
    this.#socket.write(
      encodeAssociateRequest({
        protocolVersion: 1,
        calledAet: options.calledAet,
        callingAet: options.callingAet,
        applicationContextName: dicomApplicationContextName,
        presentationContexts: contexts,
        userInformation: {
          maxPduLength: options.maxPduLength ?? defaultMaxPduLength,
          implementationClassUid: defaultImplementationClassUid,
          implementationVersionName: defaultImplementationVersionName,
        },
      }),
    );
    const accept = await answer;
    this.#accept = accept;
    this.#writer = new PDataWriter(this.#socket, accept.userInformation.maxPduLength);
    this.#phase = 'established';
    this.#logger.info(
      {
        event: logEvents.DIMSE_SCU_ASSOCIATION_ACCEPTED,
        acceptedContexts: accept.presentationContexts.filter((c) => c.result === 0).length,
        proposedContexts: contexts.length,
        peerMaxPduLength: accept.userInformation.maxPduLength,
      },
      'association accepted by the peer',
    );
  }

  /** Registers the one pending wait; `arm` starts its timer (now by default). */
  #expect<T>(what: string, messageId: number | undefined, arm = true): Promise<T> {
    if (this.#waiter !== undefined) {
      throw new FoveaError('FOVEA_INTERNAL', { detail: `already waiting for ${this.#waiter.what}` });
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        what,
        messageId,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: undefined,
      };
      this.#waiter = waiter;
      if (arm) {
        this.#arm(waiter);
      }
    });
  }

  #arm(waiter: Waiter): void {
    waiter.timer = setTimeout(() => {
      if (this.#waiter !== waiter) {
        return;
      }
      const error = peerError(`timed out after ${this.#timeoutMs} ms waiting for ${waiter.what}`);
      this.#logger.warn(
        { event: logEvents.DIMSE_SCU_ASSOCIATION_ABORTED, why: 'timeout', what: waiter.what },
        'timed out',
      );
      this.#settle(undefined, error);
      this.abort();
    }, this.#timeoutMs);
  }

  /** Resolves (or rejects, given an error) the pending wait, if any. */
  #settle(value: unknown, error?: FoveaError): void {
    const waiter = this.#waiter;
    if (waiter === undefined) {
      return;
    }
    this.#waiter = undefined;
    clearTimeout(waiter.timer);
    if (error === undefined) {
      waiter.resolve(value);
    } else {
      waiter.reject(error);
    }
  }

  #checkHeader(type: number): void {
    const allowed: Record<Phase, readonly number[]> = {
      connecting: [],
      requesting: [pduType.AssociateAc, pduType.AssociateRj, pduType.Abort],
      established: [pduType.PDataTf, pduType.ReleaseRq, pduType.Abort],
      releasing: [pduType.PDataTf, pduType.ReleaseRq, pduType.ReleaseRp, pduType.Abort],
      closed: [],
    };
    if (!allowed[this.#phase].includes(type)) {
      throw new PduError(
        `unexpected PDU 0x${type.toString(16)} while ${this.#phase}`,
        abortReason.UnexpectedPdu,
      );
    }
  }

  #onPdu(type: number, body: Buffer): void {
    switch (type) {
      case pduType.AssociateAc:
        this.#settle(decodeAssociateAccept(body));
        return;
      case pduType.AssociateRj: {
        const reject = decodeAssociateReject(body);
        this.#logger.info(
          { event: logEvents.DIMSE_SCU_ASSOCIATION_REJECTED, ...reject },
          `association rejected: ${describeReject(reject)}`,
        );
        this.#phase = 'closed';
        this.#settle(
          undefined,
          new FoveaError('FOVEA_DIMSE_ASSOCIATION_REJECTED', {
            detail: describeReject(reject),
          }),
        );
        this.#socket.end();
        return;
      }
      case pduType.ReleaseRp:
        this.#phase = 'closed';
        this.#logger.info({ event: logEvents.DIMSE_SCU_ASSOCIATION_RELEASED }, 'association released');
        this.#settle(undefined);
        this.#socket.end();
        return;
      case pduType.ReleaseRq: {
        // The acceptor asked to release (or both sides did at once): answer and close.
        const collision = this.#phase === 'releasing';
        this.#socket.write(encodeReleaseResponse());
        this.#phase = 'closed';
        this.#logger.info(
          { event: logEvents.DIMSE_SCU_ASSOCIATION_RELEASED, by: 'peer' },
          'the peer released the association',
        );
        this.#settle(undefined, collision ? undefined : peerError('the peer released the association'));
        this.#socket.end();
        return;
      }
      case pduType.Abort: {
        const { source, reason } = decodeAbort(body);
        this.#phase = 'closed';
        this.#logger.warn(
          { event: logEvents.DIMSE_SCU_ASSOCIATION_ABORTED, by: 'peer', source, reason },
          'the peer aborted the association',
        );
        this.#settle(undefined, peerError(`A-ABORT received (source ${source}, reason ${reason})`));
        this.#socket.destroy();
        return;
      }
      default:
        throw new PduError(`unexpected PDU 0x${type.toString(16)}`, abortReason.UnexpectedPdu);
    }
  }

  #onPdv(_contextId: number, control: number, data: Buffer, complete: boolean): void {
    if ((control & pdvControl.Command) === 0) {
      // Data sets attached to responses (C-FIND and the like) are not requested by this SCU.
      return;
    }
    this.#commandParts.push(data);
    this.#commandLength += data.length;
    if (this.#commandLength > 65_536) {
      throw new PduError('response command set too long', abortReason.InvalidPduParameterValue);
    }
    if (!complete || (control & pdvControl.Last) === 0) {
      return;
    }
    const bytes = Buffer.concat(this.#commandParts, this.#commandLength);
    this.#commandParts = [];
    this.#commandLength = 0;
    const command = decodeCommandSet(bytes);
    const waiter = this.#waiter;
    if (waiter?.messageId !== undefined && command.messageIdBeingRespondedTo === waiter.messageId) {
      this.#settle(command);
      return;
    }
    this.#logger.warn(
      { event: logEvents.DIMSE_COMMAND_UNSUPPORTED, commandField: command.commandField },
      'unexpected DIMSE message from the peer; ignored',
    );
  }

  #protocolFailure(error: unknown): void {
    const detail = error instanceof FoveaError ? (error.detail ?? error.message) : String(error);
    this.#logger.warn(
      { event: logEvents.DIMSE_PROTOCOL_ERROR, detail },
      'the peer violated the protocol; aborting',
    );
    const reason = error instanceof PduError ? error.abortReason : abortReason.NotSpecified;
    this.#settle(undefined, new FoveaError('FOVEA_DIMSE_PROTOCOL', { detail, cause: error }));
    this.#sendAbort(abortSource.ServiceProvider, reason);
  }

  #sendAbort(source: number, reason: number): void {
    if (this.#phase !== 'closed' && this.#socket.writable) {
      this.#socket.write(encodeAbort({ source, reason }));
    }
    this.#phase = 'closed';
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  /**
   * Sends one request (command, then the data set if any) and resolves with the response command.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_9.3
   */
  async request(
    contextId: number,
    command: DimseCommand,
    dataSet?: Buffer | AsyncIterable<Buffer>,
  ): Promise<DimseCommand> {
    const writer = this.#writer;
    if (this.#phase !== 'established' || writer === undefined) {
      throw peerError('the association is not established');
    }
    const response = this.#expect<DimseCommand>(
      `the response to message ${command.messageId}`,
      command.messageId,
      false,
    );
    response.catch(() => undefined);
    const waiter = this.#waiter!;
    try {
      writer.sendBuffer(contextId, true, encodeCommandSet(command));
      if (Buffer.isBuffer(dataSet)) {
        writer.sendBuffer(contextId, false, dataSet);
      } else if (dataSet !== undefined) {
        await writer.sendStream(contextId, dataSet);
      }
      // The response timer starts once the message has left our buffers, however slow the link.
      await writer.flushed();
    } catch (error) {
      // A data set cannot be withdrawn half sent: only an abort ends the message.
      this.#settle(undefined, error instanceof FoveaError ? error : peerError('sending failed', error));
      this.abort();
      throw error instanceof FoveaError
        ? error
        : new FoveaError('FOVEA_INTERNAL', { detail: 'the data set source failed', cause: error });
    }
    if (this.#waiter === waiter) {
      this.#arm(waiter);
    }
    return response;
  }

  /**
   * Releases the association (A-RELEASE-RQ, wait for A-RELEASE-RP) and closes the connection.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.2
   */
  async release(): Promise<void> {
    if (this.#phase !== 'established') {
      this.#socket.destroy();
      return;
    }
    this.#phase = 'releasing';
    const released = this.#expect<undefined>('A-RELEASE-RP', undefined);
    this.#socket.write(encodeReleaseRequest());
    try {
      await released;
    } finally {
      const timer = setTimeout(() => this.#socket.destroy(), this.#timeoutMs);
      timer.unref();
      await this.#closed;
      clearTimeout(timer);
    }
  }

  /**
   * Aborts the association (A-ABORT, service user) and closes the connection at once.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.3
   */
  abort(): void {
    if (this.#phase === 'closed' || this.#phase === 'connecting') {
      this.#phase = 'closed';
      this.#settle(undefined, peerError('the association was aborted locally'));
      this.#socket.destroy();
      return;
    }
    if (this.#socket.writable) {
      this.#socket.write(encodeAbort({ source: abortSource.ServiceUser, reason: abortReason.NotSpecified }));
    }
    this.#phase = 'closed';
    this.#logger.info({ event: logEvents.DIMSE_SCU_ASSOCIATION_ABORTED, by: 'us' }, 'association aborted');
    this.#settle(undefined, peerError('the association was aborted locally'));
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }
}
