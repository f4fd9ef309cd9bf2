/**
 * DIMSE status codes used by Fovea's SCP and SCU, and their classification.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#chapter_C
 */

/**
 * DIMSE status values (PS3.7 Annex C and the Storage service class, PS3.4 B.2.3).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3
 */
export const dimseStatus = {
  Success: 0x0000,
  /** Warning: coercion of data elements (C-STORE). */
  CoercionOfDataElements: 0xb000,
  /** Warning: data set does not match SOP class (C-STORE). */
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** Warning: elements discarded (C-STORE). */
  ElementsDiscarded: 0xb006,
  /** Failure: refused, out of resources (C-STORE). */
  OutOfResources: 0xa700,
  /** Failure: data set does not match SOP class (C-STORE). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Failure: cannot understand (C-STORE). */
  CannotUnderstand: 0xc000,
  /** Failure: refused, SOP class not supported. */
  SopClassNotSupported: 0x0122,
  /** Failure: refused, not authorized. */
  NotAuthorized: 0x0124,
  /** Failure: processing failure. */
  ProcessingFailure: 0x0110,
  /** Failure: duplicate SOP instance. */
  DuplicateSopInstance: 0x0111,
  /** Failure: invalid SOP instance. */
  InvalidSopInstance: 0x0117,
  /** Failure: mistyped argument. */
  MistypedArgument: 0x0212,
  /** Failure: unrecognized operation. */
  UnrecognizedOperation: 0x0211,
  /** Failure: duplicate invocation (message ID already in use). */
  DuplicateInvocation: 0x0210,
  /** Failure: resource limitation. */
  ResourceLimitation: 0x0213,
  /** Cancel. */
  Cancel: 0xfe00,
  /** Pending (C-FIND, C-MOVE, C-GET). */
  Pending: 0xff00,
} as const;

/** The general class of a DIMSE status. */
export type DimseStatusClass = 'success' | 'warning' | 'failure' | 'cancel' | 'pending';

/**
 * Classifies a status value by the ranges of PS3.7 Annex C.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_C.1
 */
export function classifyStatus(status: number): DimseStatusClass {
  if (status === 0x0000) {
    return 'success';
  }
  if (status === 0x0001 || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) {
    return 'warning';
  }
  if (status === 0xfe00) {
    return 'cancel';
  }
  if (status === 0xff00 || status === 0xff01) {
    return 'pending';
  }
  return 'failure';
}
