/**
 * Well-known UIDs of the DICOM upper layer and DIMSE, and Fovea's own implementation identity.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part06.html#chapter_A
 */

/**
 * The one DICOM application context name.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_A.2.1
 */
export const dicomApplicationContextName = '1.2.840.10008.3.1.1.1';

/**
 * Verification SOP class (C-ECHO).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_A.4
 */
export const verificationSopClassUid = '1.2.840.10008.1.1';

/**
 * Implicit VR Little Endian, the default transfer syntax every DICOM application supports.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_10.1
 */
export const implicitVrLittleEndian = '1.2.840.10008.1.2';

/**
 * Fovea's implementation class UID (a fixed UID under the 2.25 root), sent in every association.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_D.3.3.2
 */
export const defaultImplementationClassUid = '2.25.274360460746210456553469584039692186248';

/**
 * Fovea's implementation version name (at most 16 characters).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_D.3.3.2
 */
export const defaultImplementationVersionName = 'FOVEA_010';
