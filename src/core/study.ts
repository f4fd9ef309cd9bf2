/**
 * Studies as the index sees them, and their life cycle.
 */
import type { InstanceEye } from './eye.ts';

/**
 * Study states, in order. `receiving`: instances are arriving; `stable`: the quiet period passed with no new
 * instance; `routed`: assembled into a Case and matched against the routing rules. A new instance for a
 * stable or routed study sends it back to `receiving`.
 */
export const studyStates = ['receiving', 'stable', 'routed'] as const;

/** One study state. */
export type StudyState = (typeof studyStates)[number];

/** A study row of the index. */
export interface StudySummary {
  readonly studyInstanceUid: string;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly patientBirthDate?: string;
  readonly patientSex?: string;
  readonly studyDate?: string;
  readonly studyTime?: string;
  readonly accessionNumber?: string;
  readonly studyDescription?: string;
  readonly site: string;
  readonly state: StudyState;
  readonly modalities: readonly string[];
  readonly eyes: readonly InstanceEye[];
  readonly instanceCount: number;
  readonly seriesCount: number;
  readonly firstReceivedAt: Date;
  readonly lastReceivedAt: Date;
  readonly stableAt?: Date;
  readonly routedAt?: Date;
  /** Incremented at every state change; guards concurrent transitions. */
  readonly version: number;
}
