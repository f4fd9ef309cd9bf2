/**
 * DICOM unique identifiers.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_9
 */
import { createHash } from 'node:crypto';

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

/**
 * Derives a stable UID under the 2.25 root from a name (the first 128 bits of its SHA-256, as in a
 * name-based UUID), so that a repeated step writes the same object with the same UID.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_B.2
 */
export function uidFromName(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

/** A short stable id (hex) derived from a name. */
export function idFromName(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 32);
}
