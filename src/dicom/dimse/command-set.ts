/**
 * DIMSE command sets: group 0000 elements, always encoded Implicit VR Little Endian.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_6.3.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#chapter_E
 */
import { FoveaError } from '../../core/errors.ts';

/**
 * Command Field values.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_E.1
 */
export const commandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NGetRq: 0x0110,
  NSetRq: 0x0120,
  NActionRq: 0x0130,
  NCreateRq: 0x0140,
  NDeleteRq: 0x0150,
  CCancelRq: 0x0fff,
} as const;

/**
 * Command Data Set Type value meaning "no data set follows"; any other value means one follows.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_E.1
 */
export const noDataSet = 0x0101;

/**
 * Tags (group 0000) of the command elements Fovea reads or writes.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_E.1
 */
export const commandTag = {
  CommandGroupLength: 0x00000000,
  AffectedSOPClassUID: 0x00000002,
  RequestedSOPClassUID: 0x00000003,
  CommandField: 0x00000100,
  MessageID: 0x00000110,
  MessageIDBeingRespondedTo: 0x00000120,
  MoveDestination: 0x00000600,
  Priority: 0x00000700,
  CommandDataSetType: 0x00000800,
  Status: 0x00000900,
  OffendingElement: 0x00000901,
  ErrorComment: 0x00000902,
  ErrorID: 0x00000903,
  AffectedSOPInstanceUID: 0x00001000,
  RequestedSOPInstanceUID: 0x00001001,
  MoveOriginatorApplicationEntityTitle: 0x00001030,
  MoveOriginatorMessageID: 0x00001031,
} as const;

/** A decoded or to-be-encoded DIMSE command (the fields Fovea uses). */
export interface DimseCommand {
  readonly commandField: number;
  readonly commandDataSetType: number;
  readonly messageId?: number | undefined;
  readonly messageIdBeingRespondedTo?: number | undefined;
  readonly affectedSopClassUid?: string | undefined;
  readonly requestedSopClassUid?: string | undefined;
  readonly affectedSopInstanceUid?: string | undefined;
  readonly requestedSopInstanceUid?: string | undefined;
  readonly priority?: number | undefined;
  readonly status?: number | undefined;
  readonly errorComment?: string | undefined;
  readonly errorId?: number | undefined;
  readonly moveDestination?: string | undefined;
  readonly moveOriginatorAet?: string | undefined;
  readonly moveOriginatorMessageId?: number | undefined;
}

type Vr = 'UI' | 'US' | 'AE' | 'LO' | 'UL';

interface FieldSpec {
  readonly tag: number;
  readonly vr: Vr;
  readonly key: keyof DimseCommand;
}

/** Command elements in ascending tag order (the order they are encoded in). */
const fields: readonly FieldSpec[] = [
  { tag: commandTag.AffectedSOPClassUID, vr: 'UI', key: 'affectedSopClassUid' },
  { tag: commandTag.RequestedSOPClassUID, vr: 'UI', key: 'requestedSopClassUid' },
  { tag: commandTag.CommandField, vr: 'US', key: 'commandField' },
  { tag: commandTag.MessageID, vr: 'US', key: 'messageId' },
  { tag: commandTag.MessageIDBeingRespondedTo, vr: 'US', key: 'messageIdBeingRespondedTo' },
  { tag: commandTag.MoveDestination, vr: 'AE', key: 'moveDestination' },
  { tag: commandTag.Priority, vr: 'US', key: 'priority' },
  { tag: commandTag.CommandDataSetType, vr: 'US', key: 'commandDataSetType' },
  { tag: commandTag.Status, vr: 'US', key: 'status' },
  { tag: commandTag.ErrorComment, vr: 'LO', key: 'errorComment' },
  { tag: commandTag.ErrorID, vr: 'US', key: 'errorId' },
  { tag: commandTag.AffectedSOPInstanceUID, vr: 'UI', key: 'affectedSopInstanceUid' },
  { tag: commandTag.RequestedSOPInstanceUID, vr: 'UI', key: 'requestedSopInstanceUid' },
  { tag: commandTag.MoveOriginatorApplicationEntityTitle, vr: 'AE', key: 'moveOriginatorAet' },
  { tag: commandTag.MoveOriginatorMessageID, vr: 'US', key: 'moveOriginatorMessageId' },
];

const fieldByTag = new Map(fields.map((field) => [field.tag, field]));

function malformed(detail: string): FoveaError {
  return new FoveaError('FOVEA_DIMSE_PROTOCOL', { detail: `command set: ${detail}` });
}

/**
 * Decodes an Implicit VR Little Endian command set. Unknown group 0000 elements are skipped; elements of
 * another group, overruns and a missing Command Field are errors.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_6.3.1
 */
export function decodeCommandSet(bytes: Buffer): DimseCommand {
  const values: Record<string, string | number> = {};
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) {
      throw malformed('truncated element header');
    }
    const group = bytes.readUInt16LE(offset);
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    if (group !== 0) {
      throw malformed(`element (${group.toString(16)},${element.toString(16)}) is not in group 0000`);
    }
    if (length > bytes.length - start) {
      throw malformed(`element (0000,${element.toString(16).padStart(4, '0')}) overruns the command set`);
    }
    const field = fieldByTag.get(element);
    if (field !== undefined) {
      switch (field.vr) {
        case 'US':
          if (length < 2) {
            throw malformed(`US element (0000,${element.toString(16).padStart(4, '0')}) is empty`);
          }
          values[field.key] = bytes.readUInt16LE(start);
          break;
        case 'UL':
          values[field.key] = bytes.readUInt32LE(start);
          break;
        case 'UI':
          values[field.key] = bytes.toString('latin1', start, start + length).replace(/[\0 ]+$/, '');
          break;
        case 'AE':
        case 'LO':
          values[field.key] = bytes.toString('latin1', start, start + length).trim();
          break;
      }
    }
    offset = start + length;
  }
  const command = values as unknown as Partial<DimseCommand>;
  if (command.commandField === undefined) {
    throw malformed('no Command Field');
  }
  return {
    ...command,
    commandField: command.commandField,
    commandDataSetType: command.commandDataSetType ?? noDataSet,
  };
}

function encodeValue(vr: Vr, value: string | number): Buffer {
  switch (vr) {
    case 'US': {
      const b = Buffer.allocUnsafe(2);
      b.writeUInt16LE(Number(value) & 0xffff, 0);
      return b;
    }
    case 'UL': {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32LE(Number(value) >>> 0, 0);
      return b;
    }
    case 'UI': {
      const text = String(value);
      return Buffer.from(text.length % 2 === 0 ? text : `${text}\0`, 'latin1');
    }
    case 'AE':
    case 'LO': {
      const text = String(value);
      return Buffer.from(text.length % 2 === 0 ? text : `${text} `, 'latin1');
    }
  }
}

/**
 * Encodes a command set (Implicit VR Little Endian), computing Command Group Length.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_6.3.1
 */
export function encodeCommandSet(command: DimseCommand): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const field of fields) {
    const value = command[field.key];
    if (value === undefined) {
      continue;
    }
    const encoded = encodeValue(field.vr, value);
    const header = Buffer.allocUnsafe(8);
    header.writeUInt16LE(0, 0);
    header.writeUInt16LE(field.tag & 0xffff, 2);
    header.writeUInt32LE(encoded.length, 4);
    parts.push(header, encoded);
    length += 8 + encoded.length;
  }
  const groupLength = Buffer.allocUnsafe(12);
  groupLength.writeUInt32LE(0, 0);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(length, 8);
  return Buffer.concat([groupLength, ...parts], 12 + length);
}

/**
 * Makes a value safe for Error Comment: LO in the default repertoire (command sets carry no Specific
 * Character Set), at most 64 characters, no backslash.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2
 */
export function toErrorComment(text: string): string {
  return text
    .replace(/[^\x20-\x5b\x5d-\x7e]/g, ' ')
    .trim()
    .slice(0, 64)
    .trim();
}
