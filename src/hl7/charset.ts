/**
 * MSH-18 character sets: which bytes-to-text decoding a message needs, and how Fovea writes text back.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading120 (HL7 v2.5.1 §2.15.9.18, MSH-18; table 0211)
 */
import { FoveaError } from '../core/errors.ts';

/** Character sets Fovea writes (and the value it puts in MSH-18). */
export type Hl7WritableCharset = 'ASCII' | '8859/1' | 'UNICODE UTF-8';

/** How to read a message's bytes. */
export interface Hl7CharsetDecoding {
  /** The MSH-18 value as sent (empty when absent). */
  readonly declared: string;
  /** The decoder used (a WHATWG encoding label). */
  readonly encoding: string;
  readonly decode: (bytes: Uint8Array) => string;
  /** Set when the declaration was bent to read the message (lenient read). */
  readonly problem?: string;
}

const readable: Record<string, string> = {
  ASCII: 'latin1',
  '8859/1': 'latin1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf-8',
};

/** Spellings seen from real senders that are not table 0211 values. */
const aliases: Record<string, string> = {
  'UTF-8': 'UNICODE UTF-8',
  UTF8: 'UNICODE UTF-8',
  'ISO-8859-1': '8859/1',
  'ISO8859-1': '8859/1',
  'US-ASCII': 'ASCII',
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function decoderFor(encoding: string): (bytes: Uint8Array) => string {
  if (encoding === 'latin1') {
    return latin1;
  }
  if (encoding === 'utf-8') {
    return (bytes) => lenientUtf8.decode(bytes);
  }
  const decoder = new TextDecoder(encoding);
  return (bytes) => decoder.decode(bytes);
}

/** Whether the bytes are valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Chooses the decoding for an MSH-18 value. An empty MSH-18 means ASCII by the standard; Fovea reads it
 * as UTF-8 when the bytes are valid UTF-8 (a common practice) and as ISO 8859-1 otherwise.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading120 (HL7 v2.5.1 §2.15.9.18)
 */
export function charsetDecoding(declared: string, bytes: Uint8Array): Hl7CharsetDecoding {
  const trimmed = declared.trim();
  if (trimmed === '') {
    const utf8 = isValidUtf8(bytes);
    return {
      declared: '',
      encoding: utf8 ? 'utf-8' : 'latin1',
      decode: decoderFor(utf8 ? 'utf-8' : 'latin1'),
    };
  }
  const canonical = aliases[trimmed.toUpperCase()] ?? trimmed.toUpperCase();
  const encoding = readable[canonical];
  if (encoding === undefined) {
    throw new FoveaError('FOVEA_MLLP_CHARSET_UNSUPPORTED', {
      detail: `MSH-18 ${JSON.stringify(trimmed.slice(0, 32))} is not one of ${Object.keys(readable).join(', ')}`,
      path: 'MSH-18',
    });
  }
  let problem: string | undefined;
  if (canonical !== trimmed) {
    problem = `MSH-18 ${JSON.stringify(trimmed)} read as ${canonical}`;
  } else if (encoding === 'utf-8' && !isValidUtf8(bytes)) {
    problem = 'the message declares UTF-8 but is not valid UTF-8 (invalid bytes replaced)';
  } else if (canonical === 'ASCII' && bytes.some((byte) => byte > 0x7f)) {
    problem = 'the message declares ASCII but carries 8-bit bytes (read as ISO 8859-1)';
  }
  return {
    declared: trimmed,
    encoding,
    decode: decoderFor(encoding),
    ...(problem === undefined ? {} : { problem }),
  };
}

/** The writable charset for an MSH-18 value (empty = ASCII), or `undefined` when Fovea cannot write it. */
export function writableCharset(declared: string): Hl7WritableCharset | undefined {
  const trimmed = declared.trim().toUpperCase();
  const canonical = trimmed === '' ? 'ASCII' : (aliases[trimmed] ?? trimmed);
  return canonical === 'ASCII' || canonical === '8859/1' || canonical === 'UNICODE UTF-8'
    ? canonical
    : undefined;
}

/** Replaces what a charset cannot carry with `?` (used only for values mirrored back to a sender). */
export function fitToCharset(value: string, charset: Hl7WritableCharset): string {
  switch (charset) {
    case 'ASCII':
      return value.replace(/[^\p{ASCII}]/gu, '?');
    case '8859/1':
      return value.replace(/[\u0100-\u{10FFFF}]/gu, '?');
    case 'UNICODE UTF-8':
      return value.replace(/\p{Cs}/gu, '?');
  }
}

/**
 * Encodes message text in a writable charset; throws `FOVEA_MLLP_UNREPRESENTABLE` when a character does
 * not fit (strict write: nothing is silently replaced).
 */
export function encodeInCharset(text: string, charset: Hl7WritableCharset): Buffer {
  if (fitToCharset(text, charset) !== text) {
    throw new FoveaError('FOVEA_MLLP_UNREPRESENTABLE', {
      detail: `a character cannot be written in ${charset}`,
      path: 'MSH-18',
    });
  }
  return Buffer.from(text, charset === 'UNICODE UTF-8' ? 'utf8' : 'latin1');
}
