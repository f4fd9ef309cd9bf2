/**
 * DICOM unique identifiers.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_9
 */

const uidPattern = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;

/** Whether a string is a well-formed UID (digits and dots, no leading zeros, at most 64 characters). */
export function isValidUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && uidPattern.test(value);
}

/**
 * Whether a UID is safe to use as a file name component. Devices sometimes send UIDs with leading zeros,
 * which are not conformant but harmless; only digits and dots are ever allowed.
 */
export function isFileSafeUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && /^[0-9]+(\.[0-9]+)*$/.test(value);
}

/**
 * Makes a new UID under the 2.25 root from a random UUID.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_B.2
 */
export function newUid(): string {
  const hex = crypto.randomUUID().replaceAll('-', '');
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}
