/**
 * What Fovea's outbound HL7 v2 messages share: segments built from plain values (the encoder escapes them),
 * the MSH of a v2.5.1 UTF-8 message, the PID from a study's DICOM patient attributes, DICOM dates and names
 * in HL7 types, and message control IDs derived from what a message is about, so that a rebuilt or resent
 * message carries the same MSH-10.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5, message construction)
 */
import { createHash } from 'node:crypto';
import { formatHl7Timestamp } from './ack.ts';
import { defaultDelimiters } from './escape.ts';
import { Hl7Message, type Hl7Field, type Hl7Segment } from './message.ts';

/** A component: one value, or its subcomponents. */
export type Hl7ComponentValue = string | undefined | readonly (string | undefined)[];

/** A field: one value, its components, or several repetitions (`{ repetitions }`) of components. */
export type Hl7FieldValue =
  | string
  | undefined
  | readonly Hl7ComponentValue[]
  | { readonly repetitions: readonly (readonly Hl7ComponentValue[])[] };

function componentOf(value: Hl7ComponentValue): string[] {
  if (typeof value === 'string' || value === undefined) {
    return [value ?? ''];
  }
  return value.length === 0 ? [''] : value.map((sub) => sub ?? '');
}

function repetitionOf(components: readonly Hl7ComponentValue[]): string[][] {
  return components.length === 0 ? [['']] : components.map(componentOf);
}

function fieldOf(value: Hl7FieldValue): Hl7Field {
  if (typeof value === 'string' || value === undefined) {
    return [[[value ?? '']]];
  }
  if ('repetitions' in value) {
    return value.repetitions.length === 0 ? [[['']]] : value.repetitions.map(repetitionOf);
  }
  return [repetitionOf(value)];
}

/**
 * A segment from its field values, `fields[0]` being field 1; values are plain text (the encoder escapes
 * delimiters in them).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5)
 */
export function hl7Segment(name: string, fields: readonly Hl7FieldValue[]): Hl7Segment {
  return { name, fields: [[[[name]]], ...fields.map(fieldOf)] };
}

/**
 * A segment from the fields it has, by field number (1-based); the fields between are empty. Reads like the
 * standard's field tables: `hl7SegmentOf('OBR', { 1: '1', 3: filler, 25: 'P' })`.
 */
export function hl7SegmentOf(name: string, byField: Readonly<Record<number, Hl7FieldValue>>): Hl7Segment {
  const last = Math.max(0, ...Object.keys(byField).map(Number));
  return hl7Segment(
    name,
    Array.from({ length: last }, (_, index) => byField[index + 1]),
  );
}

/** The application Fovea names itself in MSH-3. */
export const foveaApplication = 'FOVEA';
/** The version Fovea writes (MSH-12). */
export const outboundVersion = '2.5.1';
/** The character set Fovea writes (MSH-18). */
export const outboundCharset = 'UNICODE UTF-8';
/** Coding system of Fovea's local codes (HL7 table 0396 local `99zzz` form). */
export const foveaCodingSystem = '99FOVEA';

/** Sender and receiver of a message (MSH-3 to MSH-6). */
export interface Hl7Endpoints {
  /** MSH-4; empty when not configured. */
  readonly sendingFacility?: string;
  /** MSH-5. */
  readonly receivingApplication?: string;
  /** MSH-6. */
  readonly receivingFacility?: string;
}

/**
 * A message control ID (MSH-10) derived from a name: 20 hexadecimal characters (the ST 20 of v2.5.1) of
 * its SHA-256, so the same result, status and revision always give the same ID and a receiver can drop a
 * message it already processed.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html (HL7 v2.5.1 §2.15.9.10, MSH-10)
 */
export function controlIdFromName(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 20).toUpperCase();
}

/**
 * A DICOM date (DA) and optional time (TM) as HL7 DTM, to the seconds given; `undefined` when the date is
 * not a valid DA. No offset: DICOM times are local to the modality.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02a.html (HL7 v2.5.1 §2.A.22, DTM)
 */
export function dicomDateTimeToHl7(date: string | undefined, time?: string): string | undefined {
  if (date === undefined || !/^\d{8}$/u.test(date)) {
    return undefined;
  }
  const digits = /^(\d{2,6})/u.exec((time ?? '').replaceAll(':', ''))?.[1] ?? '';
  return date + digits.slice(0, digits.length - (digits.length % 2));
}

/**
 * A DICOM person name (PN `Family^Given^Middle^Prefix^Suffix`, alphabetic group) as HL7 XPN components
 * (family, given, further given names, suffix, prefix).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02a.html (HL7 v2.5.1 §2.A.89, XPN)
 */
export function dicomNameToXpn(name: string | undefined): string[] {
  const alphabetic = (name ?? '').split('=')[0] ?? '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alphabetic
    .split('^')
    .map((part) => part.trim());
  return [family, given, middle, suffix, prefix];
}

/**
 * DICOM Patient's Sex (M, F, O) as HL7 table 0001 (M, F, O; U for anything else).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch03.html#Heading62 (HL7 v2.5.1 §3.4.2.8, PID-8)
 */
export function dicomSexToHl7(sex: string | undefined): string | undefined {
  const value = sex?.trim().toUpperCase();
  if (value === undefined || value === '') {
    return undefined;
  }
  return value === 'M' || value === 'F' || value === 'O' ? value : 'U';
}

/** The patient of a message, from the study's DICOM attributes. */
export interface Hl7PatientInput {
  /** Patient ID (0010,0020). */
  readonly patientId: string;
  /** Issuer of Patient ID (0010,0021): PID-3.4 (assigning authority). */
  readonly issuerOfPatientId?: string;
  /** Patient's Name (0010,0010), DICOM PN. */
  readonly patientName?: string;
  /** Patient's Birth Date (0010,0030), DA. */
  readonly birthDate?: string;
  /** Patient's Sex (0010,0040). */
  readonly sex?: string;
}

/**
 * The MSH of an outbound message: `|^~\&`, FOVEA, the destination's receiver, the message time, the type,
 * the control ID, processing ID P, version 2.5.1, original acknowledgement mode (MSH-15/16 empty) and
 * MSH-18 `UNICODE UTF-8`.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading112 (HL7 v2.5.1 §2.15.9, MSH)
 */
export function outboundMsh(
  endpoints: Hl7Endpoints,
  messageType: readonly [string, string, string],
  controlId: string,
  at: Date,
): Hl7Segment {
  return hl7Segment('MSH', [
    '|',
    '',
    foveaApplication,
    endpoints.sendingFacility,
    endpoints.receivingApplication,
    endpoints.receivingFacility,
    formatHl7Timestamp(at),
    undefined,
    [...messageType],
    controlId,
    'P',
    outboundVersion,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    outboundCharset,
  ]);
}

/**
 * The PID of an outbound message: PID-3 the Patient ID with its issuer as assigning authority and
 * identifier type MR, PID-5 the name, PID-7 the birth date, PID-8 the sex.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch03.html#Heading62 (HL7 v2.5.1 §3.4.2, PID)
 */
export function outboundPid(patient: Hl7PatientInput): Hl7Segment {
  const name = dicomNameToXpn(patient.patientName);
  return hl7Segment('PID', [
    '1',
    undefined,
    [patient.patientId, undefined, undefined, patient.issuerOfPatientId, 'MR'],
    undefined,
    name.every((part) => part === '') ? undefined : name,
    undefined,
    /^\d{8}$/u.test(patient.birthDate ?? '') ? patient.birthDate : undefined,
    dicomSexToHl7(patient.sex),
  ]);
}

/**
 * A message of Fovea's segments with the delimiters Fovea writes (`|^~\&`).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading15 (HL7 v2.5.1 §2.5.4, message delimiters)
 */
export function outboundMessage(segments: readonly Hl7Segment[]): Hl7Message {
  return new Hl7Message(segments, defaultDelimiters);
}
