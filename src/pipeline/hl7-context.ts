/**
 * HL7 v2 patient context in: the MLLP server's handler. ADT messages identify patients, A40 merges move what
 * Fovea knows to the surviving identifier, ORM/OMI orders link accession numbers (and study UIDs) to patients,
 * ORU results (HbA1c and other observations) become the patient context every later Case carries. The
 * handler answers AA only after the store has committed; a resent message stores nothing twice (observation
 * ids come from the sender, MSH-10 and the OBX position; orders are keyed by accession number).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original-mode ACK)
 */
import { FoveaError, toFoveaError } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { ContextObservation, PatientContextStore } from '../core/patient-context.ts';
import { interpretHl7, type Hl7MessageHandler, type Hl7Observation, type Hl7Source } from '../hl7/index.ts';

/** LOINC codes of the DR severity level per eye (a prior grade sent as a result). */
const drGradeEye: Readonly<Record<string, 'R' | 'L'>> = { '71491-5': 'R', '71490-7': 'L' };

const systems: Readonly<Record<string, string>> = {
  LN: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  I10: 'http://hl7.org/fhir/sid/icd-10',
};

function reference(source: Hl7Source): string {
  return `${source.sendingApplication ?? ''}|${source.sendingFacility ?? ''}|${source.controlId}`;
}

/** An HL7 time without an offset is taken as the Fovea host's local time (document the site's zone). */
function dateOf(iso: string | undefined): Date | undefined {
  if (iso === undefined) {
    return undefined;
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function observationOf(source: Hl7Source, observation: Hl7Observation, receivedAt: Date): ContextObservation {
  const eye = drGradeEye[observation.code.code];
  const observedAt = dateOf(observation.observedAt);
  const system = observation.code.system ?? '';
  return {
    id: `hl7v2:${reference(source)}:${observation.ordinal}`,
    kind: eye === undefined ? 'lab' : 'grade',
    system: systems[system] ?? system,
    code: observation.code.code,
    ...(observation.code.text === undefined ? {} : { display: observation.code.text }),
    ...(observation.value === undefined ? {} : { value: observation.value }),
    ...(observation.unit === undefined ? {} : { unit: observation.unit }),
    ...(eye === undefined ? {} : { eye }),
    ...(observedAt === undefined ? {} : { observedAt }),
    ...(observation.status === undefined ? {} : { status: observation.status }),
    source: { protocol: 'hl7v2', reference: reference(source) },
    receivedAt,
  };
}

/** The MLLP handler that stores patient context. */
export function hl7ContextHandler(deps: {
  readonly context: PatientContextStore;
  readonly logger: Logger;
}): Hl7MessageHandler {
  return async (message, received) => {
    const meaning = interpretHl7(message);
    try {
      switch (meaning.kind) {
        case 'observations': {
          const added = await deps.context.recordObservations(
            meaning.patient.key,
            meaning.observations.map((observation) =>
              observationOf(meaning.source, observation, received.receivedAt),
            ),
          );
          deps.logger.info(
            {
              event: logEvents.CONTEXT_RECORDED,
              messageType: meaning.source.messageType,
              observations: meaning.observations.length,
              added,
            },
            'patient context recorded',
          );
          break;
        }
        case 'orders':
          for (const order of meaning.orders) {
            await deps.context.recordOrder({
              accessionNumber: order.accessionNumber,
              patient: meaning.patient.key,
              ...(order.placerOrderNumber === undefined
                ? {}
                : { placerOrderNumber: order.placerOrderNumber }),
              ...(order.fillerOrderNumber === undefined
                ? {}
                : { fillerOrderNumber: order.fillerOrderNumber }),
              ...(order.studyInstanceUid === undefined ? {} : { studyInstanceUid: order.studyInstanceUid }),
              ...(order.procedure === undefined
                ? {}
                : { procedure: order.procedure.text ?? order.procedure.code }),
              ...(order.priority === undefined ? {} : { priority: order.priority }),
              ...(order.control === undefined ? {} : { control: order.control }),
              source: { protocol: 'hl7v2', reference: reference(meaning.source) },
              receivedAt: received.receivedAt,
            });
          }
          break;
        case 'merge':
          for (const merge of meaning.merges) {
            for (const from of merge.from) {
              await deps.context.mergePatients(
                {
                  patientId: from.id,
                  ...(from.assigningAuthority === undefined ? {} : { issuer: from.assigningAuthority }),
                },
                merge.patient.key,
              );
            }
          }
          break;
        case 'patient':
          break;
        case 'unsupported':
          return {
            ack: 'AR',
            error: new FoveaError('FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED', { detail: meaning.reason }),
          };
      }
    } catch (error) {
      const failure = toFoveaError(error);
      throw failure.code === 'FOVEA_INTERNAL'
        ? new FoveaError('FOVEA_STORE_UNAVAILABLE', {
            detail: 'the patient context could not be stored',
            cause: error,
          })
        : failure;
    }
    return { ack: 'AA' };
  };
}
