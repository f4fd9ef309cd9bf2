/**
 * Types of the storage SCP's public surface: the presentation context table, the handlers the server is
 * given, and its options.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#chapter_B
 */
import type { Logger } from '../../core/logger.ts';

/** Abstract syntax (SOP class UID) -> accepted transfer syntax UIDs in order of preference. */
export type PresentationContextTable = ReadonlyMap<string, readonly string[]>;

/**
 * What an A-ASSOCIATE-RQ says about its requestor.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.2
 */
export interface AssociationRequestInfo {
  callingAet: string;
  calledAet: string;
  peerAddress: string;
  peerPort: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

/** An accepted association. */
export interface AssociationContext extends AssociationRequestInfo {
  /** Unique per association (short random hex), the correlation id of its log lines. */
  id: string;
}

/**
 * The handler's answer to an association request; a rejection carries the A-ASSOCIATE-RJ result, source
 * and reason (typically 1/1/3, calling AE title not recognized).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.4
 */
export type AssociationDecision =
  { accept: true } | { accept: false; result: 1 | 2; source: 1 | 2 | 3; reason: number };

/**
 * One incoming C-STORE request.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_9.1.1.1
 */
export interface CStoreRequestInfo {
  association: AssociationContext;
  messageId: number;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
  /** The transfer syntax of the presentation context the data set arrives on. */
  transferSyntaxUid: string;
  priority: number;
  moveOriginatorAet?: string;
  moveOriginatorMessageId?: number;
}

/**
 * The result of a C-STORE as the handler decides it.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3
 */
export interface StoreOutcome {
  status: number;
  /** Sent as Error Comment (0000,0902) on a non-success status; trimmed to 64 characters. */
  errorComment?: string;
}

/**
 * Receives one C-STORE data set as it streams in (P-DATA fragments, in order, without copying when
 * possible). Chunks are views of socket buffers that are never reused, so a sink may keep them.
 */
export interface DatasetSink {
  /** A returned promise pauses reading from the peer until it settles (backpressure). */
  write(chunk: Buffer): void | Promise<void>;
  /** All bytes arrived; decides the status answered to the peer. */
  end(): Promise<StoreOutcome>;
  /** The transfer failed (sink error, peer abort, connection loss); discard what was written. */
  abort(reason: Error): Promise<void>;
}

/** What the storage SCP asks of its owner. */
export interface StoreScpHandlers {
  /** Decides on an association request that passed the protocol checks (calling AE policy lives here). */
  associationRequested(info: AssociationRequestInfo): AssociationDecision | Promise<AssociationDecision>;
  /**
   * Starts receiving one instance. A thrown `FoveaError` answers with its catalogue DIMSE status, anything
   * else with 0x0110; the association survives.
   */
  storeBegin(info: CStoreRequestInfo): DatasetSink | Promise<DatasetSink>;
  /** Called once for every accepted association when it ends. */
  associationEnded?(
    association: AssociationContext,
    how: 'released' | 'aborted' | 'closed' | 'error',
    error?: Error,
  ): void;
}

/** Options of `startDimseServer`. */
export interface DimseServerOptions {
  /** The address to bind (never implicit). */
  host: string;
  /** TCP port; 0 picks a free one (read it from `DimseServer.port`). */
  port: number;
  /** Our AE title; the called AE title of every request must equal it (compared trimmed). */
  aeTitle: string;
  contexts: PresentationContextTable;
  handlers: StoreScpHandlers;
  logger: Logger;
  /** Maximum P-DATA-TF length we accept and announce (default 262144; at least 4096). */
  maxPduLength?: number;
  /** Time without any byte from the peer before an A-ABORT (default 60000 ms). */
  idleTimeoutMs?: number;
  /** ARTIM: wait for the A-ASSOCIATE-RQ, and for the peer to close after release or abort (default 30000 ms). */
  artimTimeoutMs?: number;
  /** Concurrent associations; more are rejected 2/3/2, local limit exceeded (default 64). */
  maxAssociations?: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

/** A listening storage SCP. */
export interface DimseServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening, aborts open associations and resolves once every socket is closed. */
  close(): Promise<void>;
}
