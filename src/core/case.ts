/**
 * A Case: what an analysis sees. One patient, one visit, the study's instances grouped by eye, and later the
 * priors and EHR context the analyzers need.
 */
import type { Eye } from './eye.ts';

/** One instance inside a Case. */
export interface CaseInstance {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly seriesInstanceUid: string;
  readonly modality?: string;
  readonly transferSyntaxUid: string;
  readonly instanceNumber?: number;
  readonly rows?: number;
  readonly columns?: number;
  readonly numberOfFrames?: number;
  /** 1 for greyscale (e.g. an infrared SLO image), 3 for colour (a colour fundus photograph). */
  readonly samplesPerPixel?: number;
  /** Path of the Part 10 file relative to the spool root. */
  readonly spoolPath: string;
}

/** The instances of one eye. */
export interface CaseEye {
  readonly eye: Eye;
  readonly instances: readonly CaseInstance[];
}

/** A study assembled for analysis. */
export interface Case {
  readonly studyInstanceUid: string;
  readonly patientId?: string;
  /** Issuer of Patient ID (0010,0021), when the modality sent one. */
  readonly issuerOfPatientId?: string;
  readonly studyDate?: string;
  readonly accessionNumber?: string;
  readonly site: string;
  /** Both eyes, right first; an eye with no instance has an empty list. */
  readonly eyes: readonly CaseEye[];
  /** Instances imaging both eyes at once (laterality B). */
  readonly bothEyes: readonly CaseInstance[];
  /** Instances whose laterality is unknown: never assigned to an eye by guess. */
  readonly unknownEye: readonly CaseInstance[];
  readonly assembledAt: Date;
}
