/**
 * Original-mode acknowledgements: the ACK's MSH mirrors the sender and receiver, carries a new control ID
 * and the received version; MSA-2 echoes the received MSH-10; AE/AR carry an ERR segment with the HL7
 * table 0357 code and Fovea's catalogue code.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original mode)
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading184 (HL7 v2.5.1 §2.15.5, ERR)
 */
import { randomBytes } from 'node:crypto';
import type { ErrorCode, FoveaError } from '../core/errors.ts';
import { fitToCharset, isValidUtf8, writableCharset, type Hl7WritableCharset } from './charset.ts';
import { encodeHl7Bytes } from './encode.ts';
import { defaultDelimiters, type Hl7Delimiters } from './escape.ts';
import { fieldValue, Hl7Message, type Hl7Field, type Hl7Segment } from './message.ts';
import { parseHl7 } from './parse.ts';

/** MSA-1 acknowledgement codes of original mode (HL7 table 0008). */
export type Hl7AckCodeOriginal = 'AA' | 'AE' | 'AR';

/**
 * HL7 table 0357 (message error condition codes) used by Fovea.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02c.html (HL7 v2.5.1 table 0357)
 */
export const hl7ErrorConditions = {
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  207: 'Application internal error',
} as const;

/** A table 0357 code. */
export type Hl7ErrorCondition = keyof typeof hl7ErrorConditions;

const conditionByCode: Partial<Record<ErrorCode, Hl7ErrorCondition>> = {
  FOVEA_MLLP_MALFORMED: 100,
  FOVEA_MLLP_ENCODING_CHARACTERS_INVALID: 102,
  FOVEA_MLLP_CHARSET_UNSUPPORTED: 102,
  FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED: 200,
  FOVEA_MLLP_VERSION_UNSUPPORTED: 203,
  FOVEA_MLLP_REQUIRED_FIELD_MISSING: 101,
};

/** The table 0357 code for a Fovea error (207, application internal error, when no closer code fits). */
export function hl7ErrorConditionOf(error: FoveaError): Hl7ErrorCondition {
  if (error.code === 'FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED' && error.path === 'MSH-9.2') {
    return 201;
  }
  return conditionByCode[error.code] ?? 207;
}

/** A new message control ID (20 hexadecimal characters: the MSH-10 length limit of v2.5.1). */
export function newControlId(): string {
  return randomBytes(10).toString('hex').toUpperCase();
}

/** HL7 DTM with seconds and offset, in UTC. */
export function formatHl7Timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-T:]/gu, '')}+0000`;
}

/**
 * Best-effort read of the MSH segment of a message that could not be parsed (bad delimiters, unsupported
 * charset, oversized): what an ACK needs to reach its sender. `undefined` when there is no MSH at all.
 */
export function peekMsh(bytes: Uint8Array): Hl7Segment | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096));
  const text = isValidUtf8(head) ? head.toString('utf8') : head.toString('latin1');
  const start = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?[\s\p{Cc}]*/u.exec(text)![0].length;
  const line = text.slice(start).split(/[\r\n]/u, 1)[0] ?? '';
  if (!line.startsWith('MSH') || line.length < 4) {
    return undefined;
  }
  try {
    return parseHl7(line).segment('MSH');
  } catch {
    const separator = line[3]!;
    if (!/^[!-/:-@[-`{-~]$/u.test(separator)) {
      return undefined;
    }
    const parts = line.split(separator);
    const fields: Hl7Field[] = [[[['MSH']]], [[[separator]]]];
    for (const part of parts.slice(1)) {
      fields.push([[[part]]]);
    }
    return { name: 'MSH', fields };
  }
}

/** What an acknowledgement answers. */
export interface AckRequest {
  readonly code: Hl7AckCodeOriginal;
  /** The received MSH (parsed, or peeked from a message that could not be parsed); absent when none. */
  readonly msh?: Hl7Segment;
  /** The received message's delimiters when it was parsed (the ACK uses the same). */
  readonly delimiters?: Hl7Delimiters;
  /** Required for AE and AR. */
  readonly error?: FoveaError;
  /** Injected for tests; defaults to now. */
  readonly now?: Date;
  /** Injected for tests; defaults to {@link newControlId}. */
  readonly controlId?: string;
  /** MSH-3/MSH-4 of the ACK when the received MSH-5/MSH-6 are empty. */
  readonly application?: string;
  readonly facility?: string;
}

const versionPattern = /^2\.\d(?:\.\d{1,2})?$/u;
/** The version Fovea answers with when the received one is absent or not an HL7 v2 version. */
export const defaultAckVersion = '2.5.1';

function mirrored(msh: Hl7Segment | undefined, field: number, charset: Hl7WritableCharset): Hl7Field {
  const source = msh?.fields[field]?.[0] ?? [['']];
  return [
    source
      .slice(0, 3)
      .map((component) => component.slice(0, 3).map((value) => fitToCharset(value.slice(0, 227), charset))),
  ];
}

function errorLocation(path: string | undefined): { segment: string; sequence: string; field: string } {
  const match = /^([A-Z][A-Z0-9]{2})(?:\((\d+)\))?(?:-(\d+))?/u.exec(path ?? '');
  if (match === null) {
    return { segment: '', sequence: '', field: '' };
  }
  return { segment: match[1]!, sequence: match[2] ?? '1', field: match[3] ?? '' };
}

/**
 * Builds the ACK for a received message. The ERR segment carries both the v2.4 form (ERR-1, error code and
 * location) and the v2.5 form (ERR-2 location, ERR-3 table 0357 code, ERR-4 severity, ERR-5 Fovea's code,
 * ERR-7 detail, ERR-8 title), so senders of any version find the code.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2)
 */
export function buildAck(request: AckRequest): Hl7Message {
  const msh = request.msh;
  const declaredCharset = fieldValue(msh, 18) ?? '';
  const charset = writableCharset(declaredCharset) ?? 'ASCII';
  const receivedVersion = fieldValue(msh, 12) ?? '';
  const version = versionPattern.test(receivedVersion) ? receivedVersion : defaultAckVersion;
  const trigger = fieldValue(msh, 9, 2) ?? '';
  const processing = fieldValue(msh, 11) ?? '';
  const controlId = fitToCharset((fieldValue(msh, 10) ?? '').slice(0, 199), charset);
  const sender = mirrored(msh, 5, charset);
  const senderFacility = mirrored(msh, 6, charset);
  const mshFields: Hl7Field[] = [
    [[['MSH']]],
    [[['|']]],
    [[['']]],
    sender[0]![0]![0] === '' && request.application !== undefined ? [[[request.application]]] : sender,
    senderFacility[0]![0]![0] === '' && request.facility !== undefined
      ? [[[request.facility]]]
      : senderFacility,
    mirrored(msh, 3, charset),
    mirrored(msh, 4, charset),
    [[[formatHl7Timestamp(request.now ?? new Date())]]],
    [[['']]],
    [/^[A-Z0-9]{3}$/u.test(trigger) ? [['ACK'], [trigger], ['ACK']] : [['ACK']]],
    [[[request.controlId ?? newControlId()]]],
    [[[/^[DPT]$/u.test(processing) ? processing : 'P']]],
    [[[version]]],
  ];
  if (declaredCharset !== '' && writableCharset(declaredCharset) !== undefined) {
    mshFields.push([[['']]], [[['']]], [[['']]], [[['']]], [[['']]], [[[charset]]]);
  }
  const segments: Hl7Segment[] = [{ name: 'MSH', fields: mshFields }];
  const error = request.code === 'AA' ? undefined : request.error;
  segments.push({
    name: 'MSA',
    fields: [
      [[['MSA']]],
      [[[request.code]]],
      [[[controlId]]],
      ...(error === undefined ? [] : [[[[fitToCharset(error.spec.title, charset)]]]]),
    ],
  });
  if (error !== undefined) {
    const condition = hl7ErrorConditionOf(error);
    const text = hl7ErrorConditions[condition];
    const at = errorLocation(error.path);
    segments.push({
      name: 'ERR',
      fields: [
        [[['ERR']]],
        [[[at.segment], [at.sequence], [at.field], [String(condition), text, 'HL70357']]],
        [[[at.segment], [at.sequence], [at.field]]],
        [[[String(condition)], [text], ['HL70357']]],
        [[['E']]],
        [[[error.code], [fitToCharset(error.spec.title, charset)], ['99FOVEA']]],
        [[['']]],
        [[[fitToCharset((error.detail ?? '').slice(0, 512), charset)]]],
        [[[fitToCharset(error.spec.title, charset)]]],
      ],
    });
  }
  const delimiters = request.delimiters ?? defaultDelimiters;
  return new Hl7Message(segments, delimiters);
}

/** Encodes an ACK; never throws (falls back to an ASCII ACK with default delimiters). */
export function encodeAck(ack: Hl7Message): Buffer {
  try {
    return encodeHl7Bytes(ack);
  } catch {
    const ascii = new Hl7Message(
      ack.segments.map((segment) => ({
        name: segment.name,
        fields: segment.fields.map((field) =>
          field.map((repetition) =>
            repetition.map((component) => component.map((value) => fitToCharset(value, 'ASCII'))),
          ),
        ),
      })),
      defaultDelimiters,
    );
    return encodeHl7Bytes(ascii);
  }
}
