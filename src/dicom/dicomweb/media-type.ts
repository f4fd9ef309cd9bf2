/**
 * Media types as DICOMweb uses them in Content-Type and Accept header fields.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.7
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1
 */
import { FoveaError } from '../../core/errors.ts';

/** A parsed media type: `type`, `subtype` and parameter names are lower case; parameter values are unquoted. */
export interface MediaType {
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
}

/** One media range of an Accept header field with its quality (`q`, 0–1). */
export interface AcceptedMediaType extends MediaType {
  readonly quality: number;
}

const tokenCharacter = /^[!#$%&'*+.^_`|~0-9A-Za-z-]$/;

/** Sets a property even when its name is `__proto__`, so a header cannot touch an object's prototype. */
function defineParam(params: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
}

interface Cursor {
  readonly text: string;
  at: number;
}

function skipWhitespace(cursor: Cursor): void {
  while (
    cursor.at < cursor.text.length &&
    (cursor.text[cursor.at] === ' ' || cursor.text[cursor.at] === '\t')
  ) {
    cursor.at += 1;
  }
}

function readToken(cursor: Cursor): string {
  const start = cursor.at;
  while (cursor.at < cursor.text.length && tokenCharacter.test(cursor.text[cursor.at]!)) {
    cursor.at += 1;
  }
  return cursor.text.slice(start, cursor.at);
}

/**
 * Reads a parameter value: a quoted-string with backslash escapes, or (leniently) any run of characters up to
 * `;`, whitespace, or `,` inside a list. Devices often send `type=application/dicom` unquoted although `/` is not
 * a token character.
 */
function readValue(cursor: Cursor, inList: boolean): string | undefined {
  const { text } = cursor;
  if (text[cursor.at] === '"') {
    cursor.at += 1;
    let value = '';
    while (cursor.at < text.length) {
      const character = text[cursor.at]!;
      if (character === '"') {
        cursor.at += 1;
        return value;
      }
      if (character === '\\' && cursor.at + 1 < text.length) {
        value += text[cursor.at + 1]!;
        cursor.at += 2;
        continue;
      }
      value += character;
      cursor.at += 1;
    }
    return undefined;
  }
  const start = cursor.at;
  while (cursor.at < text.length) {
    const character = text[cursor.at]!;
    if (character === ';' || character === ' ' || character === '\t' || (inList && character === ',')) {
      break;
    }
    cursor.at += 1;
  }
  return text.slice(start, cursor.at);
}

/** Parses one media type starting at the cursor; returns undefined when the text is not a media type. */
function readMediaType(cursor: Cursor, inList: boolean): MediaType | undefined {
  skipWhitespace(cursor);
  const type = readToken(cursor);
  if (type === '' || cursor.text[cursor.at] !== '/') {
    return undefined;
  }
  cursor.at += 1;
  const subtype = readToken(cursor);
  if (subtype === '') {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (;;) {
    skipWhitespace(cursor);
    if (cursor.at >= cursor.text.length || (inList && cursor.text[cursor.at] === ',')) {
      break;
    }
    if (cursor.text[cursor.at] !== ';') {
      return undefined;
    }
    cursor.at += 1;
    skipWhitespace(cursor);
    if (cursor.at >= cursor.text.length || (inList && cursor.text[cursor.at] === ',')) {
      break; // a trailing ";" is tolerated
    }
    const name = readToken(cursor).toLowerCase();
    if (name === '' || cursor.text[cursor.at] !== '=') {
      return undefined;
    }
    cursor.at += 1;
    const value = readValue(cursor, inList);
    if (value === undefined) {
      return undefined;
    }
    if (!Object.hasOwn(params, name)) {
      defineParam(params, name, value);
    }
  }
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), params };
}

/**
 * Parses a Content-Type style media type (`type/subtype; name=value; name="quoted \"value\""`). Names are
 * case-insensitive and returned in lower case; the first occurrence of a repeated parameter wins.
 * Throws `FOVEA_HTTP_BAD_REQUEST` when the text is not a media type.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1
 */
export function parseMediaType(header: string): MediaType {
  const cursor: Cursor = { text: header, at: 0 };
  const mediaType = readMediaType(cursor, false);
  skipWhitespace(cursor);
  if (mediaType === undefined || cursor.at !== header.length) {
    throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: 'invalid media type' });
  }
  return mediaType;
}

/**
 * Parses an Accept header field into its media ranges, highest quality first (stable for equal quality).
 * Entries that cannot be parsed are skipped (lenient read); `q` is removed from the parameters.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1
 */
export function parseAccept(header: string): AcceptedMediaType[] {
  const cursor: Cursor = { text: header, at: 0 };
  const ranges: AcceptedMediaType[] = [];
  while (cursor.at < header.length) {
    const start = cursor.at;
    const mediaType = readMediaType(cursor, true);
    if (mediaType === undefined) {
      // skip the unparseable entry up to the next top-level comma
      cursor.at = start;
      let quoted = false;
      while (cursor.at < header.length && (quoted || header[cursor.at] !== ',')) {
        if (header[cursor.at] === '"') {
          quoted = !quoted;
        } else if (quoted && header[cursor.at] === '\\') {
          cursor.at += 1;
        }
        cursor.at += 1;
      }
    } else {
      const { q, ...params } = mediaType.params;
      const quality = q === undefined ? 1 : Number(q);
      if (Number.isFinite(quality) && quality >= 0 && quality <= 1) {
        ranges.push({ type: mediaType.type, subtype: mediaType.subtype, params, quality });
      }
    }
    skipWhitespace(cursor);
    if (header[cursor.at] === ',') {
      cursor.at += 1;
    }
  }
  return ranges
    .map((range, index) => ({ range, index }))
    .sort((a, b) => b.range.quality - a.range.quality || a.index - b.index)
    .map(({ range }) => range);
}

function specificity(range: MediaType, offer: MediaType): number {
  if (range.type === '*' && range.subtype === '*') {
    return 1;
  }
  if (range.type !== offer.type) {
    return 0;
  }
  if (range.subtype === '*') {
    return 2;
  }
  return range.subtype === offer.subtype ? 3 : 0;
}

/**
 * Chooses which of the offered media types (in the server's order of preference) to produce for an Accept
 * header field; an absent or empty header accepts anything. Returns undefined when none is acceptable (406).
 * Parameters of the media ranges are not compared; the most specific matching range decides the quality.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.7.5
 */
export function negotiateMediaType(
  accept: string | undefined,
  offers: readonly string[],
): string | undefined {
  if (accept === undefined || accept.trim() === '') {
    return offers[0];
  }
  const ranges = parseAccept(accept);
  let best: { offer: string; quality: number } | undefined;
  for (const offer of offers) {
    const offered = parseMediaType(offer);
    let matched = 0;
    let quality = 0;
    for (const range of ranges) {
      const level = specificity(range, offered);
      if (level > matched) {
        matched = level;
        quality = range.quality;
      }
    }
    if (matched > 0 && quality > 0 && (best === undefined || quality > best.quality)) {
      best = { offer, quality };
    }
  }
  return best?.offer;
}

/** Whether a media type is `type/subtype` (case-insensitive), ignoring its parameters. */
export function isMediaType(mediaType: MediaType | undefined, essence: string): boolean {
  return mediaType !== undefined && `${mediaType.type}/${mediaType.subtype}` === essence.toLowerCase();
}

/** Formats a media type for a header field, quoting parameter values that are not tokens. */
export function formatMediaType(mediaType: MediaType): string {
  let text = `${mediaType.type}/${mediaType.subtype}`;
  for (const [name, value] of Object.entries(mediaType.params)) {
    const isToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value);
    text += `; ${name}=${isToken ? value : `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`}`;
  }
  return text;
}
