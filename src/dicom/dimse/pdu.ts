/**
 * DICOM upper layer protocol data units: constants, decoded shapes, encoders and decoders of the
 * association, release and abort PDUs. P-DATA-TF is framed by `pdu-reader.ts` and written by `pdata-writer.ts`.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3
 */
import { FoveaError } from '../../core/errors.ts';

/**
 * PDU types.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.1
 */
export const pduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/**
 * Item and sub-item types of the A-ASSOCIATE PDUs.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.2
 */
export const itemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
} as const;

/**
 * A-ABORT source values.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.8
 */
export const abortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;

/**
 * A-ABORT reasons when the source is the service provider.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.8
 */
export const abortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

/**
 * Presentation context results in the A-ASSOCIATE-AC.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.3.2
 */
export const presentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** Length of every PDU header (type, reserved, 32-bit length). */
export const pduHeaderLength = 6;

/** A presentation context as proposed in an A-ASSOCIATE-RQ. */
export interface PresentationContextProposal {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** A presentation context as answered in an A-ASSOCIATE-AC. */
export interface PresentationContextAnswer {
  readonly id: number;
  /** One of {@link presentationContextResult}. */
  readonly result: number;
  /** The accepted transfer syntax; not significant unless `result` is acceptance. */
  readonly transferSyntax: string;
}

/**
 * SCP/SCU role selection proposed or answered for one SOP class.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_D.3.3.4
 */
export interface RoleSelection {
  readonly sopClassUid: string;
  readonly scuRole: number;
  readonly scpRole: number;
}

/**
 * The user information item.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.2.3
 */
export interface UserInformation {
  /** Maximum length of the variable field of the P-DATA-TF PDUs the sender accepts; 0 means unlimited. */
  readonly maxPduLength: number;
  readonly implementationClassUid?: string | undefined;
  readonly implementationVersionName?: string | undefined;
  readonly asynchronousOperationsWindow?:
    { readonly invoked: number; readonly performed: number } | undefined;
  readonly roleSelections?: readonly RoleSelection[] | undefined;
}

/**
 * A decoded A-ASSOCIATE-RQ or A-ASSOCIATE-AC. AE titles are trimmed; the `raw` fields keep the 16-byte
 * values as received so that an A-ASSOCIATE-AC can echo them.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.2
 */
export interface AssociatePdu<Context> {
  readonly protocolVersion: number;
  readonly calledAet: string;
  readonly callingAet: string;
  readonly calledAetRaw: string;
  readonly callingAetRaw: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly Context[];
  readonly userInformation: UserInformation;
}

/** A decoded A-ASSOCIATE-RQ. */
export type AssociateRequest = AssociatePdu<PresentationContextProposal>;

/** A decoded A-ASSOCIATE-AC. */
export type AssociateAccept = AssociatePdu<PresentationContextAnswer>;

/**
 * A-ASSOCIATE-RJ parameters.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.4
 */
export interface AssociateReject {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

/**
 * A-ABORT parameters.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.8
 */
export interface AbortParameters {
  readonly source: number;
  readonly reason: number;
}

/** A violation of the upper-layer protocol, with the A-ABORT reason to send for it. */
export class PduError extends FoveaError {
  readonly abortReason: number;

  constructor(detail: string, reason: number) {
    super('FOVEA_DIMSE_PROTOCOL', { detail });
    this.abortReason = reason;
  }
}

/** Removes the padding of a UID (trailing NUL or spaces; lenient read also drops leading spaces). */
export function trimUid(value: string): string {
  return value.replace(/^[\s\0]+|[\s\0]+$/g, '');
}

function latin1(buffer: Buffer, start: number, end: number): string {
  return buffer.toString('latin1', start, end);
}

function padAet(aet: string): string {
  return aet.padEnd(16, ' ').slice(0, 16);
}

interface Item {
  readonly type: number;
  readonly value: Buffer;
}

/** Splits a run of items with a 16-bit length (type, reserved, length, value). */
function readItems(buffer: Buffer, what: string): Item[] {
  const items: Item[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (offset + 4 > buffer.length) {
      throw new PduError(`truncated item header in ${what}`, abortReason.InvalidPduParameterValue);
    }
    const type = buffer[offset]!;
    const length = buffer.readUInt16BE(offset + 2);
    const start = offset + 4;
    if (start + length > buffer.length) {
      throw new PduError(
        `item 0x${type.toString(16)} overruns ${what}`,
        abortReason.InvalidPduParameterValue,
      );
    }
    items.push({ type, value: buffer.subarray(start, start + length) });
    offset = start + length;
  }
  return items;
}

function decodeUserInformation(value: Buffer): UserInformation {
  let maxPduLength = 0;
  let implementationClassUid: string | undefined;
  let implementationVersionName: string | undefined;
  let asynchronousOperationsWindow: UserInformation['asynchronousOperationsWindow'];
  const roleSelections: RoleSelection[] = [];
  for (const item of readItems(value, 'user information')) {
    switch (item.type) {
      case itemType.MaxLength:
        if (item.value.length !== 4) {
          throw new PduError('maximum length item is not 4 bytes', abortReason.InvalidPduParameterValue);
        }
        maxPduLength = item.value.readUInt32BE(0);
        break;
      case itemType.ImplementationClassUid:
        implementationClassUid = trimUid(latin1(item.value, 0, item.value.length));
        break;
      case itemType.ImplementationVersionName:
        implementationVersionName = latin1(item.value, 0, item.value.length).trim();
        break;
      case itemType.AsynchronousOperationsWindow:
        if (item.value.length >= 4) {
          asynchronousOperationsWindow = {
            invoked: item.value.readUInt16BE(0),
            performed: item.value.readUInt16BE(2),
          };
        }
        break;
      case itemType.RoleSelection: {
        if (item.value.length < 2) {
          break;
        }
        const uidLength = item.value.readUInt16BE(0);
        if (2 + uidLength + 2 <= item.value.length) {
          roleSelections.push({
            sopClassUid: trimUid(latin1(item.value, 2, 2 + uidLength)),
            scuRole: item.value[2 + uidLength]!,
            scpRole: item.value[3 + uidLength]!,
          });
        }
        break;
      }
      default:
        // Extended negotiation, user identity and future items are not used; lenient read skips them.
        break;
    }
  }
  return {
    maxPduLength,
    implementationClassUid,
    implementationVersionName,
    asynchronousOperationsWindow,
    roleSelections,
  };
}

function decodeAssociatePdu<Context>(
  body: Buffer,
  what: string,
  contextType: number,
  decodeContext: (value: Buffer) => Context,
): AssociatePdu<Context> {
  if (body.length < 68) {
    throw new PduError(`${what} is shorter than its fixed fields`, abortReason.InvalidPduParameterValue);
  }
  const calledAetRaw = latin1(body, 4, 20);
  const callingAetRaw = latin1(body, 20, 36);
  let applicationContextName = '';
  const presentationContexts: Context[] = [];
  let userInformation: UserInformation | undefined;
  for (const item of readItems(body.subarray(68), what)) {
    if (item.type === itemType.ApplicationContext) {
      applicationContextName = trimUid(latin1(item.value, 0, item.value.length));
    } else if (item.type === contextType) {
      presentationContexts.push(decodeContext(item.value));
    } else if (item.type === itemType.UserInformation) {
      userInformation = decodeUserInformation(item.value);
    }
    // Other item types are not defined for this PDU; lenient read ignores them.
  }
  if (userInformation === undefined) {
    throw new PduError(`${what} has no user information item`, abortReason.InvalidPduParameterValue);
  }
  return {
    protocolVersion: body.readUInt16BE(0),
    calledAet: calledAetRaw.trim(),
    callingAet: callingAetRaw.trim(),
    calledAetRaw,
    callingAetRaw,
    applicationContextName,
    presentationContexts,
    userInformation,
  };
}

/**
 * Decodes the variable part (after the 6-byte header) of an A-ASSOCIATE-RQ.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.2
 */
export function decodeAssociateRequest(body: Buffer): AssociateRequest {
  return decodeAssociatePdu(body, 'A-ASSOCIATE-RQ', itemType.PresentationContextRq, (value) => {
    if (value.length < 4) {
      throw new PduError('presentation context item too short', abortReason.InvalidPduParameterValue);
    }
    let abstractSyntax = '';
    const transferSyntaxes: string[] = [];
    for (const sub of readItems(value.subarray(4), 'presentation context')) {
      const uid = trimUid(latin1(sub.value, 0, sub.value.length));
      if (sub.type === itemType.AbstractSyntax) {
        abstractSyntax = uid;
      } else if (sub.type === itemType.TransferSyntax) {
        transferSyntaxes.push(uid);
      }
    }
    return { id: value[0]!, abstractSyntax, transferSyntaxes };
  });
}

/**
 * Decodes the variable part of an A-ASSOCIATE-AC.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.3
 */
export function decodeAssociateAccept(body: Buffer): AssociateAccept {
  return decodeAssociatePdu(body, 'A-ASSOCIATE-AC', itemType.PresentationContextAc, (value) => {
    if (value.length < 4) {
      throw new PduError('presentation context item too short', abortReason.InvalidPduParameterValue);
    }
    let transferSyntax = '';
    for (const sub of readItems(value.subarray(4), 'presentation context')) {
      if (sub.type === itemType.TransferSyntax) {
        transferSyntax = trimUid(latin1(sub.value, 0, sub.value.length));
      }
    }
    return { id: value[0]!, result: value[2]!, transferSyntax };
  });
}

/**
 * Decodes the 4-byte variable part of an A-ASSOCIATE-RJ.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.4
 */
export function decodeAssociateReject(body: Buffer): AssociateReject {
  if (body.length < 4) {
    throw new PduError('A-ASSOCIATE-RJ too short', abortReason.InvalidPduParameterValue);
  }
  return { result: body[1]!, source: body[2]!, reason: body[3]! };
}

/**
 * Decodes the 4-byte variable part of an A-ABORT.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.8
 */
export function decodeAbort(body: Buffer): AbortParameters {
  if (body.length < 4) {
    throw new PduError('A-ABORT too short', abortReason.InvalidPduParameterValue);
  }
  return { source: body[2]!, reason: body[3]! };
}

/** Accumulates big-endian PDU bytes. */
class PduBuilder {
  readonly #parts: Buffer[] = [];
  #length = 0;

  bytes(values: readonly number[]): this {
    return this.buffer(Buffer.from(values));
  }

  uint16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(value, 0);
    return this.buffer(b);
  }

  uint32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(value, 0);
    return this.buffer(b);
  }

  text(value: string): this {
    return this.buffer(Buffer.from(value, 'latin1'));
  }

  buffer(value: Buffer): this {
    this.#parts.push(value);
    this.#length += value.length;
    return this;
  }

  /** Adds an item with a 16-bit length. */
  item(type: number, value: Buffer): this {
    if (value.length > 0xffff) {
      throw new FoveaError('FOVEA_DIMSE_PROTOCOL', { detail: `item 0x${type.toString(16)} too long` });
    }
    return this.bytes([type, 0]).uint16(value.length).buffer(value);
  }

  build(): Buffer {
    return Buffer.concat(this.#parts, this.#length);
  }
}

function uidItem(type: number, uid: string): Buffer {
  return new PduBuilder().item(type, Buffer.from(uid, 'latin1')).build();
}

function encodePdu(type: number, body: Buffer): Buffer {
  const header = Buffer.allocUnsafe(pduHeaderLength);
  header[0] = type;
  header[1] = 0;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function encodeUserInformation(info: UserInformation): Buffer {
  const sub = new PduBuilder();
  const max = Buffer.allocUnsafe(4);
  max.writeUInt32BE(info.maxPduLength, 0);
  sub.item(itemType.MaxLength, max);
  if (info.implementationClassUid !== undefined) {
    sub.item(itemType.ImplementationClassUid, Buffer.from(info.implementationClassUid, 'latin1'));
  }
  if (info.asynchronousOperationsWindow !== undefined) {
    const window = Buffer.allocUnsafe(4);
    window.writeUInt16BE(info.asynchronousOperationsWindow.invoked, 0);
    window.writeUInt16BE(info.asynchronousOperationsWindow.performed, 2);
    sub.item(itemType.AsynchronousOperationsWindow, window);
  }
  for (const role of info.roleSelections ?? []) {
    const uid = Buffer.from(role.sopClassUid, 'latin1');
    const value = new PduBuilder().uint16(uid.length).buffer(uid).bytes([role.scuRole, role.scpRole]).build();
    sub.item(itemType.RoleSelection, value);
  }
  if (info.implementationVersionName !== undefined) {
    sub.item(itemType.ImplementationVersionName, Buffer.from(info.implementationVersionName, 'latin1'));
  }
  return new PduBuilder().item(itemType.UserInformation, sub.build()).build();
}

/** Input of {@link encodeAssociateRequest} and {@link encodeAssociateAccept} (raw AE fields optional). */
export type AssociatePduInput<Context> = Omit<AssociatePdu<Context>, 'calledAetRaw' | 'callingAetRaw'> &
  Partial<Pick<AssociatePdu<Context>, 'calledAetRaw' | 'callingAetRaw'>>;

function encodeAssociatePdu<Context>(
  type: number,
  pdu: AssociatePduInput<Context>,
  encodeContext: (context: Context) => Buffer,
): Buffer {
  const body = new PduBuilder()
    .uint16(pdu.protocolVersion)
    .uint16(0)
    .text(padAet(pdu.calledAetRaw ?? pdu.calledAet))
    .text(padAet(pdu.callingAetRaw ?? pdu.callingAet))
    .buffer(Buffer.alloc(32))
    .buffer(uidItem(itemType.ApplicationContext, pdu.applicationContextName));
  for (const context of pdu.presentationContexts) {
    body.buffer(encodeContext(context));
  }
  body.buffer(encodeUserInformation(pdu.userInformation));
  return encodePdu(type, body.build());
}

/**
 * Encodes an A-ASSOCIATE-RQ PDU.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.2
 */
export function encodeAssociateRequest(pdu: AssociatePduInput<PresentationContextProposal>): Buffer {
  return encodeAssociatePdu(pduType.AssociateRq, pdu, (context) => {
    const sub = new PduBuilder().bytes([context.id, 0, 0, 0]);
    sub.buffer(uidItem(itemType.AbstractSyntax, context.abstractSyntax));
    for (const ts of context.transferSyntaxes) {
      sub.buffer(uidItem(itemType.TransferSyntax, ts));
    }
    return new PduBuilder().item(itemType.PresentationContextRq, sub.build()).build();
  });
}

/**
 * Encodes an A-ASSOCIATE-AC PDU.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.3
 */
export function encodeAssociateAccept(pdu: AssociatePduInput<PresentationContextAnswer>): Buffer {
  return encodeAssociatePdu(pduType.AssociateAc, pdu, (context) => {
    const sub = new PduBuilder()
      .bytes([context.id, 0, context.result, 0])
      .buffer(uidItem(itemType.TransferSyntax, context.transferSyntax));
    return new PduBuilder().item(itemType.PresentationContextAc, sub.build()).build();
  });
}

/**
 * Encodes an A-ASSOCIATE-RJ PDU.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.4
 */
export function encodeAssociateReject(reject: AssociateReject): Buffer {
  return encodePdu(pduType.AssociateRj, Buffer.from([0, reject.result, reject.source, reject.reason]));
}

/**
 * Encodes an A-RELEASE-RQ PDU.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.6
 */
export function encodeReleaseRequest(): Buffer {
  return encodePdu(pduType.ReleaseRq, Buffer.alloc(4));
}

/**
 * Encodes an A-RELEASE-RP PDU.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.7
 */
export function encodeReleaseResponse(): Buffer {
  return encodePdu(pduType.ReleaseRp, Buffer.alloc(4));
}

/**
 * Encodes an A-ABORT PDU.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.8
 */
export function encodeAbort(parameters: AbortParameters): Buffer {
  return encodePdu(pduType.Abort, Buffer.from([0, 0, parameters.source, parameters.reason]));
}

/** Describes an A-ASSOCIATE-RJ with the meaning of its values, for error details and logs. */
export function describeReject(reject: AssociateReject): string {
  const { result, source, reason } = reject;
  const permanence = result === 1 ? 'permanent' : result === 2 ? 'transient' : 'unknown';
  let text = `reason ${reason}`;
  if (source === 1) {
    text =
      {
        1: 'no reason given',
        2: 'application context name not supported',
        3: 'calling AE title not recognized',
        7: 'called AE title not recognized',
      }[reason] ?? text;
  } else if (source === 2) {
    text = { 1: 'no reason given', 2: 'protocol version not supported' }[reason] ?? text;
  } else if (source === 3) {
    text = { 1: 'temporary congestion', 2: 'local limit exceeded' }[reason] ?? text;
  }
  return `result ${result} (${permanence}), source ${source}, reason ${reason} (${text})`;
}
