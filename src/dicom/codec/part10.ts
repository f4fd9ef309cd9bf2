/**
 * Writing the Part 10 file prefix: 128-byte preamble, "DICM", and the File Meta Information group.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#sect_7.1
 */

import { implementationClassUid, implementationVersionName } from '../../core/implementation.ts';

export { implementationClassUid, implementationVersionName };

/** What the file meta group says about the data set that follows. */
export interface FileMetaInput {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** AE title of the sender (0002,0016). */
  readonly sourceAet?: string;
}

function element(group: number, element: number, vr: string, value: Buffer): Buffer {
  const long = vr === 'OB' || vr === 'UN' || vr === 'SQ' || vr === 'UT';
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'latin1');
  if (long) {
    header.writeUInt32LE(value.length, 8);
  } else {
    header.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([header, value]);
}

/** Pads a string value to even length (NUL for UI, space otherwise). */
function padded(text: string, vr: string): Buffer {
  const even = text.length % 2 === 0 ? text : `${text}${vr === 'UI' ? '\0' : ' '}`;
  return Buffer.from(even, 'latin1');
}

/** Builds the preamble, prefix and file meta group for a data set. */
export function buildFileMetaPrefix(input: FileMetaInput): Buffer {
  const elements = [
    element(0x0002, 0x0001, 'OB', Buffer.from([0x00, 0x01])),
    element(0x0002, 0x0002, 'UI', padded(input.sopClassUid, 'UI')),
    element(0x0002, 0x0003, 'UI', padded(input.sopInstanceUid, 'UI')),
    element(0x0002, 0x0010, 'UI', padded(input.transferSyntaxUid, 'UI')),
    element(0x0002, 0x0012, 'UI', padded(implementationClassUid, 'UI')),
    element(0x0002, 0x0013, 'SH', padded(implementationVersionName, 'SH')),
  ];
  if (input.sourceAet !== undefined && input.sourceAet !== '') {
    elements.push(element(0x0002, 0x0016, 'AE', padded(input.sourceAet, 'AE')));
  }
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  const prefix = Buffer.alloc(132);
  prefix.write('DICM', 128, 'latin1');
  return Buffer.concat([prefix, element(0x0002, 0x0000, 'UL', groupLength), body]);
}
