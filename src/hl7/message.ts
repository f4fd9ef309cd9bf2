/**
 * The HL7 v2 message model: segments of 1-based fields, each field a list of repetitions of components of
 * subcomponents, all held decoded (escape sequences resolved), with Terser-style paths (`PID-3(2).4.1`).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html (HL7 v2.5.1 chapter 2, control)
 */
import { FoveaError } from '../core/errors.ts';
import type { Hl7Delimiters } from './escape.ts';

/** One component: its subcomponents (at least one). */
export type Hl7Component = readonly string[];
/** One repetition of a field: its components (at least one). */
export type Hl7Repetition = readonly Hl7Component[];
/** One field: its repetitions (one empty repetition when the field is empty). */
export type Hl7Field = readonly Hl7Repetition[];

/**
 * A segment. `fields[n]` is field n as numbered in the standard (`fields[0]` holds the segment name);
 * for MSH, field 1 is the field separator and field 2 the encoding characters, both as one plain value.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5, message construction)
 */
export interface Hl7Segment {
  readonly name: string;
  readonly fields: readonly Hl7Field[];
}

/** A parsed path: `SEG(occurrence)-field(repetition).component.subcomponent`, all 1-based. */
export interface Hl7Path {
  readonly segment: string;
  readonly occurrence: number;
  readonly field: number;
  readonly repetition: number;
  readonly component: number;
  readonly subcomponent: number;
}

const pathPattern = /^([A-Z][A-Z0-9]{2})(?:\((\d+)\))?-(\d+)(?:\((\d+)\))?(?:\.(\d+)(?:\.(\d+))?)?$/u;

/**
 * Parses a path such as `PID-3.1`, `PID-3(2).4`, `OBX(2)-5` or `MSH-9.2`; omitted parts are 1.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5)
 */
export function parseHl7Path(path: string): Hl7Path {
  const match = pathPattern.exec(path);
  const number = (text: string | undefined): number => (text === undefined ? 1 : Number(text));
  if (match === null || [match[2], match[3], match[4], match[5], match[6]].some((part) => part === '0')) {
    throw new FoveaError('FOVEA_INTERNAL', { detail: `invalid HL7 path ${JSON.stringify(path)}` });
  }
  return {
    segment: match[1]!,
    occurrence: number(match[2]),
    field: Number(match[3]),
    repetition: number(match[4]),
    component: number(match[5]),
    subcomponent: number(match[6]),
  };
}

/** The first subcomponent of the first component of a field's first repetition, or `undefined` if empty. */
export function fieldValue(
  segment: Hl7Segment | undefined,
  field: number,
  component = 1,
  repetition = 1,
): string | undefined {
  const value = segment?.fields[field]?.[repetition - 1]?.[component - 1]?.[0];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A parsed (or built) HL7 v2 message.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html (HL7 v2.5.1 chapter 2)
 */
export class Hl7Message {
  readonly segments: readonly Hl7Segment[];
  readonly delimiters: Hl7Delimiters;
  /** Conformance problems met while reading (lenient read); never contains field values. */
  readonly warnings: readonly string[];

  constructor(segments: readonly Hl7Segment[], delimiters: Hl7Delimiters, warnings: readonly string[] = []) {
    this.segments = segments;
    this.delimiters = delimiters;
    this.warnings = warnings;
  }

  /** The `occurrence`-th segment named `name` (1-based). */
  segment(name: string, occurrence = 1): Hl7Segment | undefined {
    let seen = 0;
    for (const segment of this.segments) {
      if (segment.name === name) {
        seen += 1;
        if (seen === occurrence) {
          return segment;
        }
      }
    }
    return undefined;
  }

  /** Every segment named `name`, in order. */
  segmentsNamed(name: string): Hl7Segment[] {
    return this.segments.filter((segment) => segment.name === name);
  }

  /** The decoded value at a path (`PID-3.1`), or `undefined` when absent or empty. */
  get(path: string): string | undefined {
    const p = parseHl7Path(path);
    const value = this.segment(p.segment, p.occurrence)?.fields[p.field]?.[p.repetition - 1]?.[
      p.component - 1
    ]?.[p.subcomponent - 1];
    return value === undefined || value === '' ? undefined : value;
  }

  /** The value at a path in every repetition of its field (`PID-3.1` → each identifier), empty ones left out. */
  getAll(path: string): string[] {
    const p = parseHl7Path(path);
    const field = this.segment(p.segment, p.occurrence)?.fields[p.field] ?? [];
    return field
      .map((repetition) => repetition[p.component - 1]?.[p.subcomponent - 1] ?? '')
      .filter((value) => value !== '');
  }

  /** MSH-9.1, e.g. `ADT`. */
  get messageCode(): string {
    return this.get('MSH-9.1') ?? '';
  }

  /** MSH-9.2, e.g. `A01`. */
  get triggerEvent(): string {
    return this.get('MSH-9.2') ?? '';
  }

  /** `MSH-9.1^MSH-9.2`, e.g. `ADT^A01`. */
  get messageType(): string {
    return `${this.messageCode}^${this.triggerEvent}`;
  }

  /** MSH-10, the message control ID. */
  get controlId(): string {
    return this.get('MSH-10') ?? '';
  }

  /** MSH-12.1, the version ID. */
  get version(): string {
    return this.get('MSH-12') ?? '';
  }

  /** MSH-18 (first repetition), the character set; empty when absent. */
  get charset(): string {
    return this.get('MSH-18') ?? '';
  }
}

/** Builds a field from component values (one repetition, no subcomponents). */
export function hl7Field(...components: readonly string[]): Hl7Field {
  return [components.length === 0 ? [['']] : components.map((component) => [component])];
}
