/**
 * A streaming multipart/related writer (strict write: CRLF line ends, validated boundary and header fields).
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 * @see https://www.rfc-editor.org/rfc/rfc2387
 */
import { randomBytes } from 'node:crypto';
import { FoveaError } from '../../core/errors.ts';

/** One part to write. */
export interface MultipartWriterPart {
  /** The part's Content-Type, e.g. `application/dicom`. */
  readonly contentType: string;
  /** Further header fields of the part (Content-Type is taken from `contentType`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The part's bytes: a buffer, or a stream that is copied through as it yields. */
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

const boundaryPattern = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Makes a random boundary (192 random bits), so that no part body can contain the delimiter by accident.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 */
export function createBoundary(): string {
  return `fovea-${randomBytes(24).toString('hex')}`;
}

/** The Content-Type of a multipart/related body whose root (and every) part has type `type`. */
export function multipartRelatedContentType(boundary: string, type: string): string {
  return `multipart/related; type="${type}"; boundary=${boundary}`;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function isUint8Array(body: MultipartWriterPart['body']): body is Uint8Array {
  return body instanceof Uint8Array;
}

function headerBlock(boundary: string, part: MultipartWriterPart, first: boolean): Buffer {
  const fields: [string, string][] = [['Content-Type', part.contentType]];
  for (const [name, value] of Object.entries(part.headers ?? {})) {
    if (name.toLowerCase() !== 'content-type') {
      fields.push([name, value]);
    }
  }
  let text = `${first ? '' : '\r\n'}--${boundary}\r\n`;
  for (const [name, value] of fields) {
    if (!headerNamePattern.test(name) || /[\r\n]/.test(value)) {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'invalid multipart part header field' });
    }
    text += `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/**
 * Writes parts as a multipart body, streaming each part's body through. At least one part is required.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 */
export async function* writeMultipart(
  parts: AsyncIterable<MultipartWriterPart> | Iterable<MultipartWriterPart>,
  boundary: string,
): AsyncGenerator<Buffer, void, undefined> {
  if (!boundaryPattern.test(boundary)) {
    throw new FoveaError('FOVEA_INTERNAL', { detail: 'invalid multipart boundary' });
  }
  let count = 0;
  for await (const part of parts) {
    yield headerBlock(boundary, part, count === 0);
    count += 1;
    if (isUint8Array(part.body)) {
      yield toBuffer(part.body);
    } else {
      for await (const chunk of part.body) {
        if (chunk.byteLength > 0) {
          yield toBuffer(chunk);
        }
      }
    }
  }
  if (count === 0) {
    throw new FoveaError('FOVEA_INTERNAL', { detail: 'a multipart body needs at least one part' });
  }
  yield Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
}
