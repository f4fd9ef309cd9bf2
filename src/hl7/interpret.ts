/**
 * What Fovea reads from the messages it accepts: patient identity (ADT^A01/A04/A08/A31), merges (ADT^A40),
 * imaging orders (ORM^O01, OMI^O23) and lab observations (ORU^R01, HbA1c recognised). Pure functions: the
 * owner decides what to store.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch03.html (HL7 v2.5.1 chapter 3, patient administration)
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch04.html (chapter 4, order entry)
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch07.html (chapter 7, observation reporting)
 */
import { FoveaError } from '../core/errors.ts';
import { hba1cLoincCodes, type PatientKey } from '../core/patient-context.ts';
import { fieldValue, type Hl7Message, type Hl7Repetition, type Hl7Segment } from './message.ts';

/**
 * One patient identifier (CX): PID-3 or MRG-1 repetition.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02a.html (HL7 v2.5.1 §2.A.14, CX)
 */
export interface Hl7PatientIdentifier {
  readonly id: string;
  /** CX-4 (HD): namespace ID, else universal ID. */
  readonly assigningAuthority?: string;
  /** CX-5, e.g. `MR`. */
  readonly identifierType?: string;
}

/** A person name (XPN, PID-5 first repetition). */
export interface Hl7PersonName {
  readonly family?: string;
  readonly given?: string;
  readonly middle?: string;
}

/**
 * Who a message is about (PID).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch03.html#Heading62 (HL7 v2.5.1 §3.4.2, PID)
 */
export interface Hl7PatientIdentity {
  /** The first `MR` identifier of PID-3, else its first identifier. */
  readonly key: PatientKey;
  readonly identifiers: readonly Hl7PatientIdentifier[];
  readonly name?: Hl7PersonName;
  /** PID-7 as an ISO 8601 date (`1960-01-01`, or `1960-01` / `1960` when the sender gave less). */
  readonly birthDate?: string;
  /** PID-8 (table 0001): F, M, O, U, A, N. */
  readonly sex?: string;
}

/** Where an interpretation came from: the message's type and control ID. */
export interface Hl7Source {
  readonly messageType: string;
  readonly controlId: string;
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
}

/** A coded element (CE/CWE): identifier, text, coding system (HL7 table 0396 name such as `LN`). */
export interface Hl7Code {
  readonly code: string;
  readonly text?: string;
  readonly system?: string;
}

/**
 * One imaging order (ORC + OBR [+ TQ1, IPC, ZDS]).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch04.html (HL7 v2.5.1 §4.5 ORC/OBR; §4.8 OMI, IPC)
 */
export interface Hl7Order {
  /** OBR-18 (ORM, IHE RAD) or IPC-1 (OMI). */
  readonly accessionNumber: string;
  /** ORC-1: NW new, XO changed, CA cancelled, SC status changed … */
  readonly control?: string;
  readonly placerOrderNumber?: string;
  readonly fillerOrderNumber?: string;
  /** OBR-4, universal service identifier. */
  readonly procedure?: Hl7Code;
  /** IPC-2 or OBR-19. */
  readonly requestedProcedureId?: string;
  /** TQ1-9, else ORC-7.6, else OBR-27.6 (S stat, A ASAP, R routine …). */
  readonly priority?: string;
  /** ZDS-1 (IHE) or IPC-3. */
  readonly studyInstanceUid?: string;
  /** IPC-5. */
  readonly modality?: string;
}

/**
 * One observation (OBX) of an ORU^R01.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch07.html#Heading48 (HL7 v2.5.1 §7.4.2, OBX)
 */
export interface Hl7Observation {
  /** 1-based position of the OBX in the message (a stable reference together with MSH-10). */
  readonly ordinal: number;
  /** OBX-3; when the primary code is not LOINC and the alternate is, the alternate. */
  readonly code: Hl7Code;
  /** Whether OBX-3 is one of the HbA1c LOINC codes (4548-4, 17856-6, 59261-8). */
  readonly isHba1c: boolean;
  /** OBX-2 (table 0125). */
  readonly valueType?: string;
  /** OBX-5: a number for NM (and plain SN), the identifier for CE/CWE, else the text. */
  readonly value?: number | string;
  /** OBX-5.2 for CE/CWE values. */
  readonly valueText?: string;
  /** OBX-6.1, the unit code (UCUM when OBX-6.3 says so). */
  readonly unit?: string;
  /** OBX-8 abnormal flags. */
  readonly abnormalFlags?: readonly string[];
  /** OBX-11 (table 0085): P, F, C … */
  readonly status?: string;
  /** OBX-14, else OBR-7, as ISO 8601 (offset kept when sent). */
  readonly observedAt?: string;
  /** OBR-4 of the order the OBX belongs to. */
  readonly panel?: Hl7Code;
}

/** What a message means to Fovea. */
export type Hl7Interpretation =
  | { readonly kind: 'patient'; readonly source: Hl7Source; readonly patient: Hl7PatientIdentity }
  | {
      readonly kind: 'merge';
      readonly source: Hl7Source;
      readonly merges: readonly {
        readonly patient: Hl7PatientIdentity;
        readonly from: readonly Hl7PatientIdentifier[];
      }[];
    }
  | {
      readonly kind: 'orders';
      readonly source: Hl7Source;
      readonly patient: Hl7PatientIdentity;
      readonly orders: readonly Hl7Order[];
    }
  | {
      readonly kind: 'observations';
      readonly source: Hl7Source;
      readonly patient: Hl7PatientIdentity;
      readonly observations: readonly Hl7Observation[];
    }
  | { readonly kind: 'unsupported'; readonly source: Hl7Source; readonly reason: string };

function missing(path: string, detail: string): FoveaError {
  return new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', { detail, path });
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' || trimmed === '""' ? undefined : trimmed;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function identifierOf(repetition: Hl7Repetition): Hl7PatientIdentifier | undefined {
  const id = present(repetition[0]?.[0]);
  if (id === undefined) {
    return undefined;
  }
  const authority = repetition[3];
  return compact({
    id,
    assigningAuthority: present(authority?.[0]) ?? present(authority?.[1]),
    identifierType: present(repetition[4]?.[0]),
  });
}

function identifiersOf(segment: Hl7Segment | undefined, field: number): Hl7PatientIdentifier[] {
  return (segment?.fields[field] ?? []).flatMap((repetition) => identifierOf(repetition) ?? []);
}

/**
 * Converts an HL7 DTM/DT (`YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]`) to ISO 8601 at the precision sent;
 * `undefined` when it is not one.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02a.html (HL7 v2.5.1 §2.A.22, DTM)
 */
export function hl7DateTimeToIso(value: string | undefined): string | undefined {
  const match = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/u.exec(
    value?.trim() ?? '',
  );
  if (match === null) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if (
    (month !== undefined && (Number(month) < 1 || Number(month) > 12)) ||
    (day !== undefined && (Number(day) < 1 || Number(day) > 31))
  ) {
    return undefined;
  }
  let iso = year!;
  iso += month === undefined ? '' : `-${month}`;
  iso += day === undefined ? '' : `-${day}`;
  if (hour !== undefined) {
    iso += `T${hour}:${minute ?? '00'}${second === undefined ? '' : `:${second}${fraction ?? ''}`}`;
    iso += offset === undefined ? '' : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  }
  return iso;
}

function patientOf(pid: Hl7Segment | undefined, pidPath = 'PID'): Hl7PatientIdentity {
  if (pid === undefined) {
    throw missing(pidPath, 'the message has no PID segment');
  }
  const identifiers = identifiersOf(pid, 3);
  // v2.3 senders sometimes put the identifier in PID-2 (external ID) only.
  const all = identifiers.length > 0 ? identifiers : identifiersOf(pid, 2);
  const primary = all.find((identifier) => identifier.identifierType === 'MR') ?? all[0];
  if (primary === undefined) {
    throw missing(`${pidPath}-3`, 'PID-3 carries no patient identifier');
  }
  const name = pid.fields[5]?.[0];
  const personName =
    name === undefined
      ? undefined
      : compact({
          family: present(name[0]?.[0]),
          given: present(name[1]?.[0]),
          middle: present(name[2]?.[0]),
        });
  const birth = hl7DateTimeToIso(fieldValue(pid, 7));
  return compact({
    key: compact({ patientId: primary.id, issuer: primary.assigningAuthority }),
    identifiers: all,
    name: personName !== undefined && Object.keys(personName).length > 0 ? personName : undefined,
    birthDate: birth?.slice(0, 10),
    sex: present(fieldValue(pid, 8)),
  });
}

function codeOf(repetition: Hl7Repetition | undefined, offset = 0): Hl7Code | undefined {
  const code = present(repetition?.[offset]?.[0]);
  if (code === undefined) {
    return undefined;
  }
  return compact({
    code,
    text: present(repetition?.[offset + 1]?.[0]),
    system: present(repetition?.[offset + 2]?.[0]),
  });
}

function sourceOf(message: Hl7Message): Hl7Source {
  return compact({
    messageType: message.messageType,
    controlId: message.controlId,
    sendingApplication: message.get('MSH-3'),
    sendingFacility: message.get('MSH-4'),
  });
}

/** Segments from `from` (exclusive) up to the next segment named in `stops`. */
function groupAfter(segments: readonly Hl7Segment[], from: number, stops: readonly string[]): Hl7Segment[] {
  const group: Hl7Segment[] = [];
  for (let i = from + 1; i < segments.length && !stops.includes(segments[i]!.name); i += 1) {
    group.push(segments[i]!);
  }
  return group;
}

function ordersOf(message: Hl7Message): Hl7Order[] {
  const segments = message.segments;
  const orders: Hl7Order[] = [];
  segments.forEach((segment, index) => {
    if (segment.name !== 'ORC') {
      return;
    }
    const group = groupAfter(segments, index, ['ORC']);
    const obr = group.find((s) => s.name === 'OBR');
    const ipc = group.find((s) => s.name === 'IPC');
    const tq1 = group.find((s) => s.name === 'TQ1');
    const zds = group.find((s) => s.name === 'ZDS');
    const accessionNumber = present(fieldValue(ipc, 1)) ?? present(fieldValue(obr, 18));
    if (accessionNumber === undefined) {
      const occurrence = (found: Hl7Segment): number =>
        segments.slice(0, segments.indexOf(found) + 1).filter((s) => s.name === found.name).length;
      const path =
        ipc !== undefined
          ? `IPC(${occurrence(ipc)})-1`
          : obr !== undefined
            ? `OBR(${occurrence(obr)})-18`
            : 'OBR';
      throw missing(path, `order ${orders.length + 1} carries no accession number`);
    }
    orders.push(
      compact({
        accessionNumber,
        control: present(fieldValue(segment, 1)),
        placerOrderNumber: present(fieldValue(segment, 2)) ?? present(fieldValue(obr, 2)),
        fillerOrderNumber: present(fieldValue(segment, 3)) ?? present(fieldValue(obr, 3)),
        procedure: codeOf(obr?.fields[4]?.[0]),
        requestedProcedureId: present(fieldValue(ipc, 2)) ?? present(fieldValue(obr, 19)),
        priority:
          present(fieldValue(tq1, 9)) ??
          present(fieldValue(segment, 7, 6)) ??
          present(fieldValue(obr, 27, 6)),
        studyInstanceUid: present(fieldValue(zds, 1)) ?? present(fieldValue(ipc, 3)),
        modality: present(fieldValue(ipc, 5)),
      }),
    );
  });
  if (orders.length === 0) {
    throw missing('ORC', 'the message has no ORC segment');
  }
  return orders;
}

const loincSystems = new Set(['LN', 'LOINC', 'HTTP://LOINC.ORG']);

function observationValue(
  obx: Hl7Segment,
  valueType: string | undefined,
): { value?: number | string; valueText?: string } {
  const first = obx.fields[5]?.[0];
  const text = present(first?.[0]?.[0]);
  if (text === undefined && valueType !== 'SN') {
    return {};
  }
  switch (valueType ?? '') {
    case 'NM':
      return /^[+-]?(?:\d+\.?\d*|\.\d+)$/u.test(text!) ? { value: Number(text) } : { value: text! };
    case 'SN': {
      const comparator = present(first?.[0]?.[0]);
      const number = present(first?.[1]?.[0]);
      if (
        (comparator === undefined || comparator === '=') &&
        number !== undefined &&
        /^[+-]?(?:\d+\.?\d*|\.\d+)$/u.test(number) &&
        present(first?.[2]?.[0]) === undefined
      ) {
        return { value: Number(number) };
      }
      const joined = (first ?? []).map((component) => component[0] ?? '').join('');
      return joined === '' ? {} : { value: joined };
    }
    case 'CE':
    case 'CWE':
    case 'CNE':
      return compact({ value: text!, valueText: present(first?.[1]?.[0]) });
    default:
      return { value: text! };
  }
}

function observationsOf(message: Hl7Message): Hl7Observation[] {
  const observations: Hl7Observation[] = [];
  let obr: Hl7Segment | undefined;
  let ordinal = 0;
  for (const segment of message.segments) {
    if (segment.name === 'OBR') {
      obr = segment;
    }
    if (segment.name !== 'OBX') {
      continue;
    }
    ordinal += 1;
    const identifier = segment.fields[3]?.[0];
    const primary = codeOf(identifier);
    const alternate = codeOf(identifier, 3);
    const isLoinc = (code: Hl7Code | undefined): boolean =>
      loincSystems.has(code?.system?.toUpperCase() ?? '');
    const code = !isLoinc(primary) && isLoinc(alternate) ? alternate : (primary ?? alternate);
    if (code === undefined) {
      throw missing(`OBX(${ordinal})-3`, `OBX ${ordinal} has no observation identifier`);
    }
    const valueType = present(fieldValue(segment, 2));
    const flags = (segment.fields[8] ?? []).flatMap((repetition) => present(repetition[0]?.[0]) ?? []);
    observations.push(
      compact({
        ordinal,
        code,
        isHba1c: (isLoinc(code) || code.system === undefined) && hba1cLoincCodes.includes(code.code),
        valueType,
        ...observationValue(segment, valueType),
        unit: present(fieldValue(segment, 6)),
        abnormalFlags: flags.length > 0 ? flags : undefined,
        status: present(fieldValue(segment, 11)),
        observedAt: hl7DateTimeToIso(fieldValue(segment, 14)) ?? hl7DateTimeToIso(fieldValue(obr, 7)),
        panel: codeOf(obr?.fields[4]?.[0]),
      }),
    );
  }
  return observations;
}

function mergesOf(message: Hl7Message): { patient: Hl7PatientIdentity; from: Hl7PatientIdentifier[] }[] {
  const merges: { patient: Hl7PatientIdentity; from: Hl7PatientIdentifier[] }[] = [];
  const segments = message.segments;
  segments.forEach((segment, index) => {
    if (segment.name !== 'PID') {
      return;
    }
    const occurrence = merges.length + 1;
    const mrg = groupAfter(segments, index, ['PID']).find((s) => s.name === 'MRG');
    const from = identifiersOf(mrg, 1);
    if (from.length === 0) {
      throw missing(`MRG(${occurrence})-1`, `merge ${occurrence} names no prior patient identifier`);
    }
    merges.push({ patient: patientOf(segment, `PID(${occurrence})`), from });
  });
  if (merges.length === 0) {
    throw missing('PID', 'the message has no PID segment');
  }
  return merges;
}

/**
 * Reads what Fovea uses from an accepted message. Throws `FOVEA_MLLP_REQUIRED_FIELD_MISSING` (answered AE,
 * with the field in ERR) when a field it needs is absent; returns `unsupported` for other message types.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch03.html (HL7 v2.5.1 chapters 3, 4 and 7)
 */
export function interpretHl7(message: Hl7Message): Hl7Interpretation {
  const source = sourceOf(message);
  switch (message.messageType) {
    case 'ADT^A01':
    case 'ADT^A04':
    case 'ADT^A08':
    case 'ADT^A31':
      return { kind: 'patient', source, patient: patientOf(message.segment('PID')) };
    case 'ADT^A40':
      return { kind: 'merge', source, merges: mergesOf(message) };
    case 'ORM^O01':
    case 'OMI^O23':
      return {
        kind: 'orders',
        source,
        patient: patientOf(message.segment('PID')),
        orders: ordersOf(message),
      };
    case 'ORU^R01':
      return {
        kind: 'observations',
        source,
        patient: patientOf(message.segment('PID')),
        observations: observationsOf(message),
      };
    default:
      return {
        kind: 'unsupported',
        source,
        reason: `Fovea does not read ${message.messageType.slice(0, 16)} messages`,
      };
  }
}
