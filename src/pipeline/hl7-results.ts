/**
 * The HL7 v2 messages of the outbox (`docs/conformance/hl7.md` §9): per MLLP destination of role `results`,
 * one ORU^R01 per visible analysis and version (preliminary on publish, final or corrected on sign-off); per
 * destination of role `alerts`, an ORU^R01 critical-finding alert when the study is triaged `stat`; per
 * destination of role `orders`, an ORM^O01 priority update (XO, STAT) for a `stat` study with an accession
 * number. Each message is built for one destination (its MSH-5/MSH-6), with an id and MSH-10 derived from
 * what it reports, so publishing or signing again queues nothing new and a retry resends the same bytes.
 */
import type { DeliveryDestination, MllpDestination, MllpRole } from '../config/index.ts';
import type { AnalysisRecord, Finding } from '../core/finding.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { ImagingOrder } from '../core/patient-context.ts';
import type { StudyTriage, TriageBucket } from '../core/triage.ts';
import { idFromName, uidFromName } from '../core/uid.ts';
import {
  buildCriticalFindingAlert,
  buildOrderPriorityUpdate,
  buildOruR01,
  controlIdFromName,
  encodeHl7Bytes,
  type Hl7Endpoints,
  type Hl7PatientInput,
  type Hl7ResultStatus,
  type Hl7StudyInput,
  type Hl7Verifier,
} from '../hl7/index.ts';
import type { Hl7OutboxObject } from './outbox.ts';

/** The media type written as the "SOP Class UID" of an HL7 v2 result object (HL7 over HTTP's ER7 type). */
export const hl7MediaType = 'x-application/hl7-v2+er7';

/** Who and which study the messages of a study are about, from the index. */
export interface Hl7Subject {
  readonly patient: Hl7PatientInput;
  readonly study: Hl7StudyInput;
}

/** The MLLP destinations of a role. */
export function mllpDestinations(
  destinations: readonly DeliveryDestination[],
  role: MllpRole,
): MllpDestination[] {
  return destinations.filter(
    (destination): destination is MllpDestination =>
      destination.protocol === 'mllp' && destination.role === role,
  );
}

/** The patient (Patient ID with issuer, name, birth date, sex) and study of a study's HL7 messages. */
export async function hl7SubjectOf(
  index: InstanceIndex,
  studyInstanceUid: string,
): Promise<Hl7Subject | undefined> {
  const study = await index.getStudy(studyInstanceUid);
  if (study?.patientId === undefined || study.patientId.trim() === '') {
    return undefined;
  }
  const issuer = (await index.getAssembly(studyInstanceUid))?.case.issuerOfPatientId;
  return {
    patient: {
      patientId: study.patientId,
      ...(issuer === undefined || issuer === '' ? {} : { issuerOfPatientId: issuer }),
      ...(study.patientName === undefined ? {} : { patientName: study.patientName }),
      ...(study.patientBirthDate === undefined ? {} : { birthDate: study.patientBirthDate }),
      ...(study.patientSex === undefined ? {} : { sex: study.patientSex }),
    },
    study: {
      studyInstanceUid,
      ...(study.accessionNumber === undefined || study.accessionNumber === ''
        ? {}
        : { accessionNumber: study.accessionNumber }),
      ...(study.studyDate === undefined ? {} : { studyDate: study.studyDate }),
      ...(study.studyTime === undefined ? {} : { studyTime: study.studyTime }),
    },
  };
}

function endpointsOf(destination: MllpDestination): Hl7Endpoints {
  return {
    ...(destination.sendingFacility === undefined ? {} : { sendingFacility: destination.sendingFacility }),
    ...(destination.receivingApplication === undefined
      ? {}
      : { receivingApplication: destination.receivingApplication }),
    ...(destination.receivingFacility === undefined
      ? {}
      : { receivingFacility: destination.receivingFacility }),
  };
}

function outboxObject(
  name: string,
  studyInstanceUid: string,
  destination: MllpDestination,
  bytes: Uint8Array,
): Hl7OutboxObject {
  return {
    kind: 'hl7',
    sopClassUid: hl7MediaType,
    sopInstanceUid: uidFromName(`hl7:${name}:${destination.id}`),
    seriesInstanceUid: uidFromName(`hl7-series:${studyInstanceUid}`),
    part10: bytes,
    destination: destination.id,
  };
}

/** One version of an analysis's results. */
export interface Hl7ResultVersion {
  readonly status: Hl7ResultStatus;
  /** `preliminary`, `final`, `corrected-<revision>`: part of the message's id and MSH-10. */
  readonly label: string;
  /** MSH-7. */
  readonly at: Date;
  readonly verifier?: Hl7Verifier;
}

/**
 * The ORU^R01 of one analysis version for each `results` destination.
 * @param flags buckets the site's measurement rules suggest, by finding id (OBX-8).
 */
export function buildHl7ResultObjects(
  analysis: AnalysisRecord,
  subject: Hl7Subject,
  destinations: readonly DeliveryDestination[],
  version: Hl7ResultVersion,
  options: { readonly useCaseText?: string; readonly flags?: ReadonlyMap<string, TriageBucket> } = {},
): Hl7OutboxObject[] {
  if (analysis.findings.length === 0) {
    return [];
  }
  return mllpDestinations(destinations, 'results').map((destination) => {
    const name = `oru:${analysis.id}:${version.label}`;
    const message = buildOruR01({
      endpoints: endpointsOf(destination),
      controlId: controlIdFromName(`${name}:${destination.id}`),
      messageDateTime: version.at,
      patient: subject.patient,
      study: subject.study,
      analysis,
      status: version.status,
      ...(options.useCaseText === undefined ? {} : { useCaseText: options.useCaseText }),
      ...(version.verifier === undefined ? {} : { verifier: version.verifier }),
      ...(options.flags === undefined ? {} : { flags: options.flags }),
    });
    return outboxObject(name, subject.study.studyInstanceUid, destination, encodeHl7Bytes(message));
  });
}

/** What a `stat` study sends: the alert per `alerts` destination and the priority update per `orders` one. */
export interface CriticalMessages {
  readonly alerts: Hl7OutboxObject[];
  readonly orders: Hl7OutboxObject[];
}

/**
 * The critical-finding alerts and order priority updates of a study triaged `stat` (none otherwise). The
 * alert is identified by the study and the findings behind its stat reasons (a new stat finding gives a new
 * alert; publishing again gives none); the priority update by the study and its accession number (sent once).
 * @param findings the study's findings, to report the coded finding behind each reason.
 * @param order the order of the accession number when Fovea received it over HL7 (placer/filler numbers).
 */
export function buildCriticalObjects(
  triage: StudyTriage | undefined,
  subject: Hl7Subject,
  destinations: readonly DeliveryDestination[],
  findings: readonly Finding[],
  at: Date,
  order?: ImagingOrder,
): CriticalMessages {
  const stat = triage?.bucket === 'stat' ? triage.reasons.filter((reason) => reason.bucket === 'stat') : [];
  if (triage === undefined || stat.length === 0) {
    return { alerts: [], orders: [] };
  }
  const uid = subject.study.studyInstanceUid;
  const byId = new Map(findings.map((finding) => [finding.id, finding]));
  const key = `${uid}:${stat
    .map((reason) => reason.findingId)
    .sort()
    .join(',')}`;
  const alerts = mllpDestinations(destinations, 'alerts').map((destination) => {
    const name = `alert:${key}`;
    const message = buildCriticalFindingAlert({
      endpoints: endpointsOf(destination),
      controlId: controlIdFromName(`${name}:${destination.id}`),
      messageDateTime: at,
      patient: subject.patient,
      study: subject.study,
      alertId: `alert-${idFromName(key).slice(0, 24)}`,
      reasons: stat.map((reason) => {
        const finding = byId.get(reason.findingId);
        return {
          eye: reason.eye,
          reason: reason.reason,
          analyzerId: reason.analyzerId,
          ...(finding === undefined ? {} : { finding, analyzerVersion: finding.provenance.analyzerVersion }),
        };
      }),
    });
    return outboxObject(name, uid, destination, encodeHl7Bytes(message));
  });
  const accession = subject.study.accessionNumber;
  const orders =
    accession === undefined
      ? []
      : mllpDestinations(destinations, 'orders').map((destination) => {
          const name = `order-priority:${uid}:${accession}`;
          const message = buildOrderPriorityUpdate({
            endpoints: endpointsOf(destination),
            controlId: controlIdFromName(`${name}:${destination.id}`),
            messageDateTime: at,
            patient: subject.patient,
            order: {
              accessionNumber: accession,
              studyInstanceUid: uid,
              ...(order?.placerOrderNumber === undefined
                ? {}
                : { placerOrderNumber: order.placerOrderNumber }),
              ...(order?.fillerOrderNumber === undefined
                ? {}
                : { fillerOrderNumber: order.fillerOrderNumber }),
              ...(order?.procedure === undefined ? {} : { procedure: order.procedure }),
            },
            reason: stat
              .map((reason) => `${reason.eye === 'R' ? 'right' : 'left'} eye: ${reason.reason}`)
              .join('; '),
          });
          return outboxObject(name, uid, destination, encodeHl7Bytes(message));
        });
  return { alerts, orders };
}
