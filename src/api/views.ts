/**
 * Turning domain objects into API views (dates as ISO strings, no internal fields such as spool paths).
 */
import type { InstanceRecord } from '../core/instance.ts';
import type { ContextObservation } from '../core/patient-context.ts';
import type { StudySummary } from '../core/study.ts';
import type { ContextObservationView, InstanceView, StudySummaryView } from './schemas.ts';

/** A study for the API. */
export function studyView(study: StudySummary): StudySummaryView {
  const { version: _version, firstReceivedAt, lastReceivedAt, stableAt, routedAt, ...rest } = study;
  return {
    ...rest,
    modalities: [...study.modalities],
    eyes: [...study.eyes],
    firstReceivedAt: firstReceivedAt.toISOString(),
    lastReceivedAt: lastReceivedAt.toISOString(),
    ...(stableAt === undefined ? {} : { stableAt: stableAt.toISOString() }),
    ...(routedAt === undefined ? {} : { routedAt: routedAt.toISOString() }),
  };
}

/** An instance for the API. */
export function instanceView(record: InstanceRecord): InstanceView {
  const optional = {
    modality: record.modality,
    seriesNumber: record.seriesNumber,
    seriesDescription: record.seriesDescription,
    instanceNumber: record.instanceNumber,
    rows: record.rows,
    columns: record.columns,
    numberOfFrames: record.numberOfFrames,
    manufacturer: record.manufacturer,
    manufacturerModelName: record.manufacturerModelName,
  };
  return {
    sopInstanceUid: record.sopInstanceUid,
    sopClassUid: record.sopClassUid,
    seriesInstanceUid: record.seriesInstanceUid,
    transferSyntaxUid: record.transferSyntaxUid,
    eye: record.eye,
    sizeBytes: record.sizeBytes,
    receivedAt: record.receivedAt.toISOString(),
    origin: { ...record.origin },
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/** One observation of the patient's EHR context for the API (dates as ISO strings). */
export function contextObservationView(observation: ContextObservation): ContextObservationView {
  return {
    id: observation.id,
    kind: observation.kind,
    system: observation.system,
    code: observation.code,
    ...(observation.display === undefined ? {} : { display: observation.display }),
    ...(observation.value === undefined ? {} : { value: observation.value }),
    ...(observation.unit === undefined ? {} : { unit: observation.unit }),
    ...(observation.eye === undefined ? {} : { eye: observation.eye }),
    ...(observation.observedAt === undefined ? {} : { observedAt: observation.observedAt.toISOString() }),
    ...(observation.status === undefined ? {} : { status: observation.status }),
    source: { ...observation.source },
    receivedAt: observation.receivedAt.toISOString(),
  };
}
