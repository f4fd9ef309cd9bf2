/**
 * The HL7 v2 ER7 writer: segments terminated by CR, delimiters from the message, every value escaped,
 * trailing empty fields, components and subcomponents left out; bytes in the MSH-18 charset.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5–2.7)
 */
import { FoveaError } from '../core/errors.ts';
import { encodeInCharset, writableCharset } from './charset.ts';
import { encodingCharacters, escapeHl7, type Hl7Delimiters } from './escape.ts';
import type { Hl7Field, Hl7Message, Hl7Segment } from './message.ts';

function trimTrailingEmpty<T>(items: readonly T[], isEmpty: (item: T) => boolean): readonly T[] {
  let end = items.length;
  while (end > 1 && isEmpty(items[end - 1]!)) {
    end -= 1;
  }
  return end === items.length ? items : items.slice(0, end);
}

function encodeField(field: Hl7Field, d: Hl7Delimiters): string {
  return field
    .map((repetition) =>
      trimTrailingEmpty(repetition, (component) => component.every((value) => value === ''))
        .map((component) =>
          trimTrailingEmpty(component, (value) => value === '')
            .map((value) => escapeHl7(value, d))
            .join(d.subcomponent),
        )
        .join(d.component),
    )
    .join(d.repetition);
}

function encodeSegment(segment: Hl7Segment, d: Hl7Delimiters): string {
  const first = segment.name === 'MSH' ? 3 : 1;
  const fields = segment.fields.slice(first).map((field) => encodeField(field, d));
  let end = fields.length;
  while (end > 0 && fields[end - 1] === '') {
    end -= 1;
  }
  const head = segment.name === 'MSH' ? `MSH${d.field}${encodingCharacters(d)}` : segment.name;
  return end === 0 ? head : `${head}${d.field}${fields.slice(0, end).join(d.field)}`;
}

/**
 * Writes a message as ER7 text, each segment ended by a carriage return. MSH-1 and MSH-2 come from the
 * message's delimiters.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5)
 */
export function encodeHl7(message: Hl7Message): string {
  const d = message.delimiters;
  return message.segments.map((segment) => `${encodeSegment(segment, d)}\r`).join('');
}

/**
 * Writes a message as bytes in its MSH-18 charset (ASCII when empty, 8859/1 or UNICODE UTF-8). Strict:
 * throws `FOVEA_MLLP_CHARSET_UNSUPPORTED` for other charsets and `FOVEA_MLLP_UNREPRESENTABLE` when a
 * character does not fit.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading120 (HL7 v2.5.1 §2.15.9.18)
 */
export function encodeHl7Bytes(message: Hl7Message): Buffer {
  const charset = writableCharset(message.charset);
  if (charset === undefined) {
    throw new FoveaError('FOVEA_MLLP_CHARSET_UNSUPPORTED', {
      detail: 'Fovea writes ASCII, 8859/1 and UNICODE UTF-8',
      path: 'MSH-18',
    });
  }
  return encodeInCharset(encodeHl7(message), charset);
}
