/**
 * ORU^R01 (v2.5.1, UTF-8) for Fovea's AI results: one message per analysis and version (preliminary, final,
 * corrected) with one OBX per finding (each finding is about one eye), and the critical-finding alert for a
 * study triaged `stat`, also an ORU^R01. Pure: the same input gives the same bytes, control ID included.
 *
 * Layout: MSH, PID, ORC (RE), OBR (OBR-3 the analysis id, OBR-4 the use case, OBR-7 the study date and time,
 * OBR-18 the accession number, OBR-25 P/F/C), an NTE saying the result is AI-generated, then per finding an
 * OBX (OBX-3 the finding's code — LOINC where the analyzer has one, e.g. 71491-5/71490-7 for DR severity or
 * 57109-1 for CST, else its `99FOVEA` code — OBX-4 the eye, OBX-5 the value, OBX-6 the UCUM unit, OBX-8 the
 * abnormal flag from the triage suggestion, OBX-11 P/F/C (D for a finding the reviewer rejected), OBX-17 the
 * method "AI-generated" with the analyzer, OBX-18 the analyzer as equipment, OBX-19 the analysis time) and an
 * NTE with the confidence, quality reasons or worklist reason when there is one.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch07.html (HL7 v2.5.1 chapter 7, §7.3.1 ORU^R01, §7.4.2 OBX)
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch04.html (HL7 v2.5.1 chapter 4, §4.5.1 ORC, §4.5.3 OBR)
 */
import { FoveaError } from '../core/errors.ts';
import type { Eye } from '../core/eye.ts';
import type { AnalysisRecord, Finding } from '../core/finding.ts';
import { triageBuckets, type TriageBucket } from '../core/triage-suggestion.ts';
import type { Hl7Message, Hl7Segment } from './message.ts';
import {
  dicomDateTimeToHl7,
  dicomNameToXpn,
  foveaApplication,
  foveaCodingSystem,
  hl7Segment,
  hl7SegmentOf,
  outboundMessage,
  outboundMsh,
  outboundPid,
  type Hl7ComponentValue,
  type Hl7Endpoints,
  type Hl7FieldValue,
  type Hl7PatientInput,
} from './outbound.ts';
import { formatHl7Timestamp } from './ack.ts';

/** The version of a result: unreviewed, signed, or a later correction of the signed result. */
export type Hl7ResultStatus = 'preliminary' | 'final' | 'corrected';

/** The study a result is about. */
export interface Hl7StudyInput {
  readonly studyInstanceUid: string;
  /** Accession Number (0008,0050): OBR-18. */
  readonly accessionNumber?: string;
  /** Study Date (DA) and Time (TM): OBR-7 and OBX-14. */
  readonly studyDate?: string;
  readonly studyTime?: string;
}

/** The clinician who signed a final or corrected result (DICOM PN or plain text). */
export interface Hl7Verifier {
  readonly name: string;
  readonly dateTime: Date;
}

/** What an ORU^R01 of one analysis is built from. */
export interface OruR01Input {
  readonly endpoints: Hl7Endpoints;
  /** MSH-10; derive it with `controlIdFromName` so a rebuilt message keeps it. */
  readonly controlId: string;
  /** MSH-7 and OBR-22. */
  readonly messageDateTime: Date;
  readonly patient: Hl7PatientInput;
  readonly study: Hl7StudyInput;
  /** The analysis with the findings to report (for a final version: as reviewed). */
  readonly analysis: AnalysisRecord;
  readonly status: Hl7ResultStatus;
  /** OBR-4.2: the use case's description (the use case id when absent). */
  readonly useCaseText?: string;
  /** OBR-32 for a final or corrected result. */
  readonly verifier?: Hl7Verifier;
  /** Buckets suggested for findings beyond their own (e.g. by the site's measurement rules), by finding id. */
  readonly flags?: ReadonlyMap<string, TriageBucket>;
}

/** One reason a study was triaged `stat`. */
export interface Hl7CriticalReason {
  readonly eye: Eye;
  /** The worklist reason (no PHI), e.g. "proliferative diabetic retinopathy suspected". */
  readonly reason: string;
  /** The finding behind it, reported after the reason when given. */
  readonly finding?: Finding;
  readonly analyzerId: string;
  readonly analyzerVersion?: string;
}

/** What a critical-finding alert is built from. */
export interface CriticalAlertInput {
  readonly endpoints: Hl7Endpoints;
  readonly controlId: string;
  readonly messageDateTime: Date;
  readonly patient: Hl7PatientInput;
  readonly study: Hl7StudyInput;
  /** OBR-3: Fovea's id of the alert. */
  readonly alertId: string;
  readonly reasons: readonly Hl7CriticalReason[];
}

/** HL7 table 0085 / 0123 codes of each version. */
const statusCode: Readonly<Record<Hl7ResultStatus, string>> = {
  preliminary: 'P',
  final: 'F',
  corrected: 'C',
};

/**
 * The HL7 coding system (table 0396) of a finding's coding scheme designator: the DICOM designators LN,
 * SCT, DCM, UCUM and 99FOVEA are the same in HL7; SRT (old SNOMED designator) becomes SCT.
 */
function codingSystem(scheme: string): string {
  return scheme === 'SRT' ? 'SCT' : scheme;
}

/** The coded concept of an OBX-3/OBX-5/OBX-6 (identifier, text, coding system). */
function coded(concept: { value: string; meaning: string; scheme: string }): string[] {
  return [concept.value, concept.meaning, codingSystem(concept.scheme)];
}

const imageQuality = { value: '111694', meaning: 'Image Set Quality Rating', scheme: 'DCM' };
const gradable = { value: 'GRADABLE', meaning: 'Gradable', scheme: foveaCodingSystem };
const ungradable = { value: 'UNGRADABLE', meaning: 'Ungradable', scheme: foveaCodingSystem };
const countUnit = { value: '{count}', meaning: 'count', scheme: 'UCUM' };

/** The most urgent of the buckets given. */
function mostUrgent(buckets: readonly (TriageBucket | undefined)[]): TriageBucket | undefined {
  let best: TriageBucket | undefined;
  for (const bucket of buckets) {
    if (
      bucket !== undefined &&
      (best === undefined || triageBuckets.indexOf(bucket) < triageBuckets.indexOf(best))
    ) {
      best = bucket;
    }
  }
  return best;
}

/**
 * OBX-8 (table 0078) of a suggested bucket: `AA` critically abnormal for stat, `A` abnormal for referable,
 * `N` normal for routine or review-and-release; none for recapture (ungradable is not a finding about the eye).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch07.html#Heading48 (HL7 v2.5.1 §7.4.2.8, OBX-8)
 */
export function abnormalFlagOf(bucket: TriageBucket | undefined): string | undefined {
  switch (bucket) {
    case 'stat':
      return 'AA';
    case 'referable':
      return 'A';
    case 'routine':
    case 'review-and-release':
      return 'N';
    case 'recapture':
    case undefined:
      return undefined;
  }
}

/** The number a measurement prints as (no exponent, at most 6 decimals, no trailing zeros). */
function numeric(value: number): string {
  if (!Number.isFinite(value)) {
    throw new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'a measurement is not a finite number',
      path: 'OBX-5',
    });
  }
  return String(Number(value.toFixed(6)));
}

/** OBX-2, OBX-3, OBX-5, OBX-6 of a finding, and what its NTE says. */
function observationOf(finding: Finding): {
  type: string;
  code: string[];
  value: Hl7ComponentValue[];
  unit?: string[];
  qualifier?: string[];
  note: string[];
} {
  const value = finding.value;
  switch (value.kind) {
    case 'classification':
      return {
        type: 'CWE',
        code: coded(value.concept),
        value: coded(value.value),
        note: value.confidence === undefined ? [] : [`AI confidence ${numeric(value.confidence)}`],
      };
    case 'measurement':
      return {
        type: 'NM',
        code: coded(value.concept),
        value: [numeric(value.value)],
        unit: coded(value.unit),
        ...(value.qualifier === undefined ? {} : { qualifier: coded(value.qualifier) }),
        note: [],
      };
    case 'quality':
      return {
        type: 'CWE',
        code: coded(imageQuality),
        value: coded(value.verdict === 'gradable' ? gradable : ungradable),
        note: [
          `quality score ${numeric(value.score)}`,
          ...(value.reasons.length === 0 ? [] : [`ungradable: ${value.reasons.join(', ')}`]),
        ],
      };
    case 'region': {
      const marks =
        value.graphicType === 'POINT' || value.graphicType === 'MULTIPOINT' ? value.points.length / 2 : 1;
      return {
        type: 'NM',
        code: coded(value.concept),
        value: [String(marks)],
        unit: coded(countUnit),
        note: [
          `number of marks on image ${value.sopInstanceUid}; positions in the DICOM results`,
          ...(value.confidence === undefined ? [] : [`AI confidence ${numeric(value.confidence)}`]),
        ],
      };
    }
  }
}

/** OBX-4 per eye: `R` or `L`, then `R.2`, `R.3` … when the same code comes again for the same eye. */
function subIdAllocator(): (eye: Eye, code: string) => string {
  const seen = new Map<string, number>();
  return (eye, code) => {
    const key = `${eye}|${code}`;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    return count === 1 ? eye : `${eye}.${count}`;
  };
}

/** The analyzer as OBX-17 (method: AI-generated) and OBX-18 (equipment instance: id@version). */
function aiMethod(
  analyzerId: string,
  analyzerVersion: string | undefined,
): {
  method: string[];
  equipment: string[];
} {
  const label = analyzerVersion === undefined ? analyzerId : `${analyzerId}@${analyzerVersion}`;
  return {
    method: ['AI', `AI-generated (${label})`, foveaCodingSystem],
    equipment: [label, foveaApplication],
  };
}

function nte(setId: number, text: string): Hl7Segment {
  return hl7Segment('NTE', [String(setId), 'L', text, ['RE', 'Remark', 'HL70364']]);
}

function requirePatient(patient: Hl7PatientInput): void {
  if (patient.patientId.trim() === '') {
    throw new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'the study has no Patient ID',
      path: 'PID-3',
    });
  }
}

function studyDateTime(study: Hl7StudyInput, fallback: Date): string {
  return dicomDateTimeToHl7(study.studyDate, study.studyTime) ?? formatHl7Timestamp(fallback);
}

/** The findings in report order: right eye, then left, each in the analyzer's order. */
function reportOrder(findings: readonly Finding[]): Finding[] {
  return [...findings.filter((f) => f.eye === 'R'), ...findings.filter((f) => f.eye !== 'R')];
}

/**
 * Builds the ORU^R01 of one analysis's findings: preliminary (OBR-25/OBX-11 `P`) for an unreviewed AI
 * result, final (`F`) once signed, corrected (`C`) for a later revision; a finding the reviewer rejected is
 * sent with OBX-11 `D` (delete the preliminary observation). Throws `FOVEA_MLLP_REQUIRED_FIELD_MISSING` when
 * the study has no Patient ID or there is no finding.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch07.html (HL7 v2.5.1 §7.3.1, ORU^R01)
 */
export function buildOruR01(input: OruR01Input): Hl7Message {
  requirePatient(input.patient);
  const { analysis, study, status } = input;
  if (analysis.findings.length === 0) {
    throw new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'the analysis has no finding to report',
      path: 'OBX',
    });
  }
  const observed = studyDateTime(study, analysis.provenance.finishedAt);
  const analysed = formatHl7Timestamp(analysis.provenance.finishedAt);
  const resultStatus = statusCode[status];
  const filler = [analysis.id, foveaApplication];
  const { method, equipment } = aiMethod(analysis.analyzerId, analysis.analyzerVersion);
  const verifier =
    status === 'preliminary' || input.verifier === undefined
      ? undefined
      : dicomNameToXpn(input.verifier.name);
  const segments: Hl7Segment[] = [
    outboundMsh(input.endpoints, ['ORU', 'R01', 'ORU_R01'], input.controlId, input.messageDateTime),
    outboundPid(input.patient),
    hl7Segment('ORC', ['RE', undefined, filler]),
    hl7SegmentOf('OBR', {
      1: '1',
      3: filler,
      4: [analysis.useCase, input.useCaseText ?? analysis.useCase, foveaCodingSystem],
      7: observed,
      18: study.accessionNumber,
      22: formatHl7Timestamp(input.messageDateTime),
      25: resultStatus,
      32: verifier === undefined ? undefined : [['', verifier[0], verifier[1]]],
    }),
    nte(
      1,
      `AI-generated result of ${analysis.analyzerId}@${analysis.analyzerVersion} ` +
        `(model SHA-256 ${analysis.provenance.modelHash}); ` +
        (status === 'preliminary'
          ? 'preliminary: not reviewed by a clinician.'
          : 'reviewed and signed by a clinician.'),
    ),
  ];
  const subId = subIdAllocator();
  let setId = 0;
  for (const finding of reportOrder(analysis.findings)) {
    const observation = observationOf(finding);
    const bucket = mostUrgent([finding.triage?.bucket, input.flags?.get(finding.id)]);
    setId += 1;
    segments.push(
      hl7SegmentOf('OBX', {
        1: String(setId),
        2: observation.type,
        3: observation.code,
        4: subId(finding.eye, observation.code[0]!),
        5: observation.value,
        6: observation.unit,
        8: abnormalFlagOf(bucket),
        11: status !== 'preliminary' && finding.status === 'rejected' ? 'D' : resultStatus,
        14: observed,
        17: { repetitions: observation.qualifier === undefined ? [method] : [method, observation.qualifier] },
        18: equipment,
        19: analysed,
      }),
    );
    const note = [
      ...observation.note,
      ...(finding.triage === undefined
        ? []
        : [`worklist: ${finding.triage.bucket} (${finding.triage.reason})`]),
    ];
    if (note.length > 0) {
      segments.push(nte(1, `${note.join('; ')}.`));
    }
  }
  return outboundMessage(segments);
}

/** An OBX of the critical-finding alert: abnormal flag `AA`, status `P` (not reviewed). */
function alertObx(obx: {
  readonly setId: number;
  readonly type: string;
  readonly code: Hl7FieldValue;
  readonly subId: string;
  readonly value: Hl7FieldValue;
  readonly unit?: Hl7FieldValue;
  readonly observed: string | undefined;
  readonly method: Hl7FieldValue;
  readonly equipment: Hl7FieldValue;
  readonly analysed: string;
}): Hl7Segment {
  return hl7SegmentOf('OBX', {
    1: String(obx.setId),
    2: obx.type,
    3: obx.code,
    4: obx.subId,
    5: obx.value,
    6: obx.unit,
    8: 'AA',
    11: 'P',
    14: obx.observed,
    17: obx.method,
    18: obx.equipment,
    19: obx.analysed,
  });
}

/**
 * Builds the critical-finding alert of a study triaged `stat`: an ORU^R01 whose OBR-4 is
 * `CRITICAL-FINDING^Critical finding suggested by AI^99FOVEA`, with TQ1-9 priority `S` (stat), and per
 * reason an ST OBX `CRITICAL-REASON` carrying the reason with OBX-8 `AA`, followed by the coded finding
 * behind it (also `AA`). Everything is preliminary (`P`): the AI's suggestion has not been reviewed.
 * ORU^R01 rather than a dedicated message because every results interface of a RIS or EHR accepts it and
 * routes OBX-8 `AA` to its critical-results workflow; v2.5.1 has no general alert message.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch07.html (HL7 v2.5.1 §7.3.1, ORU^R01; §7.4.2.8, OBX-8)
 */
export function buildCriticalFindingAlert(input: CriticalAlertInput): Hl7Message {
  requirePatient(input.patient);
  if (input.reasons.length === 0) {
    throw new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'a critical-finding alert needs a reason',
      path: 'OBX',
    });
  }
  const at = formatHl7Timestamp(input.messageDateTime);
  const observed = studyDateTime(input.study, input.messageDateTime);
  const filler = [input.alertId, foveaApplication];
  const segments: Hl7Segment[] = [
    outboundMsh(input.endpoints, ['ORU', 'R01', 'ORU_R01'], input.controlId, input.messageDateTime),
    outboundPid(input.patient),
    hl7Segment('ORC', ['RE', undefined, filler]),
    hl7SegmentOf('OBR', {
      1: '1',
      3: filler,
      4: ['CRITICAL-FINDING', 'Critical finding suggested by AI', foveaCodingSystem],
      7: observed,
      18: input.study.accessionNumber,
      22: at,
      25: 'P',
    }),
    nte(
      1,
      'AI-generated critical-finding alert: not reviewed by a clinician; review the images with priority.',
    ),
    hl7SegmentOf('TQ1', { 1: '1', 9: ['S', 'Stat', 'HL70485'] }),
  ];
  const subId = subIdAllocator();
  let setId = 0;
  for (const reason of input.reasons) {
    const { method, equipment } = aiMethod(
      reason.analyzerId,
      reason.analyzerVersion ?? reason.finding?.provenance.analyzerVersion,
    );
    const reasonCode = ['CRITICAL-REASON', 'Critical finding reason (AI)', foveaCodingSystem];
    setId += 1;
    segments.push(
      alertObx({
        setId,
        type: 'ST',
        code: reasonCode,
        subId: subId(reason.eye, reasonCode[0]!),
        value: reason.reason,
        observed,
        method,
        equipment,
        analysed: at,
      }),
    );
    if (reason.finding !== undefined) {
      const observation = observationOf(reason.finding);
      setId += 1;
      segments.push(
        alertObx({
          setId,
          type: observation.type,
          code: observation.code,
          subId: subId(reason.eye, observation.code[0]!),
          value: observation.value,
          unit: observation.unit,
          observed,
          method,
          equipment,
          analysed: formatHl7Timestamp(reason.finding.provenance.finishedAt),
        }),
      );
    }
  }
  return outboundMessage(segments);
}
