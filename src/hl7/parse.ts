/**
 * The HL7 v2 ER7 ("pipe and hat") reader: MSH delimiters, MSH-18 charset, segments split on CR (LF and
 * CRLF tolerated), fields, repetitions, components, subcomponents and escape sequences.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5–2.7)
 */
import { FoveaError } from '../core/errors.ts';
import { charsetDecoding, type Hl7CharsetDecoding } from './charset.ts';
import { unescapeHl7, type HexDecoder, type Hl7Delimiters } from './escape.ts';
import { Hl7Message, type Hl7Field, type Hl7Segment } from './message.ts';

/** What the MSH segment's first bytes say, before the rest of the message is decoded. */
interface MshHeader {
  /** Offset of `MSH` in the text. */
  readonly start: number;
  readonly delimiters: Hl7Delimiters;
  /** MSH-18, first repetition, raw. */
  readonly charset: string;
}

const maxWarnings = 20;
const segmentName = /^[A-Z][A-Z0-9]{2}$/u;

function invalidDelimiters(detail: string, path: string): FoveaError {
  return new FoveaError('FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', { detail, path });
}

/** Delimiters must be printable ASCII punctuation: anything else is ambiguous once the charset applies. */
function isBadDelimiter(char: string): boolean {
  return !/^[!-/:-@[-`{-~]$/u.test(char);
}

/**
 * Reads MSH-1, MSH-2 and MSH-18 from the start of a message (leading blank lines and a byte order mark are
 * skipped). Throws `FOVEA_MLLP_MALFORMED` when there is no MSH and `FOVEA_MLLP_ENCODING_CHARACTERS_INVALID`
 * for unusable delimiters.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading112 (HL7 v2.5.1 §2.15.9, MSH)
 */
function readMshHeader(text: string): MshHeader {
  const start = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?[\s\p{Cc}]*/u.exec(text)![0].length;
  if (!text.startsWith('MSH', start)) {
    const batch = text.startsWith('FHS', start) || text.startsWith('BHS', start);
    throw new FoveaError('FOVEA_MLLP_MALFORMED', {
      detail: batch
        ? 'batch messages (FHS/BHS) are not accepted'
        : 'the message does not start with an MSH segment',
      path: 'MSH',
    });
  }
  const field = text[start + 3];
  if (field === undefined || isBadDelimiter(field)) {
    throw invalidDelimiters('MSH-1 (field separator) is missing or not a delimiter character', 'MSH-1');
  }
  const lineEnd = text.slice(start).search(/[\r\n]/u);
  const line = lineEnd < 0 ? text.slice(start) : text.slice(start, start + lineEnd);
  const afterEncoding = line.indexOf(field, 4);
  const encoding = afterEncoding < 0 ? line.slice(4) : line.slice(4, afterEncoding);
  if (encoding.length !== 4 && encoding.length !== 5) {
    throw invalidDelimiters(
      `MSH-2 has ${encoding.length} characters, 4 (or 5 from v2.7) are required`,
      'MSH-2',
    );
  }
  const chars = Array.from({ length: encoding.length }, (_, i) => encoding.charAt(i));
  if (chars.some(isBadDelimiter) || new Set([field, ...chars]).size !== chars.length + 1) {
    throw invalidDelimiters('MSH-2 encoding characters must be distinct delimiter characters', 'MSH-2');
  }
  const delimiters: Hl7Delimiters = {
    field,
    component: chars[0]!,
    repetition: chars[1]!,
    escape: chars[2]!,
    subcomponent: chars[3]!,
    ...(chars[4] === undefined ? {} : { truncation: chars[4] }),
  };
  // MSH-18 is the 17th separator-delimited part after "MSH" (MSH-1 is the separator itself).
  const parts = line.split(field);
  // Escaped like any value: with `-` as escape character, `UNICODE UTF-8` is written `UNICODE UTF-E-8`.
  const raw = (parts[17] ?? '').split(delimiters.repetition)[0]!.split(delimiters.component)[0]!;
  return { start, delimiters, charset: unescapeHl7(raw.split(delimiters.subcomponent)[0]!, delimiters) };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

class SegmentReader {
  readonly warnings: string[] = [];
  readonly #delimiters: Hl7Delimiters;
  readonly #hex: HexDecoder;
  readonly #special: RegExp;

  constructor(delimiters: Hl7Delimiters, hex: HexDecoder) {
    this.#delimiters = delimiters;
    this.#hex = hex;
    const chars = [delimiters.repetition, delimiters.component, delimiters.subcomponent, delimiters.escape];
    this.#special = new RegExp(
      `[${chars.map((char) => `\\u{${char.codePointAt(0)!.toString(16)}}`).join('')}]`,
      'u',
    );
  }

  warn(problem: string): void {
    if (this.warnings.length < maxWarnings && !this.warnings.includes(problem)) {
      this.warnings.push(problem);
    }
  }

  field(raw: string): Hl7Field {
    if (!this.#special.test(raw)) {
      return [[[raw]]];
    }
    const d = this.#delimiters;
    const onProblem = (problem: string): void => {
      this.warn(problem);
    };
    return raw
      .split(d.repetition)
      .map((repetition) =>
        repetition
          .split(d.component)
          .map((component) =>
            component.split(d.subcomponent).map((value) => unescapeHl7(value, d, this.#hex, onProblem)),
          ),
      );
  }

  segment(line: string): Hl7Segment | undefined {
    const d = this.#delimiters;
    const name = line.slice(0, 3);
    if (!segmentName.test(name) || (line.length > 3 && line[3] !== d.field)) {
      this.warn('a line that is not a segment was skipped');
      return undefined;
    }
    const fields: Hl7Field[] = [[[[name]]]];
    if (name === 'MSH') {
      const encoding = line.slice(4).split(d.field, 1)[0] ?? '';
      fields.push([[[d.field]]], [[[encoding]]]);
      const rest = line.slice(4 + encoding.length);
      if (rest.startsWith(d.field)) {
        for (const raw of rest.slice(1).split(d.field)) {
          fields.push(this.field(raw));
        }
      }
    } else if (line.length > 3) {
      for (const raw of line.slice(4).split(d.field)) {
        fields.push(this.field(raw));
      }
    }
    return { name, fields };
  }
}

function hexDecoderFor(decoding: Hl7CharsetDecoding | undefined): HexDecoder {
  if (decoding === undefined || decoding.encoding === 'latin1') {
    return (bytes) => bytes.toString('latin1');
  }
  return (bytes) => decoding.decode(bytes);
}

/**
 * Parses one HL7 v2 message in ER7 encoding, from bytes (decoded by MSH-18) or from text. Lenient: line
 * feeds and CRLF end segments too, lines that are not segments and unknown escape sequences are kept out
 * and listed in `warnings`. Throws a {@link FoveaError}: `FOVEA_MLLP_MALFORMED` (no MSH),
 * `FOVEA_MLLP_ENCODING_CHARACTERS_INVALID`, `FOVEA_MLLP_CHARSET_UNSUPPORTED`; `path` names the field.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading13 (HL7 v2.5.1 §2.5–2.7)
 */
export function parseHl7(input: Uint8Array | string): Hl7Message {
  let text: string;
  let header: MshHeader;
  let decoding: Hl7CharsetDecoding | undefined;
  const problems: string[] = [];
  if (typeof input === 'string') {
    text = input;
    header = readMshHeader(text);
    decoding = header.charset === '' ? undefined : charsetDecoding(header.charset, new Uint8Array(0));
  } else {
    header = readMshHeader(latin1(input));
    decoding = charsetDecoding(header.charset, input);
    if (decoding.problem !== undefined) {
      problems.push(decoding.problem);
    }
    text = decoding.decode(input);
    header = readMshHeader(text);
  }
  const reader = new SegmentReader(header.delimiters, hexDecoderFor(decoding));
  for (const problem of problems) {
    reader.warn(problem);
  }
  const body = text.slice(header.start);
  if (/\n/u.test(body)) {
    reader.warn(/\r\n/u.test(body) ? 'segments end with CRLF' : 'segments end with LF');
  }
  const segments: Hl7Segment[] = [];
  for (const line of body.split(/\r\n|\r|\n/u)) {
    if (line.trim() === '') {
      continue;
    }
    const segment = reader.segment(line);
    if (segment !== undefined) {
      segments.push(segment);
    }
  }
  return new Hl7Message(segments, header.delimiters, reader.warnings);
}
