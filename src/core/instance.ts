/**
 * The indexed view of one DICOM instance: what Fovea keeps from its header, named by DICOM keyword in camelCase.
 */
import type { InstanceEye } from './eye.ts';
import type { Origin } from './origin.ts';

/** Header attributes read from a received instance (everything but the pixel data). */
export interface InstanceHeader {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly specificCharacterSet?: string;
  readonly patientId?: string;
  readonly issuerOfPatientId?: string;
  readonly patientName?: string;
  readonly patientBirthDate?: string;
  readonly patientSex?: string;
  readonly studyDate?: string;
  readonly studyTime?: string;
  readonly studyId?: string;
  readonly accessionNumber?: string;
  readonly studyDescription?: string;
  readonly modality?: string;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  readonly bodyPartExamined?: string;
  /** Laterality (0020,0060), series level. */
  readonly laterality?: string;
  /** Image Laterality (0020,0062). */
  readonly imageLaterality?: string;
  /** Frame Laterality (0020,9072) of the first frame that has one. */
  readonly frameLaterality?: string;
  /** Measurement Laterality (0024,0113) of visual-field measurements. */
  readonly measurementLaterality?: string;
  /** The eye Fovea resolved from the three attributes above. */
  readonly eye: InstanceEye;
  readonly instanceNumber?: number;
  readonly contentDate?: string;
  readonly contentTime?: string;
  readonly acquisitionDateTime?: string;
  readonly manufacturer?: string;
  readonly manufacturerModelName?: string;
  readonly stationName?: string;
  readonly deviceSerialNumber?: string;
  readonly softwareVersions?: string;
  readonly rows?: number;
  readonly columns?: number;
  readonly numberOfFrames?: number;
  readonly samplesPerPixel?: number;
  readonly photometricInterpretation?: string;
  readonly bitsAllocated?: number;
}

/** An instance as the index holds it: header, origin, where its bytes are, and when it arrived. */
export interface InstanceRecord extends InstanceHeader {
  readonly origin: Origin;
  /** Path of the Part 10 file relative to the spool root. */
  readonly spoolPath: string;
  readonly sizeBytes: number;
  readonly receivedAt: Date;
}
