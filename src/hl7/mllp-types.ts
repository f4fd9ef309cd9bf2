/**
 * Types of the MLLP server's public surface: the handler it is given, the handler's outcome, its options.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original mode)
 */
import type { FoveaError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Hl7Message } from './message.ts';

/** Where and when a message arrived; `connectionId` is the correlation id of its log lines. */
export interface Hl7ReceivedContext {
  readonly connectionId: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly receivedAt: Date;
}

/**
 * The handler's decision: AA (accepted, and committed wherever the owner keeps it), or AE/AR with the
 * catalogue error that explains why. A handler may also throw: a {@link FoveaError} is answered with its
 * catalogue acknowledgement code, anything else with AE and `FOVEA_INTERNAL`.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2)
 */
export type Hl7HandlerOutcome =
  { readonly ack: 'AA' } | { readonly ack: 'AE' | 'AR'; readonly error: FoveaError };

/** Receives each message that passed the server's checks (parsed, supported type and version). */
export type Hl7MessageHandler = (
  message: Hl7Message,
  context: Hl7ReceivedContext,
) => Hl7HandlerOutcome | Promise<Hl7HandlerOutcome>;

/** Options of {@link startMllpServer}. */
export interface MllpServerOptions {
  /** The address to bind; explicit, never all interfaces by default. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly handler: Hl7MessageHandler;
  readonly logger: Logger;
  /** Largest message accepted, in bytes (default 1 MiB); larger ones get AR `FOVEA_MLLP_MESSAGE_TOO_LARGE`. */
  readonly maxMessageBytes?: number;
  /** A connection silent this long (and with no message in progress) is closed (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** A handler slower than this is answered AE `FOVEA_MLLP_HANDLER_TIMEOUT` (default 30 s). */
  readonly handlerTimeoutMs?: number;
  /** Connections over this number are closed at once (default 32). */
  readonly maxConnections?: number;
  /** Accepted `MSH-9.1^MSH-9.2` types (default: {@link supportedMessageTypes}). */
  readonly messageTypes?: readonly string[];
  /** Accepted MSH-12 versions (default: {@link supportedVersions}). */
  readonly versions?: readonly string[];
  /** MSH-3/MSH-4 of ACKs when the received MSH-5/MSH-6 are empty (default `FOVEA`). */
  readonly application?: string;
  readonly facility?: string;
}

/** A running MLLP server. */
export interface MllpServer {
  readonly port: number;
  /** Stops listening, lets each connection finish the message in progress, then closes them. */
  close(): Promise<void>;
}

/** HL7 v2 versions accepted by default (MSH-12). */
export const supportedVersions: readonly string[] = [
  '2.3',
  '2.3.1',
  '2.4',
  '2.5',
  '2.5.1',
  '2.6',
  '2.7',
  '2.7.1',
  '2.8',
  '2.8.1',
  '2.8.2',
  '2.9',
];

/** Message types accepted by default: the ones `interpretHl7` reads. */
export const supportedMessageTypes: readonly string[] = [
  'ADT^A01',
  'ADT^A04',
  'ADT^A08',
  'ADT^A31',
  'ADT^A40',
  'ORM^O01',
  'OMI^O23',
  'ORU^R01',
];
