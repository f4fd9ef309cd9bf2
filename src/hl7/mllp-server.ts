/**
 * The MLLP server: listens on an explicit host, frames messages, parses and checks each one, hands it to
 * the owner's handler and answers exactly one original-mode ACK per message, in order, on the same
 * connection. Nothing a peer sends can crash it: every failure becomes an AR or AE with an ERR segment.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original mode)
 * @see https://www.hl7.org/documentcenter/public/wg/inm/mllp_transport_specification.PDF (MLLP; HL7 v2.5.1 Appendix C.4)
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { FoveaError, toFoveaError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { logEvents } from '../core/log-events.ts';
import { buildAck, encodeAck, peekMsh, type Hl7AckCodeOriginal } from './ack.ts';
import type { Hl7Delimiters } from './escape.ts';
import type { Hl7Message, Hl7Segment } from './message.ts';
import { MllpFramer, frameMllp, type MllpFrameEvent } from './mllp-framer.ts';
import {
  supportedMessageTypes,
  supportedVersions,
  type Hl7HandlerOutcome,
  type Hl7MessageHandler,
  type MllpServer,
  type MllpServerOptions,
} from './mllp-types.ts';
import { parseHl7 } from './parse.ts';

interface Settings {
  readonly handler: Hl7MessageHandler;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly maxConnections: number;
  readonly messageTypes: ReadonlySet<string>;
  readonly messageCodes: ReadonlySet<string>;
  readonly versions: ReadonlySet<string>;
  readonly application: string;
  readonly facility: string;
}

/** Above this many queued messages a connection stops reading until the handler catches up. */
const pauseAbove = 64;
const resumeBelow = 16;
/** How long `close()` waits for a connection's message in progress before cutting it. */
const closeGraceMs = 2000;

function invalid(detail: string, path: string): FoveaError {
  return new FoveaError('FOVEA_CONFIG_INVALID', { detail, path });
}

function resolveSettings(options: MllpServerOptions): Settings {
  const positive = (value: number | undefined, fallback: number, path: string): number => {
    const resolved = value ?? fallback;
    if (!Number.isFinite(resolved) || resolved <= 0) {
      throw invalid(`${path} must be positive`, path);
    }
    return resolved;
  };
  const messageTypes = new Set(options.messageTypes ?? supportedMessageTypes);
  return {
    handler: options.handler,
    logger: options.logger.child({ component: 'mllp-server' }),
    maxMessageBytes: positive(options.maxMessageBytes, 1_048_576, 'maxMessageBytes'),
    idleTimeoutMs: positive(options.idleTimeoutMs, 60_000, 'idleTimeoutMs'),
    handlerTimeoutMs: positive(options.handlerTimeoutMs, 30_000, 'handlerTimeoutMs'),
    maxConnections: positive(options.maxConnections, 32, 'maxConnections'),
    messageTypes,
    messageCodes: new Set([...messageTypes].map((type) => type.split('^')[0]!)),
    versions: new Set(options.versions ?? supportedVersions),
    application: options.application ?? 'FOVEA',
    facility: options.facility ?? 'FOVEA',
  };
}

/** Short, log-safe rendering of a header value (never a PHI field). */
function safe(value: string, length = 32): string {
  return value.replace(/[^\x20-\x7e]/gu, '?').slice(0, length);
}

/** Header checks before the handler sees a message: type (MSH-9), version (MSH-12), control ID (MSH-10). */
function checkHeader(message: Hl7Message, settings: Settings): FoveaError | undefined {
  const code = message.messageCode;
  if (!settings.messageCodes.has(code)) {
    return new FoveaError('FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED', {
      detail: `message type ${JSON.stringify(safe(code, 8))} is not accepted`,
      path: 'MSH-9',
    });
  }
  if (!settings.messageTypes.has(message.messageType)) {
    return new FoveaError('FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED', {
      detail: `trigger event ${JSON.stringify(safe(message.messageType, 12))} is not accepted`,
      path: 'MSH-9.2',
    });
  }
  if (!settings.versions.has(message.version)) {
    return new FoveaError('FOVEA_MLLP_VERSION_UNSUPPORTED', {
      detail: `version ${JSON.stringify(safe(message.version, 12))} is not one of ${[...settings.versions].join(', ')}`,
      path: 'MSH-12',
    });
  }
  if (message.controlId === '') {
    return new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', { detail: 'MSH-10 is empty', path: 'MSH-10' });
  }
  return undefined;
}

function isOutcome(value: unknown): value is Hl7HandlerOutcome {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const outcome = value as { ack?: unknown; error?: unknown };
  return (
    outcome.ack === 'AA' ||
    ((outcome.ack === 'AE' || outcome.ack === 'AR') && outcome.error instanceof FoveaError)
  );
}

/** A framed message or an oversized block, waiting for its answer. */
type QueuedFrame = Exclude<MllpFrameEvent, { kind: 'discarded' }>;

interface Host {
  readonly settings: Settings;
  closed(connection: MllpConnection): void;
}

/** One peer connection: framing, the ordered queue of messages, the idle timer. */
class MllpConnection {
  readonly id = randomBytes(6).toString('hex');
  readonly #socket: Socket;
  readonly #host: Host;
  readonly #settings: Settings;
  readonly #logger: Logger;
  readonly #framer: MllpFramer;
  readonly #queue: QueuedFrame[] = [];
  #busy = false;
  #paused = false;
  #peerEnded = false;
  #awaitingDrain = false;
  #closing = false;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #peerAddress: string;
  readonly #peerPort: number;

  constructor(socket: Socket, host: Host) {
    this.#socket = socket;
    this.#host = host;
    this.#settings = host.settings;
    this.#peerAddress = socket.remoteAddress ?? '';
    this.#peerPort = socket.remotePort ?? 0;
    this.#logger = this.#settings.logger.child({
      connection: this.id,
      peer: `${this.#peerAddress}:${this.#peerPort}`,
    });
    this.#framer = new MllpFramer(this.#settings.maxMessageBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('end', () => {
      this.#peerEnded = true;
      this.#endIfDone();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#logger.debug(
        { event: logEvents.MLLP_CONNECTION_CLOSED, code: error.code },
        'MLLP connection error',
      );
    });
    socket.on('close', () => {
      clearTimeout(this.#idleTimer);
      this.#logger.debug(
        { event: logEvents.MLLP_CONNECTION_CLOSED, pendingBytes: this.#framer.pendingBytes },
        'MLLP connection closed',
      );
      this.#host.closed(this);
    });
    this.#armIdle();
    this.#logger.debug({ event: logEvents.MLLP_CONNECTION_OPENED }, 'MLLP connection opened');
  }

  /** Stops reading; ends the connection once the message in progress is answered. */
  shutdown(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#socket.pause();
    this.#endIfDone();
    setTimeout(() => {
      this.#socket.destroy();
    }, closeGraceMs).unref();
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      // A slow handler is bounded by its own timeout; a peer that reads no ACKs for this long is idle.
      if (this.#busy && !this.#awaitingDrain) {
        this.#armIdle();
        return;
      }
      this.#logger.info(
        {
          event: logEvents.MLLP_CONNECTION_TIMEOUT,
          idleTimeoutMs: this.#settings.idleTimeoutMs,
          pendingBytes: this.#framer.pendingBytes,
        },
        'MLLP connection idle, closing',
      );
      this.#socket.destroy();
    }, this.#settings.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #onData(chunk: Buffer): void {
    this.#armIdle();
    if (this.#closing) {
      return;
    }
    for (const event of this.#framer.push(chunk)) {
      if (event.kind === 'discarded') {
        this.#logger.warn(
          { event: logEvents.MLLP_BYTES_DISCARDED, bytes: event.size, reason: event.reason },
          'bytes outside an MLLP block discarded',
        );
      } else {
        this.#queue.push(event);
      }
    }
    if (this.#queue.length > pauseAbove && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#busy) {
      return;
    }
    this.#busy = true;
    try {
      for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
        const reply = await this.#answer(event);
        if (reply !== undefined && !this.#socket.destroyed && !this.#socket.write(frameMllp(reply))) {
          // A peer that does not read its ACKs must not make us buffer them without bound.
          await this.#drained();
        }
        if (this.#paused && this.#queue.length < resumeBelow && !this.#closing) {
          this.#paused = false;
          this.#socket.resume();
        }
      }
    } catch (error) {
      this.#logger.error({ event: logEvents.INTERNAL_ERROR, err: error }, 'MLLP connection failed');
      this.#socket.destroy();
    } finally {
      this.#busy = false;
      this.#armIdle();
      this.#endIfDone();
    }
  }

  #drained(): Promise<void> {
    this.#awaitingDrain = true;
    return new Promise((resolve) => {
      const done = (): void => {
        this.#awaitingDrain = false;
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  #endIfDone(): void {
    if ((this.#peerEnded || this.#closing) && !this.#busy && this.#queue.length === 0) {
      this.#socket.end();
    }
  }

  /** The ACK for one framed message, or `undefined` for an acknowledgement (never acknowledged). */
  async #answer(event: QueuedFrame): Promise<Buffer | undefined> {
    const received = new Date();
    if (event.kind === 'oversized') {
      this.#logger.warn(
        {
          event: logEvents.MLLP_MESSAGE_TOO_LARGE,
          bytes: event.size,
          maxMessageBytes: this.#settings.maxMessageBytes,
        },
        'HL7 message too large',
      );
      const error = new FoveaError('FOVEA_MLLP_MESSAGE_TOO_LARGE', {
        detail: `${event.size} bytes, at most ${this.#settings.maxMessageBytes} accepted`,
      });
      return this.#reply(error.spec.hl7, peekMsh(event.head), undefined, error);
    }
    let message: Hl7Message;
    try {
      message = parseHl7(event.bytes);
    } catch (caught) {
      const error = toFoveaError(caught);
      return this.#reply(error.spec.hl7, peekMsh(event.bytes), undefined, error);
    }
    const msh = message.segment('MSH');
    if (message.messageCode === 'ACK') {
      this.#logger.info(
        { event: logEvents.MLLP_MESSAGE_REJECTED, controlId: safe(message.controlId) },
        'acknowledgement received on the inbound channel; not acknowledged',
      );
      return undefined;
    }
    const headerProblem = checkHeader(message, this.#settings);
    if (headerProblem !== undefined) {
      return this.#reply(headerProblem.spec.hl7, msh, message.delimiters, headerProblem, message);
    }
    if (message.warnings.length > 0) {
      this.#logger.info(
        {
          event: logEvents.MLLP_CONFORMANCE_WARNING,
          controlId: safe(message.controlId),
          warnings: message.warnings,
        },
        'HL7 message read leniently',
      );
    }
    const outcome = await this.#runHandler(message, received);
    return outcome.ack === 'AA'
      ? this.#reply('AA', msh, message.delimiters, undefined, message)
      : this.#reply(outcome.ack, msh, message.delimiters, outcome.error, message);
  }

  async #runHandler(message: Hl7Message, receivedAt: Date): Promise<Hl7HandlerOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new FoveaError('FOVEA_MLLP_HANDLER_TIMEOUT', {
            detail: `no answer within ${this.#settings.handlerTimeoutMs} ms`,
          }),
        );
      }, this.#settings.handlerTimeoutMs);
    });
    try {
      const outcome: unknown = await Promise.race([
        Promise.resolve().then(() =>
          this.#settings.handler(message, {
            connectionId: this.id,
            peerAddress: this.#peerAddress,
            peerPort: this.#peerPort,
            receivedAt,
          }),
        ),
        timeout,
      ]);
      if (!isOutcome(outcome)) {
        throw new FoveaError('FOVEA_INTERNAL', { detail: 'the HL7 handler returned no outcome' });
      }
      return outcome;
    } catch (caught) {
      const error = toFoveaError(caught);
      if (error.spec.category === 'internal' || error.code === 'FOVEA_MLLP_HANDLER_TIMEOUT') {
        this.#logger.error(
          {
            event: logEvents.MLLP_HANDLER_FAILED,
            controlId: safe(message.controlId),
            code: error.code,
            err: caught,
          },
          'HL7 handler failed',
        );
      }
      return { ack: error.spec.hl7, error };
    } finally {
      clearTimeout(timer);
    }
  }

  #reply(
    code: Hl7AckCodeOriginal,
    msh: Hl7Segment | undefined,
    delimiters: Hl7Delimiters | undefined,
    error: FoveaError | undefined,
    message?: Hl7Message,
  ): Buffer {
    const fields = {
      ack: code,
      messageType: message === undefined ? undefined : safe(message.messageType, 12),
      controlId: message === undefined ? undefined : safe(message.controlId),
      version: message === undefined ? undefined : safe(message.version, 12),
      code: error?.code,
      path: error?.path,
    };
    if (code === 'AA') {
      this.#logger.debug({ event: logEvents.MLLP_MESSAGE_ACCEPTED, ...fields }, 'HL7 message accepted');
    } else if (code === 'AR') {
      this.#logger.warn({ event: logEvents.MLLP_MESSAGE_REJECTED, ...fields }, 'HL7 message rejected');
    } else {
      this.#logger.warn({ event: logEvents.MLLP_MESSAGE_ERROR, ...fields }, 'HL7 message not processed');
    }
    return encodeAck(
      buildAck({
        code,
        ...(msh === undefined ? {} : { msh }),
        ...(delimiters === undefined ? {} : { delimiters }),
        ...(error === undefined ? {} : { error }),
        application: this.#settings.application,
        facility: this.#settings.facility,
      }),
    );
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new FoveaError('FOVEA_CONFIG_INVALID', {
          detail: `cannot listen on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          path: 'port',
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(address !== null && typeof address === 'object' ? address.port : port);
    });
  });
}

/**
 * Starts an MLLP server for inbound HL7 v2 messages on `host:port`; each message gets one ACK (AA, AE or
 * AR with ERR) in the order received.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2)
 */
export async function startMllpServer(options: MllpServerOptions): Promise<MllpServer> {
  const settings = resolveSettings(options);
  const logger = settings.logger;
  const connections = new Set<MllpConnection>();
  const host: Host = {
    settings,
    closed(connection) {
      connections.delete(connection);
    },
  };
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  server.on('connection', (socket) => {
    socket.on('error', () => undefined);
    if (connections.size >= settings.maxConnections) {
      logger.warn(
        {
          event: logEvents.MLLP_CONNECTION_REFUSED,
          peer: socket.remoteAddress,
          maxConnections: settings.maxConnections,
        },
        'MLLP connection limit reached',
      );
      socket.destroy();
      return;
    }
    try {
      connections.add(new MllpConnection(socket, host));
    } catch (error) {
      logger.error({ event: logEvents.INTERNAL_ERROR, err: error }, 'cannot serve an MLLP connection');
      socket.destroy();
    }
  });
  const port = await listen(server, options.host, options.port);
  server.on('error', (error) => {
    logger.error({ event: logEvents.INTERNAL_ERROR, err: error }, 'MLLP server error');
  });
  logger.info({ event: logEvents.MLLP_SERVER_LISTENING, host: options.host, port }, 'MLLP server listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          logger.info({ event: logEvents.MLLP_SERVER_CLOSED, port }, 'MLLP server closed');
          resolve();
        });
        for (const connection of connections) {
          connection.shutdown();
        }
      });
      return closing;
    },
  };
}
