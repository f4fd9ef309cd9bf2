/**
 * The MLLP client of Fovea's outbound messages: one connection per message, the message framed, and the
 * original-mode acknowledgement awaited and checked (MSA-2 must echo the message's MSH-10). The outcome is
 * what the outbox needs to decide on a retry: AA (or CA) delivered; AE (CE), no connection, a connection
 * closed or a reply that is not the ACK of this message: retryable; AR (CR): refused, not retried; no ACK in
 * time: retryable (`FOVEA_MLLP_ACK_TIMEOUT`; the receiver may have processed it, and will see the same MSH-10
 * again). Error details name the host, port and codes only, never field values.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original mode)
 * @see https://www.hl7.org/documentcenter/public/wg/inm/mllp_transport_specification.PDF (MLLP; HL7 v2.5.1 Appendix C.4)
 */
import { connect, type Socket } from 'node:net';
import { FoveaError } from '../core/errors.ts';
import { peekMsh } from './ack.ts';
import { fieldValue, type Hl7Message } from './message.ts';
import { frameMllp, MllpFramer } from './mllp-framer.ts';
import { parseHl7 } from './parse.ts';

/** What to send where. */
export interface MllpSendOptions {
  readonly host: string;
  readonly port: number;
  /** The encoded message (not framed). */
  readonly message: Uint8Array;
  /** For connecting, sending and receiving the ACK together. */
  readonly timeoutMs: number;
  /** Aborts the exchange (the job's signal); the outcome is then a retryable failure. */
  readonly signal?: AbortSignal;
  /** Largest ACK accepted (default 1 MiB). */
  readonly maxAckBytes?: number;
}

/** A positive acknowledgement. */
export interface MllpSendResult {
  /** MSA-1: `AA` (or `CA` from a receiver in enhanced mode). */
  readonly code: 'AA' | 'CA';
  /** The MSH-10 of the message sent (echoed in MSA-2). */
  readonly controlId: string;
  readonly ack: Hl7Message;
}

function failed(detail: string, cause?: unknown): FoveaError {
  return new FoveaError('FOVEA_DELIVERY_FAILED', { detail, ...(cause === undefined ? {} : { cause }) });
}

/** The codes of a negative ACK worth recording: MSA-1 and ERR-3.1 (table 0357), when numeric. */
function negativeDetail(ack: Hl7Message, code: string, where: string): string {
  const condition = ack.get('ERR-3.1') ?? ack.get('ERR-1.4.1');
  return `${where} answered ${code}${condition !== undefined && /^\d{1,5}$/u.test(condition) ? ` (error condition ${condition})` : ''}`;
}

/**
 * Checks a received acknowledgement against the message's control ID: AA/CA returns the result, AE/CE
 * throws `FOVEA_DELIVERY_FAILED` (retryable), AR/CR throws `FOVEA_DELIVERY_REFUSED` (not retried), and a
 * reply that is not an ACK of this message throws `FOVEA_DELIVERY_FAILED`.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2; table 0008)
 */
export function judgeAck(bytes: Uint8Array, controlId: string, where: string): MllpSendResult {
  let ack: Hl7Message;
  try {
    ack = parseHl7(bytes);
  } catch (error) {
    throw failed(`${where} answered with something that is not an HL7 message`, error);
  }
  const msa = ack.segment('MSA');
  const code = fieldValue(msa, 1);
  if (ack.messageCode !== 'ACK' || msa === undefined || code === undefined) {
    throw failed(`${where} answered with a message that is not an ACK`);
  }
  if (fieldValue(msa, 2) !== controlId) {
    throw failed(`${where} acknowledged another message (MSA-2 is not the MSH-10 sent)`);
  }
  if (code === 'AA' || code === 'CA') {
    return { code, controlId, ack };
  }
  if (code === 'AR' || code === 'CR') {
    throw new FoveaError('FOVEA_DELIVERY_REFUSED', { detail: negativeDetail(ack, code, where) });
  }
  if (code === 'AE' || code === 'CE') {
    throw failed(negativeDetail(ack, code, where));
  }
  throw failed(`${where} answered with an unknown acknowledgement code`);
}

/**
 * Sends one message over MLLP and waits for its acknowledgement (see the module comment for the outcomes).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original mode)
 */
export function sendMllpMessage(options: MllpSendOptions): Promise<MllpSendResult> {
  const where = `the MLLP receiver ${options.host}:${options.port}`;
  const controlId = fieldValue(peekMsh(options.message), 10);
  if (controlId === undefined) {
    return Promise.reject(new FoveaError('FOVEA_INTERNAL', { detail: 'the message to send has no MSH-10' }));
  }
  if (options.signal?.aborted === true) {
    return Promise.reject(failed(`sending to ${where} was aborted`));
  }
  return new Promise<MllpSendResult>((resolve, reject) => {
    const framer = new MllpFramer(options.maxAckBytes ?? 1_048_576);
    let settled = false;
    let connected = false;
    const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
    const finish = (outcome: { result: MllpSendResult } | { error: FoveaError }): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if ('result' in outcome) {
        socket.end();
        resolve(outcome.result);
      } else {
        socket.destroy();
        reject(outcome.error);
      }
    };
    const onAbort = (): void => {
      finish({ error: failed(`sending to ${where} was aborted`) });
    };
    const timer = setTimeout(() => {
      finish({
        error: connected
          ? new FoveaError('FOVEA_MLLP_ACK_TIMEOUT', {
              detail: `${where} sent no acknowledgement within ${options.timeoutMs} ms`,
            })
          : failed(`could not connect to ${where} within ${options.timeoutMs} ms`),
      });
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => {
      connected = true;
      socket.write(frameMllp(Buffer.from(options.message)));
    });
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.kind === 'oversized') {
          finish({ error: failed(`${where} answered with an oversized block`) });
          return;
        }
        if (event.kind === 'message') {
          try {
            finish({ result: judgeAck(event.bytes, controlId, where) });
          } catch (error) {
            finish({ error: error as FoveaError });
          }
          return;
        }
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish({
        error: failed(
          connected
            ? `the connection to ${where} failed (${error.code ?? 'error'})`
            : `could not connect to ${where} (${error.code ?? 'error'})`,
          error,
        ),
      });
    });
    socket.on('close', () => {
      finish({ error: failed(`${where} closed the connection before acknowledging`) });
    });
  });
}
