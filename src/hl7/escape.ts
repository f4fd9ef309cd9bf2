/**
 * HL7 v2 escape sequences: the delimiters, the escape character and the v2.7 truncation character inside
 * data, hexadecimal data, and the text formatting commands.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading29 (HL7 v2.5.1 §2.7, use of escape sequences)
 */

/**
 * The delimiters of one message, from MSH-1 and MSH-2.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading15 (HL7 v2.5.1 §2.5.4, message delimiters)
 */
export interface Hl7Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  /** The v2.7 truncation character (5th character of MSH-2), when the message declares one. */
  readonly truncation?: string;
}

/** The delimiters Fovea writes: `|^~\&`. */
export const defaultDelimiters: Hl7Delimiters = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

/** MSH-2 as written for a set of delimiters. */
export function encodingCharacters(delimiters: Hl7Delimiters): string {
  return (
    delimiters.component +
    delimiters.repetition +
    delimiters.escape +
    delimiters.subcomponent +
    (delimiters.truncation ?? '')
  );
}

/** Decodes the bytes of an `\Xhh…\` sequence; given by the charset handling of the message. */
export type HexDecoder = (bytes: Buffer) => string;

const latin1Hex: HexDecoder = (bytes) => bytes.toString('latin1');

/** Formatting commands that only change presentation: dropped when reading plain text. */
const presentationOnly = /^(?:H|N|\.(?:in|ti|sk|fi|nf|ce)[+-]?\d*|[CMZ][0-9A-Fa-f]*)$/u;

/**
 * Decodes the escape sequences of one leaf value (after it was split on the delimiters). `\.br\` and
 * `\.sp\` become line feeds, highlighting and other formatting commands are dropped, and a malformed or
 * unknown sequence is kept as it was and reported through `onProblem` (lenient read).
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading29 (HL7 v2.5.1 §2.7)
 */
export function unescapeHl7(
  value: string,
  delimiters: Hl7Delimiters,
  hex: HexDecoder = latin1Hex,
  onProblem?: (problem: string) => void,
): string {
  const escape = delimiters.escape;
  let start = value.indexOf(escape);
  if (start < 0) {
    return value;
  }
  let out = '';
  let from = 0;
  while (start >= 0) {
    const end = value.indexOf(escape, start + 1);
    if (end < 0) {
      onProblem?.('an escape sequence is not terminated');
      break;
    }
    out += value.slice(from, start);
    const sequence = value.slice(start + 1, end);
    const decoded = decodeSequence(sequence, delimiters, hex);
    if (decoded === undefined) {
      onProblem?.(`unknown escape sequence ${JSON.stringify(sequence.slice(0, 16))}`);
      out += value.slice(start, end + 1);
    } else {
      out += decoded;
    }
    from = end + 1;
    start = value.indexOf(escape, from);
  }
  return out + value.slice(from);
}

function decodeSequence(sequence: string, delimiters: Hl7Delimiters, hex: HexDecoder): string | undefined {
  switch (sequence) {
    case 'F':
      return delimiters.field;
    case 'S':
      return delimiters.component;
    case 'T':
      return delimiters.subcomponent;
    case 'R':
      return delimiters.repetition;
    case 'E':
      return delimiters.escape;
    case 'P':
      return delimiters.truncation;
    case '.br':
      return '\n';
    default:
      break;
  }
  if (sequence.startsWith('X')) {
    const digits = sequence.slice(1);
    if (digits.length > 0 && digits.length % 2 === 0 && /^[0-9A-Fa-f]+$/u.test(digits)) {
      return hex(Buffer.from(digits, 'hex'));
    }
    return undefined;
  }
  if (/^\.sp\+?\d*$/u.test(sequence)) {
    return '\n';
  }
  return presentationOnly.test(sequence) ? '' : undefined;
}

/**
 * Escapes one leaf value for writing: delimiters, the escape and truncation characters, line feeds
 * (`\.br\`) and other control characters (`\Xhh\`), so that any string can be carried.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading29 (HL7 v2.5.1 §2.7)
 */
export function escapeHl7(value: string, delimiters: Hl7Delimiters): string {
  const e = delimiters.escape;
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i]!;
    const code = value.charCodeAt(i);
    let replacement: string | undefined;
    if (char === e) {
      replacement = `${e}E${e}`;
    } else if (char === delimiters.field) {
      replacement = `${e}F${e}`;
    } else if (char === delimiters.component) {
      replacement = `${e}S${e}`;
    } else if (char === delimiters.subcomponent) {
      replacement = `${e}T${e}`;
    } else if (char === delimiters.repetition) {
      replacement = `${e}R${e}`;
    } else if (delimiters.truncation !== undefined && char === delimiters.truncation) {
      replacement = `${e}P${e}`;
    } else if (char === '\n') {
      replacement = `${e}.br${e}`;
    } else if (code < 0x20 || code === 0x7f) {
      replacement = `${e}X${code.toString(16).toUpperCase().padStart(2, '0')}${e}`;
    }
    if (replacement !== undefined) {
      out += value.slice(plainFrom, i) + replacement;
      plainFrom = i + 1;
    }
  }
  return plainFrom === 0 ? value : out + value.slice(plainFrom);
}
