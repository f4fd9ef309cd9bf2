/**
 * The order priority update Fovea sends when the AI triages a study with an accession number `stat`: an
 * ORM^O01 (v2.5.1, UTF-8) with ORC-1 `XO` (change order request) and priority `S` in ORC-7.6, TQ1-9 and
 * OBR-27.6, the order found by its numbers (ORC-2/ORC-3 when Fovea received the order over HL7) and by the
 * accession number (OBR-18), and the study in ZDS-1 as IHE Radiology does.
 *
 * ORM^O01 rather than OMI^O23: it is the order message RIS and PACS of IHE Radiology Scheduled Workflow
 * accept most widely, and OMI^O23's IPC segment requires the Requested Procedure and Scheduled Procedure
 * Step IDs, which the order filler owns and Fovea does not know. Fovea's own inbound side reads both.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch04.html (HL7 v2.5.1 chapter 4: §4.4.1 ORM^O01, §4.5.1 ORC, §4.5.3 OBR, §4.5.4 TQ1)
 */
import { FoveaError } from '../core/errors.ts';
import { formatHl7Timestamp } from './ack.ts';
import type { Hl7Message } from './message.ts';
import {
  foveaApplication,
  foveaCodingSystem,
  hl7Segment,
  hl7SegmentOf,
  outboundMessage,
  outboundMsh,
  outboundPid,
  type Hl7Endpoints,
  type Hl7PatientInput,
} from './outbound.ts';

/** The order whose priority changes. */
export interface Hl7OrderInput {
  /** Accession Number: OBR-18. */
  readonly accessionNumber: string;
  /** ORC-2 / OBR-2, when the order came in over HL7. */
  readonly placerOrderNumber?: string;
  /** ORC-3 / OBR-3, when the order came in over HL7. */
  readonly fillerOrderNumber?: string;
  /** OBR-4 text: the ordered procedure (default: "Ophthalmic imaging"). */
  readonly procedure?: string;
  /** ZDS-1. */
  readonly studyInstanceUid: string;
}

/** What an order priority update is built from. */
export interface OrderPriorityInput {
  readonly endpoints: Hl7Endpoints;
  readonly controlId: string;
  /** MSH-7 and ORC-9. */
  readonly messageDateTime: Date;
  readonly patient: Hl7PatientInput;
  readonly order: Hl7OrderInput;
  /** Why (the worklist reasons, no PHI): the NTE after the OBR. */
  readonly reason: string;
}

const stat = ['S', 'Stat', 'HL70485'];
/** TQ with only component 6 (priority) valued: `^^^^^S`. */
const statTiming = ['', '', '', '', '', 'S'];

/**
 * Builds an ORM^O01 order change (ORC-1 `XO`) raising an imaging order's priority to STAT. Throws
 * `FOVEA_MLLP_REQUIRED_FIELD_MISSING` without Patient ID or accession number.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch04.html (HL7 v2.5.1 §4.4.1, ORM^O01; §4.5.1.1, ORC-1 XO)
 */
export function buildOrderPriorityUpdate(input: OrderPriorityInput): Hl7Message {
  const { order } = input;
  if (input.patient.patientId.trim() === '') {
    throw new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'the study has no Patient ID',
      path: 'PID-3',
    });
  }
  if (order.accessionNumber.trim() === '') {
    throw new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'the study has no accession number',
      path: 'OBR-18',
    });
  }
  const at = formatHl7Timestamp(input.messageDateTime);
  const placer = order.placerOrderNumber;
  const filler = order.fillerOrderNumber;
  const procedure =
    order.procedure === undefined || order.procedure === ''
      ? ['OPH-IMAGING', 'Ophthalmic imaging', foveaCodingSystem]
      : ['', order.procedure];
  return outboundMessage([
    outboundMsh(input.endpoints, ['ORM', 'O01', 'ORM_O01'], input.controlId, input.messageDateTime),
    outboundPid(input.patient),
    hl7SegmentOf('ORC', {
      1: 'XO',
      2: placer,
      3: filler,
      7: statTiming,
      9: at,
      16: ['STAT-AI', 'Priority raised by AI triage', foveaCodingSystem],
    }),
    hl7SegmentOf('TQ1', { 1: '1', 9: stat }),
    hl7SegmentOf('OBR', {
      1: '1',
      2: placer,
      3: filler,
      4: procedure,
      18: order.accessionNumber,
      27: statTiming,
    }),
    hl7Segment('NTE', [
      '1',
      'L',
      `Priority raised to STAT by AI triage (not reviewed by a clinician): ${input.reason}`,
      ['RE', 'Remark', 'HL70364'],
    ]),
    hl7Segment('ZDS', [[order.studyInstanceUid, foveaApplication, 'Application', 'DICOM']]),
  ]);
}
