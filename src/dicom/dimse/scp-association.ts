/**
 * One association accepted by the storage SCP: the acceptor side of the upper-layer state machine
 * (A-ASSOCIATE, P-DATA, A-RELEASE, A-ABORT, ARTIM) and the C-ECHO / C-STORE service.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import type { Logger } from '../../core/logger.ts';
import type { AcceptedContext } from './association-negotiation.ts';
import { checkAssociateRequest, negotiatePresentationContexts } from './association-negotiation.ts';
import type { DimseCommand } from './command-set.ts';
import {
  commandField,
  decodeCommandSet,
  encodeCommandSet,
  noDataSet,
  toErrorComment,
} from './command-set.ts';
import { PDataWriter, pdvControl } from './pdata-writer.ts';
import type { AssociateReject, AssociateRequest } from './pdu.ts';
import {
  abortReason,
  abortSource,
  decodeAbort,
  decodeAssociateRequest,
  describeReject,
  encodeAbort,
  encodeAssociateAccept,
  encodeAssociateReject,
  encodeReleaseResponse,
  pduType,
  PduError,
} from './pdu.ts';
import { PduReader } from './pdu-reader.ts';
import type {
  AssociationContext,
  AssociationDecision,
  AssociationRequestInfo,
  CStoreRequestInfo,
  DatasetSink,
  PresentationContextTable,
  StoreOutcome,
  StoreScpHandlers,
} from './scp-types.ts';
import { classifyStatus, dimseStatus } from './status.ts';
import { dicomApplicationContextName } from './uids.ts';

/** Resolved server options shared by every association. */
export interface ScpSettings {
  readonly aeTitle: string;
  readonly contexts: PresentationContextTable;
  readonly handlers: StoreScpHandlers;
  readonly logger: Logger;
  readonly maxPduLength: number;
  readonly maxAssociatePduLength: number;
  readonly idleTimeoutMs: number;
  readonly artimTimeoutMs: number;
  readonly maxAssociations: number;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
}

/** What an association needs from its server. */
export interface ScpHost {
  readonly settings: ScpSettings;
  /** Associations currently negotiating or established. */
  activeAssociations(): number;
  /** Called once when the association's socket has closed. */
  closed(association: ScpAssociation): void;
}

/** How an association ended, as reported to `associationEnded`. */
type EndHow = 'released' | 'aborted' | 'closed' | 'error';

type Phase = 'awaiting-request' | 'negotiating' | 'established' | 'closing' | 'closed';

/** A data set being received (or discarded) for one request. */
interface Transfer {
  readonly contextId: number;
  sink: DatasetSink | undefined;
  /** First failure; once set, the rest of the data set is discarded. */
  error: Error | undefined;
  /** `end` or `abort` has been called on the sink. */
  settled: boolean;
  /** The association ended while the transfer was open. */
  abandoned: boolean;
  bytes: number;
  readonly finish: (transfer: Transfer) => void | Promise<void>;
}

type Receive =
  | { readonly kind: 'idle' }
  | { readonly kind: 'command'; readonly contextId: number; readonly parts: Buffer[]; length: number }
  | { readonly kind: 'dataset'; readonly transfer: Transfer };

const idle: Receive = { kind: 'idle' };
/** Command sets are a few hundred bytes; a bound keeps a hostile peer from growing one without end. */
const maxCommandLength = 65_536;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The DIMSE status and Error Comment that answer a failed operation. */
function failureOutcome(error: Error): StoreOutcome {
  if (error instanceof FoveaError) {
    return { status: error.spec.dimse, errorComment: error.detail ?? error.spec.title };
  }
  return { status: dimseStatus.ProcessingFailure, errorComment: 'Processing failure' };
}

function hex4(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

/** The acceptor side of one DICOM association. */
export class ScpAssociation {
  readonly #socket: Socket;
  readonly #host: ScpHost;
  readonly #settings: ScpSettings;
  readonly #reader: PduReader;
  readonly #peerAddress: string;
  readonly #peerPort: number;
  #logger: Logger;
  #phase: Phase = 'awaiting-request';
  #timer: NodeJS.Timeout | undefined;
  #context: AssociationContext | undefined;
  #accepted: ReadonlyMap<number, AcceptedContext> = new Map();
  #writer: PDataWriter | undefined;
  #receive: Receive = idle;
  #peerEnded = false;
  #ended = false;

  constructor(socket: Socket, host: ScpHost) {
    this.#socket = socket;
    this.#host = host;
    this.#settings = host.settings;
    this.#peerAddress = socket.remoteAddress ?? '';
    this.#peerPort = socket.remotePort ?? 0;
    this.#logger = host.settings.logger.child({ peer: `${this.#peerAddress}:${this.#peerPort}` });
    socket.setNoDelay(true);
    this.#reader = new PduReader(
      {
        header: (type, length) => {
          this.#checkPduHeader(type, length);
        },
        // Once we have answered with our last PDU, the rest of the input is read past and ignored.
        pdu: (type, body) => (this.#listening ? this.#onPdu(type, body) : undefined),
        pdv: (contextId, control, data, complete) =>
          this.#listening ? this.#onPdv(contextId, control, data, complete) : undefined,
      },
      { maxPDataLength: host.settings.maxPduLength, maxAssociateLength: host.settings.maxAssociatePduLength },
    );
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('end', () => {
      this.#onEnd();
    });
    socket.on('error', (error) => {
      this.#onSocketError(error);
    });
    socket.on('close', () => {
      this.#onClose();
    });
    this.#startTimer(host.settings.artimTimeoutMs, () => {
      this.#logger.info(
        { event: logEvents.DIMSE_ASSOCIATION_TIMEOUT, timer: 'artim' },
        'no A-ASSOCIATE-RQ before the ARTIM timer expired; closing',
      );
      this.#socket.destroy();
    });
  }

  get #listening(): boolean {
    return this.#phase !== 'closing' && this.#phase !== 'closed';
  }

  /** Whether the association takes one of the server's association slots. */
  get occupiesSlot(): boolean {
    return this.#phase === 'negotiating' || this.#phase === 'established';
  }

  /** Aborts the association because the server is closing. */
  shutdown(): void {
    if (this.#phase === 'closed') {
      return;
    }
    if (this.#phase === 'closing') {
      this.#socket.destroy();
      return;
    }
    const error = new FoveaError('FOVEA_DIMSE_PEER', { detail: 'the server is shutting down' });
    this.#sendAbort(abortSource.ServiceUser, abortReason.NotSpecified, 'server shutting down', error, 1000);
  }

  // ---- socket events -------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (!this.#listening) {
      return;
    }
    if (this.#phase === 'established') {
      this.#timer?.refresh();
    }
    let pending: Promise<void> | undefined;
    try {
      pending = this.#reader.push(chunk);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (pending !== undefined) {
      this.#socket.pause();
      pending.then(
        () => {
          if (this.#phase === 'closing' || this.#phase === 'closed') {
            return;
          }
          if (this.#peerEnded) {
            this.#handlePeerEnd();
          } else {
            this.#socket.resume();
          }
        },
        (error: unknown) => {
          this.#fail(error);
        },
      );
    }
  }

  #onEnd(): void {
    this.#peerEnded = true;
    if (!this.#reader.suspended) {
      this.#handlePeerEnd();
    }
  }

  #handlePeerEnd(): void {
    switch (this.#phase) {
      case 'awaiting-request':
      case 'established':
      case 'negotiating':
        if (this.#reader.midPdu) {
          this.#fail(
            new PduError('the connection closed inside a PDU', abortReason.InvalidPduParameterValue),
          );
          return;
        }
        if (this.#phase === 'established') {
          this.#logger.warn(
            { event: logEvents.DIMSE_ASSOCIATION_CLOSED },
            'the peer closed the connection without releasing the association',
          );
          this.#finish(
            'closed',
            new FoveaError('FOVEA_DIMSE_PEER', { detail: 'connection closed without release' }),
          );
        } else {
          this.#logger.info(
            { event: logEvents.DIMSE_ASSOCIATION_CLOSED },
            'the peer closed the connection before associating',
          );
        }
        this.#phase = 'closing';
        this.#socket.end();
        return;
      case 'closing':
      case 'closed':
        this.#socket.end();
        return;
    }
  }

  #onSocketError(error: Error): void {
    const code = (error as NodeJS.ErrnoException).code;
    this.#logger.info({ event: logEvents.DIMSE_ASSOCIATION_CLOSED, code }, 'connection error');
    if (this.#phase !== 'closing') {
      this.#finish('error', error);
    }
  }

  #onClose(): void {
    this.#clearTimer();
    if (this.#phase === 'established' || this.#phase === 'negotiating') {
      this.#finish('closed', new FoveaError('FOVEA_DIMSE_PEER', { detail: 'connection closed' }));
    }
    this.#phase = 'closed';
    this.#host.closed(this);
  }

  // ---- timers --------------------------------------------------------------------------------------

  #startTimer(ms: number, onExpiry: () => void): void {
    this.#clearTimer();
    this.#timer = setTimeout(onExpiry, ms);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #onIdle(): void {
    if (this.#reader.suspended || this.#phase !== 'established') {
      // We are the slow side (a sink is busy); the peer is waiting on us.
      this.#timer?.refresh();
      return;
    }
    this.#logger.warn(
      { event: logEvents.DIMSE_ASSOCIATION_TIMEOUT, timer: 'idle', timeoutMs: this.#settings.idleTimeoutMs },
      'association idle for too long; aborting',
    );
    const error = new FoveaError('FOVEA_DIMSE_PEER', { detail: 'idle timeout' });
    this.#sendAbort(abortSource.ServiceProvider, abortReason.NotSpecified, 'idle timeout', error);
  }

  // ---- teardown ------------------------------------------------------------------------------------

  /** Reports the end of an accepted association once and abandons an open transfer. */
  #finish(how: EndHow, error?: Error): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    const receive = this.#receive;
    this.#receive = idle;
    if (receive.kind === 'dataset') {
      this.#abandon(
        receive.transfer,
        error ?? new FoveaError('FOVEA_DIMSE_PEER', { detail: `association ${how}` }),
      );
    }
    const context = this.#context;
    if (context === undefined) {
      return;
    }
    try {
      this.#settings.handlers.associationEnded?.(context, how, error);
    } catch (handlerError) {
      this.#logger.error(
        { event: logEvents.DIMSE_HANDLER_FAILED, handler: 'associationEnded', err: handlerError },
        'associationEnded handler threw',
      );
    }
  }

  #abandon(transfer: Transfer, error: Error): void {
    transfer.abandoned = true;
    const sink = transfer.sink;
    if (sink === undefined || transfer.settled) {
      return;
    }
    transfer.settled = true;
    this.#abortSink(sink, error);
  }

  #abortSink(sink: DatasetSink, error: Error): void {
    let result: Promise<void>;
    try {
      result = sink.abort(error);
    } catch (abortError) {
      result = Promise.reject(toError(abortError));
    }
    result.catch((abortError: unknown) => {
      this.#logger.error(
        { event: logEvents.DIMSE_HANDLER_FAILED, handler: 'sink.abort', err: abortError },
        'sink abort failed',
      );
    });
  }

  /** Half-closes after our last PDU and destroys the socket if the peer does not close within ARTIM. */
  #closeGracefully(timeoutMs = this.#settings.artimTimeoutMs): void {
    this.#phase = 'closing';
    this.#socket.end();
    this.#startTimer(timeoutMs, () => {
      this.#socket.destroy();
    });
  }

  #sendAbort(source: number, reason: number, why: string, error: Error, closeTimeoutMs?: number): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') {
      return;
    }
    if (this.#socket.writable) {
      this.#socket.write(encodeAbort({ source, reason }));
    }
    this.#logger.info(
      { event: logEvents.DIMSE_ASSOCIATION_ABORTED, by: 'us', source, reason, why },
      'A-ABORT sent',
    );
    this.#finish('aborted', error);
    this.#closeGracefully(closeTimeoutMs);
  }

  /** Turns any error raised while handling input into an A-ABORT; never throws. */
  #fail(error: unknown): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') {
      return;
    }
    if (error instanceof PduError || (error instanceof FoveaError && error.code === 'FOVEA_DIMSE_PROTOCOL')) {
      const reason = error instanceof PduError ? error.abortReason : abortReason.NotSpecified;
      this.#logger.warn(
        {
          event: logEvents.DIMSE_PROTOCOL_ERROR,
          detail: error.detail,
          abortReason: reason,
          phase: this.#phase,
        },
        'protocol violation; aborting the association',
      );
      this.#sendAbort(abortSource.ServiceProvider, reason, 'protocol violation', error);
      return;
    }
    this.#logger.error(
      { event: logEvents.INTERNAL_ERROR, err: error, phase: this.#phase },
      'internal error while serving an association; aborting it',
    );
    this.#sendAbort(abortSource.ServiceProvider, abortReason.NotSpecified, 'internal error', toError(error));
  }

  // ---- PDUs ----------------------------------------------------------------------------------------

  #checkPduHeader(type: number, _length: number): void {
    if (type === pduType.Abort) {
      return;
    }
    const name = `0x${type.toString(16).padStart(2, '0')}`;
    if (this.#phase === 'awaiting-request' && type !== pduType.AssociateRq) {
      throw new PduError(`PDU ${name} before A-ASSOCIATE-RQ`, abortReason.UnexpectedPdu);
    }
    if (this.#phase === 'established') {
      if (type === pduType.ReleaseRq && this.#receive.kind !== 'idle') {
        throw new PduError('A-RELEASE-RQ in the middle of a DIMSE message', abortReason.UnexpectedPdu);
      }
      if (type !== pduType.PDataTf && type !== pduType.ReleaseRq) {
        throw new PduError(`PDU ${name} on an established association`, abortReason.UnexpectedPdu);
      }
    }
  }

  #onPdu(type: number, body: Buffer): void | Promise<void> {
    switch (type) {
      case pduType.AssociateRq:
        return this.#onAssociateRequest(body);
      case pduType.ReleaseRq:
        this.#onReleaseRequest();
        return undefined;
      case pduType.Abort:
        this.#onAbort(body);
        return undefined;
      default:
        throw new PduError(`unexpected PDU 0x${type.toString(16)}`, abortReason.UnexpectedPdu);
    }
  }

  #onAssociateRequest(body: Buffer): void | Promise<void> {
    this.#clearTimer();
    const request = decodeAssociateRequest(body);
    const info: AssociationRequestInfo = {
      callingAet: request.callingAet,
      calledAet: request.calledAet,
      peerAddress: this.#peerAddress,
      peerPort: this.#peerPort,
    };
    if (request.userInformation.implementationClassUid !== undefined) {
      info.implementationClassUid = request.userInformation.implementationClassUid;
    }
    if (request.userInformation.implementationVersionName !== undefined) {
      info.implementationVersionName = request.userInformation.implementationVersionName;
    }
    this.#logger = this.#logger.child({ callingAet: info.callingAet, calledAet: info.calledAet });
    const rejection = checkAssociateRequest(request, this.#settings.aeTitle);
    if (rejection !== undefined) {
      this.#reject(rejection, 'protocol check');
      return undefined;
    }
    if (this.#host.activeAssociations() >= this.#settings.maxAssociations) {
      this.#reject({ result: 2, source: 3, reason: 2 }, 'association limit reached');
      return undefined;
    }
    this.#phase = 'negotiating';
    // The owner's policy gets the ARTIM time to decide; a requestor must not wait forever.
    this.#startTimer(this.#settings.artimTimeoutMs, () => {
      this.#handlerRejected(new Error('associationRequested did not answer in time'));
    });
    let decision: AssociationDecision | Promise<AssociationDecision>;
    try {
      decision = this.#settings.handlers.associationRequested(info);
    } catch (error) {
      this.#handlerRejected(error);
      return undefined;
    }
    if (isPromiseLike(decision)) {
      return decision.then(
        (resolved) => {
          this.#decide(request, info, resolved);
        },
        (error: unknown) => {
          this.#handlerRejected(error);
        },
      );
    }
    this.#decide(request, info, decision);
    return undefined;
  }

  #handlerRejected(error: unknown): void {
    if (this.#phase !== 'negotiating') {
      return;
    }
    this.#logger.error(
      { event: logEvents.DIMSE_HANDLER_FAILED, handler: 'associationRequested', err: error },
      'associationRequested handler failed; rejecting (transient)',
    );
    this.#reject({ result: 2, source: 1, reason: 1 }, 'handler failed');
  }

  #reject(reject: AssociateReject, why: string): void {
    this.#socket.write(encodeAssociateReject(reject));
    this.#logger.info(
      { event: logEvents.DIMSE_ASSOCIATION_REJECTED, ...reject, why },
      `association rejected: ${describeReject(reject)}`,
    );
    this.#closeGracefully();
  }

  #decide(request: AssociateRequest, info: AssociationRequestInfo, decision: AssociationDecision): void {
    if (this.#phase !== 'negotiating') {
      return;
    }
    if (!decision.accept) {
      this.#reject({ result: decision.result, source: decision.source, reason: decision.reason }, 'handler');
      return;
    }
    const settings = this.#settings;
    const negotiation = negotiatePresentationContexts(request.presentationContexts, settings.contexts);
    this.#accepted = negotiation.accepted;
    this.#writer = new PDataWriter(this.#socket, request.userInformation.maxPduLength);
    this.#socket.write(
      encodeAssociateAccept({
        protocolVersion: 1,
        calledAet: request.calledAet,
        callingAet: request.callingAet,
        calledAetRaw: request.calledAetRaw,
        callingAetRaw: request.callingAetRaw,
        applicationContextName: dicomApplicationContextName,
        presentationContexts: negotiation.answers,
        userInformation: {
          maxPduLength: settings.maxPduLength,
          implementationClassUid: settings.implementationClassUid,
          implementationVersionName: settings.implementationVersionName,
        },
      }),
    );
    const id = randomBytes(6).toString('hex');
    this.#context = { ...info, id };
    this.#logger = this.#logger.child({ association: id });
    this.#phase = 'established';
    this.#startTimer(settings.idleTimeoutMs, () => {
      this.#onIdle();
    });
    this.#logger.info(
      {
        event: logEvents.DIMSE_ASSOCIATION_ACCEPTED,
        proposedContexts: negotiation.answers.length,
        acceptedContexts: negotiation.accepted.size,
        peerMaxPduLength: request.userInformation.maxPduLength,
        implementationClassUid: info.implementationClassUid,
        implementationVersionName: info.implementationVersionName,
      },
      'association accepted',
    );
  }

  #onReleaseRequest(): void {
    this.#socket.write(encodeReleaseResponse());
    this.#logger.info({ event: logEvents.DIMSE_ASSOCIATION_RELEASED }, 'association released');
    this.#finish('released');
    this.#closeGracefully();
  }

  #onAbort(body: Buffer): void {
    const { source, reason } = body.length >= 4 ? decodeAbort(body) : { source: -1, reason: -1 };
    this.#logger.info(
      { event: logEvents.DIMSE_ASSOCIATION_ABORTED, by: 'peer', source, reason },
      'the peer aborted the association',
    );
    const error = new FoveaError('FOVEA_DIMSE_PEER', {
      detail: `A-ABORT received (source ${source}, reason ${reason})`,
    });
    this.#finish('aborted', error);
    this.#phase = 'closing';
    this.#socket.destroy();
  }

  // ---- P-DATA and DIMSE ----------------------------------------------------------------------------

  #onPdv(contextId: number, control: number, data: Buffer, complete: boolean): void | Promise<void> {
    const context = this.#accepted.get(contextId);
    if (context === undefined) {
      throw new PduError(
        `PDV on presentation context ${contextId}, which was not accepted`,
        abortReason.InvalidPduParameterValue,
      );
    }
    const receive = this.#receive;
    if ((control & pdvControl.Command) !== 0) {
      let command: Extract<Receive, { kind: 'command' }>;
      if (receive.kind === 'command') {
        if (receive.contextId !== contextId) {
          throw new PduError(
            'command fragments on two presentation contexts',
            abortReason.UnexpectedPduParameter,
          );
        }
        command = receive;
      } else if (receive.kind === 'idle') {
        command = { kind: 'command', contextId, parts: [], length: 0 };
        this.#receive = command;
      } else {
        throw new PduError(
          'command fragment while a data set is expected',
          abortReason.UnexpectedPduParameter,
        );
      }
      command.parts.push(data);
      command.length += data.length;
      if (command.length > maxCommandLength) {
        throw new PduError('command set too long', abortReason.InvalidPduParameterValue);
      }
      if (!complete || (control & pdvControl.Last) === 0) {
        return undefined;
      }
      this.#receive = idle;
      const bytes =
        command.parts.length === 1 ? command.parts[0]! : Buffer.concat(command.parts, command.length);
      return this.#dispatch(context, decodeCommandSet(bytes));
    }
    if (receive.kind !== 'dataset') {
      throw new PduError('data set fragment without a command', abortReason.UnexpectedPduParameter);
    }
    const transfer = receive.transfer;
    if (transfer.contextId !== contextId) {
      throw new PduError(
        'data set on another presentation context than its command',
        abortReason.UnexpectedPduParameter,
      );
    }
    const last = complete && (control & pdvControl.Last) !== 0;
    const written = this.#deliver(transfer, data);
    if (!last) {
      return written;
    }
    this.#receive = idle;
    if (written !== undefined) {
      return written.then(() => transfer.finish(transfer));
    }
    return transfer.finish(transfer);
  }

  #deliver(transfer: Transfer, data: Buffer): Promise<void> | undefined {
    transfer.bytes += data.length;
    const sink = transfer.sink;
    if (sink === undefined || transfer.error !== undefined || data.length === 0) {
      return undefined;
    }
    let result: void | Promise<void>;
    try {
      result = sink.write(data);
    } catch (error) {
      transfer.error = toError(error);
      return undefined;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        () => undefined,
        (error: unknown) => {
          transfer.error = toError(error);
        },
      );
    }
    return undefined;
  }

  #sendCommand(contextId: number, command: DimseCommand): void {
    if (this.#phase !== 'established' || this.#writer === undefined) {
      return;
    }
    this.#writer.sendBuffer(contextId, true, encodeCommandSet(command));
  }

  #dispatch(context: AcceptedContext, command: DimseCommand): void | Promise<void> {
    const hasDataSet = command.commandDataSetType !== noDataSet;
    switch (command.commandField) {
      case commandField.CEchoRq:
        this.#onEcho(context, command, hasDataSet);
        return undefined;
      case commandField.CStoreRq:
        return this.#onStore(context, command, hasDataSet);
      case commandField.CCancelRq:
        if (hasDataSet) {
          this.#discard(context.id, () => undefined);
        }
        return undefined;
      default:
        this.#onUnsupported(context, command, hasDataSet);
        return undefined;
    }
  }

  /** Receives and drops a data set, then runs `then`. */
  #discard(contextId: number, then: () => void): void {
    this.#receive = {
      kind: 'dataset',
      transfer: {
        contextId,
        sink: undefined,
        error: undefined,
        settled: true,
        abandoned: false,
        bytes: 0,
        finish: then,
      },
    };
  }

  #onEcho(context: AcceptedContext, command: DimseCommand, hasDataSet: boolean): void {
    const respond = (): void => {
      this.#sendCommand(context.id, {
        commandField: commandField.CEchoRsp,
        messageIdBeingRespondedTo: command.messageId ?? 0,
        affectedSopClassUid: command.affectedSopClassUid ?? context.abstractSyntax,
        commandDataSetType: noDataSet,
        status: dimseStatus.Success,
      });
      this.#logger.debug({ event: logEvents.DIMSE_ECHO, messageId: command.messageId }, 'C-ECHO answered');
    };
    if (hasDataSet) {
      this.#discard(context.id, respond);
      return;
    }
    respond();
  }

  #onUnsupported(context: AcceptedContext, command: DimseCommand, hasDataSet: boolean): void {
    if ((command.commandField & 0x8000) !== 0) {
      this.#logger.warn(
        { event: logEvents.DIMSE_COMMAND_UNSUPPORTED, commandField: hex4(command.commandField) },
        'unexpected DIMSE response from the requestor; ignored',
      );
      if (hasDataSet) {
        this.#discard(context.id, () => undefined);
      }
      return;
    }
    const respond = (): void => {
      this.#sendCommand(context.id, {
        commandField: command.commandField | 0x8000,
        messageIdBeingRespondedTo: command.messageId ?? 0,
        affectedSopClassUid:
          command.affectedSopClassUid ?? command.requestedSopClassUid ?? context.abstractSyntax,
        commandDataSetType: noDataSet,
        status: dimseStatus.UnrecognizedOperation,
      });
      this.#logger.warn(
        { event: logEvents.DIMSE_COMMAND_UNSUPPORTED, commandField: hex4(command.commandField) },
        'unsupported DIMSE command answered 0x0211',
      );
    };
    if (hasDataSet) {
      this.#discard(context.id, respond);
      return;
    }
    respond();
  }

  #onStore(context: AcceptedContext, command: DimseCommand, hasDataSet: boolean): void | Promise<void> {
    const association = this.#context!;
    const messageId = command.messageId ?? 0;
    const sopClassUid = command.affectedSopClassUid ?? '';
    const sopInstanceUid = command.affectedSopInstanceUid ?? '';
    if (!hasDataSet) {
      this.#answerStore(context.id, messageId, sopClassUid, sopInstanceUid, 0, {
        status: dimseStatus.CannotUnderstand,
        errorComment: 'C-STORE-RQ without a data set',
      });
      return undefined;
    }
    const transfer: Transfer = {
      contextId: context.id,
      sink: undefined,
      error: undefined,
      settled: false,
      abandoned: false,
      bytes: 0,
      finish: (done) => this.#finishStore(done, messageId, sopClassUid, sopInstanceUid),
    };
    this.#receive = { kind: 'dataset', transfer };
    if (command.messageId === undefined || sopClassUid === '' || sopInstanceUid === '') {
      transfer.error = new FoveaError('FOVEA_DIMSE_PROTOCOL', {
        detail: 'C-STORE-RQ lacks Message ID or Affected SOP Class/Instance UID',
      });
      return undefined;
    }
    if (sopClassUid !== context.abstractSyntax) {
      transfer.error = new FoveaError('FOVEA_DICOM_SOP_CLASS_UNSUPPORTED', {
        detail: 'SOP class differs from the presentation context',
      });
      return undefined;
    }
    const info: CStoreRequestInfo = {
      association,
      messageId,
      affectedSopClassUid: sopClassUid,
      affectedSopInstanceUid: sopInstanceUid,
      transferSyntaxUid: context.transferSyntax,
      priority: command.priority ?? 0,
    };
    if (command.moveOriginatorAet !== undefined) {
      info.moveOriginatorAet = command.moveOriginatorAet;
    }
    if (command.moveOriginatorMessageId !== undefined) {
      info.moveOriginatorMessageId = command.moveOriginatorMessageId;
    }
    let begun: DatasetSink | Promise<DatasetSink>;
    try {
      begun = this.#settings.handlers.storeBegin(info);
    } catch (error) {
      transfer.error = toError(error);
      return undefined;
    }
    if (!isPromiseLike(begun)) {
      transfer.sink = begun;
      return undefined;
    }
    return Promise.resolve(begun).then(
      (sink) => {
        if (transfer.abandoned) {
          transfer.settled = true;
          this.#abortSink(sink, new FoveaError('FOVEA_DIMSE_PEER', { detail: 'association ended' }));
          return;
        }
        transfer.sink = sink;
      },
      (error: unknown) => {
        transfer.error = toError(error);
      },
    );
  }

  async #finishStore(
    transfer: Transfer,
    messageId: number,
    sopClassUid: string,
    sopInstanceUid: string,
  ): Promise<void> {
    const sink = transfer.sink;
    let outcome: StoreOutcome | undefined;
    if (transfer.error === undefined && sink !== undefined) {
      transfer.settled = true;
      try {
        outcome = await sink.end();
      } catch (error) {
        transfer.error = toError(error);
      }
    }
    if (transfer.error !== undefined) {
      outcome = failureOutcome(transfer.error);
      if (sink !== undefined) {
        transfer.settled = true;
        try {
          await sink.abort(transfer.error);
        } catch (abortError) {
          this.#logger.error(
            { event: logEvents.DIMSE_HANDLER_FAILED, handler: 'sink.abort', err: abortError },
            'sink abort failed',
          );
        }
      }
    }
    this.#answerStore(
      transfer.contextId,
      messageId,
      sopClassUid,
      sopInstanceUid,
      transfer.bytes,
      outcome ?? { status: dimseStatus.ProcessingFailure, errorComment: 'No sink' },
      transfer.error,
    );
  }

  #answerStore(
    contextId: number,
    messageId: number,
    sopClassUid: string,
    sopInstanceUid: string,
    bytes: number,
    outcome: StoreOutcome,
    error?: Error,
  ): void {
    const success = outcome.status === dimseStatus.Success;
    const response: DimseCommand = {
      commandField: commandField.CStoreRsp,
      messageIdBeingRespondedTo: messageId,
      affectedSopClassUid: sopClassUid,
      affectedSopInstanceUid: sopInstanceUid,
      commandDataSetType: noDataSet,
      status: outcome.status,
      errorComment:
        !success && outcome.errorComment !== undefined && outcome.errorComment !== ''
          ? toErrorComment(outcome.errorComment)
          : undefined,
    };
    this.#sendCommand(contextId, response);
    const fields = { messageId, sopClassUid, sopInstanceUid, bytes, status: hex4(outcome.status) };
    if (classifyStatus(outcome.status) === 'failure') {
      this.#logger.warn(
        {
          event: logEvents.DIMSE_STORE_FAILED,
          ...fields,
          code: error instanceof FoveaError ? error.code : undefined,
          err: error instanceof FoveaError || error === undefined ? undefined : error,
        },
        'C-STORE failed',
      );
    } else {
      this.#logger.debug({ event: logEvents.DIMSE_STORE_ACCEPTED, ...fields }, 'C-STORE done');
    }
  }
}
