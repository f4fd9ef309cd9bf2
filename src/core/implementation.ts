/**
 * Fovea's DICOM implementation identification: one class UID and version name, written in every file meta
 * group and sent in every association.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_D.3.3.2
 */

/** Implementation Class UID (a fixed UID under the 2.25 root). */
export const implementationClassUid = '2.25.274360460746210456553469584039692186248';

/** Implementation Version Name (at most 16 characters). */
export const implementationVersionName = 'FOVEA_010';
