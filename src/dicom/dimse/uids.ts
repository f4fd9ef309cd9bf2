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

export {
  /** Fovea's implementation class UID, sent in every association (see `core/implementation.ts`). */
  implementationClassUid as defaultImplementationClassUid,
  /** Fovea's implementation version name. */
  implementationVersionName as defaultImplementationVersionName,
} from '../../core/implementation.ts';
