/**
 * A streaming multipart/related parser. Parts are yielded one at a time and each part's body streams to the
 * consumer as its bytes arrive; only a boundary-sized tail and one part's header block are ever buffered.
 *
 * Lenient read (documented in README.md): a delimiter line may end in LF instead of CRLF, header lines may end in
 * LF, obsolete header folding is joined, a body may consist of the close delimiter only (zero parts).
 * Strict where it matters: the close delimiter is required, and an incomplete part body fails from the body
 * iterator itself so that the consumer can discard what it was writing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 * @see https://www.rfc-editor.org/rfc/rfc2387
 */
import { FoveaError, type ErrorCode } from '../../core/errors.ts';

/** Size limits of {@link parseMultipart}; exceeding one raises the "too large" error code. */
export interface MultipartLimits {
  /** Most parts in one body. */
  readonly maxParts?: number;
  /** Most body bytes in one part (headers and delimiters excluded). */
  readonly maxPartBytes?: number;
  /** Most bytes read from the source in total (preamble, headers, delimiters and epilogue included). */
  readonly maxTotalBytes?: number;
  /** Most bytes in one part's header block; exceeding it is a malformed body. Default 16 KiB. */
  readonly maxHeaderBytes?: number;
}

/** Options of {@link parseMultipart}. */
export interface MultipartParseOptions extends MultipartLimits {
  /** Code of the error for a malformed body; default `FOVEA_HTTP_MULTIPART_MALFORMED`. */
  readonly malformedCode?: ErrorCode;
  /** Code of the error for an exceeded limit; default `FOVEA_HTTP_BODY_TOO_LARGE`. */
  readonly tooLargeCode?: ErrorCode;
}

/** One part of a multipart body. */
export interface MultipartPart {
  /** 0-based position of the part in the body. */
  readonly index: number;
  /** Header fields of the part, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The part's Content-Type header field, if any. */
  readonly contentType: string | undefined;
  /**
   * The part's body. It can be iterated once, only until the parser's iterator is advanced; whatever the
   * consumer did not read is then drained. A truncated or oversized body throws from this iterator.
   */
  readonly body: AsyncIterable<Buffer>;
}

/** Default limit of a part's header block. */
export const defaultMaxHeaderBytes = 16 * 1024;

/** Most transport padding (linear white space) tolerated after a boundary delimiter. */
const maxPaddingBytes = 1024;

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const DASH = 0x2d;
const emptyBuffer = Buffer.alloc(0);

type ReaderState = 'preamble' | 'headers' | 'body' | 'epilogue' | 'done';

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) {
    return chunk;
  }
  if (chunk instanceof Uint8Array) {
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, 'latin1');
  }
  throw new FoveaError('FOVEA_INTERNAL', { detail: 'a multipart source yielded something other than bytes' });
}

/** Sets a header field even when its name is `__proto__`; a repeated field is joined with ", ". */
function setHeader(headers: Record<string, string>, name: string, value: string, separator = ', '): void {
  const existing = Object.hasOwn(headers, name) ? headers[name] : undefined;
  Object.defineProperty(headers, name, {
    value: existing === undefined ? value : `${existing}${separator}${value}`,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The byte-level state machine shared by the part iterator and the part bodies. */
class MultipartReader {
  readonly #source: AsyncIterator<unknown>;
  /** "LF--boundary": the delimiter without its optional CR, which is checked separately (LF-only leniency). */
  readonly #needle: Buffer;
  readonly #maxParts: number;
  readonly #maxPartBytes: number;
  readonly #maxTotalBytes: number;
  readonly #maxHeaderBytes: number;
  readonly #malformedCode: ErrorCode;
  readonly #tooLargeCode: ErrorCode;
  // A synthetic CRLF lets a body that starts with the dash-boundary match the same needle as later delimiters.
  #buffer: Buffer = Buffer.from('\r\n', 'latin1');
  #position = 0;
  #sourceEnded = false;
  #totalBytes = 0;
  #partBytes = 0;
  #partIndex = -1;
  #state: ReaderState = 'preamble';
  #error: unknown = undefined;
  #failed = false;
  #busy = false;

  constructor(source: AsyncIterable<unknown>, boundary: string, options: MultipartParseOptions) {
    this.#source = source[Symbol.asyncIterator]();
    this.#needle = Buffer.from(`\n--${boundary}`, 'latin1');
    this.#maxParts = options.maxParts ?? Number.POSITIVE_INFINITY;
    this.#maxPartBytes = options.maxPartBytes ?? Number.POSITIVE_INFINITY;
    this.#maxTotalBytes = options.maxTotalBytes ?? Number.POSITIVE_INFINITY;
    this.#maxHeaderBytes = options.maxHeaderBytes ?? defaultMaxHeaderBytes;
    this.#malformedCode = options.malformedCode ?? 'FOVEA_HTTP_MULTIPART_MALFORMED';
    this.#tooLargeCode = options.tooLargeCode ?? 'FOVEA_HTTP_BODY_TOO_LARGE';
  }

  get state(): ReaderState {
    return this.#state;
  }

  /** Runs one step; an error is sticky, so every later step (body or part iterator) throws the same error. */
  async #step<T>(action: () => Promise<T>): Promise<T> {
    if (this.#failed) {
      throw this.#error;
    }
    if (this.#busy) {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'concurrent reads of one multipart body' });
    }
    this.#busy = true;
    try {
      return await action();
    } catch (error) {
      this.#failed = true;
      this.#error = error;
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  #malformed(detail: string): FoveaError {
    return new FoveaError(this.#malformedCode, {
      detail,
      path: this.#partIndex >= 0 ? `part ${this.#partIndex}` : undefined,
    });
  }

  #tooLarge(detail: string): FoveaError {
    return new FoveaError(this.#tooLargeCode, {
      detail,
      path: this.#partIndex >= 0 ? `part ${this.#partIndex}` : undefined,
    });
  }

  /** Appends the next non-empty source chunk; false when the source has ended. */
  async #fill(): Promise<boolean> {
    while (!this.#sourceEnded) {
      const result = await this.#source.next();
      if (result.done === true) {
        this.#sourceEnded = true;
        return false;
      }
      const chunk = toBuffer(result.value);
      if (chunk.length === 0) {
        continue;
      }
      this.#totalBytes += chunk.length;
      if (this.#totalBytes > this.#maxTotalBytes) {
        throw this.#tooLarge(`the body exceeds ${this.#maxTotalBytes} bytes`);
      }
      // Only the unread tail is copied, which is short except inside a header block (bounded by its limit).
      this.#buffer =
        this.#position >= this.#buffer.length
          ? chunk
          : Buffer.concat([this.#buffer.subarray(this.#position), chunk]);
      this.#position = 0;
      return true;
    }
    return false;
  }

  /** Makes at least `count` unread bytes available; false when the source ends first. */
  async #ensure(count: number): Promise<boolean> {
    while (this.#buffer.length - this.#position < count) {
      if (!(await this.#fill())) {
        return false;
      }
    }
    return true;
  }

  /** Skips the preamble up to and including the first boundary delimiter line. */
  async skipPreamble(): Promise<void> {
    await this.#step(async () => {
      for (;;) {
        const index = this.#buffer.indexOf(this.#needle, this.#position);
        if (index >= 0) {
          this.#position = index + this.#needle.length;
          await this.#afterDelimiter();
          return;
        }
        this.#position = Math.max(this.#position, this.#buffer.length - this.#needle.length + 1);
        if (!(await this.#fill())) {
          throw this.#malformed(
            this.#totalBytes === 0 ? 'the body is empty' : 'no boundary delimiter was found',
          );
        }
      }
    });
  }

  /** After "--boundary": either "--" (close delimiter) or transport padding and a line end. */
  async #afterDelimiter(): Promise<void> {
    if (!(await this.#ensure(2))) {
      throw this.#malformed('the body ends inside a boundary delimiter');
    }
    if (this.#buffer[this.#position] === DASH && this.#buffer[this.#position + 1] === DASH) {
      this.#position += 2;
      this.#state = 'epilogue';
      return;
    }
    let offset = 0;
    for (;;) {
      if (!(await this.#ensure(offset + 1))) {
        throw this.#malformed('the body ends inside a boundary delimiter');
      }
      const byte = this.#buffer[this.#position + offset];
      if (byte === SPACE || byte === TAB) {
        offset += 1;
        if (offset > maxPaddingBytes) {
          throw this.#malformed('too much transport padding after a boundary delimiter');
        }
        continue;
      }
      if (byte === CR) {
        if (!(await this.#ensure(offset + 2))) {
          throw this.#malformed('the body ends inside a boundary delimiter');
        }
        if (this.#buffer[this.#position + offset + 1] !== LF) {
          throw this.#malformed('a boundary delimiter is not followed by a line end');
        }
        this.#position += offset + 2;
        break;
      }
      if (byte === LF) {
        this.#position += offset + 1;
        break;
      }
      throw this.#malformed('a boundary delimiter is not followed by a line end');
    }
    this.#state = 'headers';
  }

  /** Starts the next part: checks the part count and reads its header block. */
  async readHeaders(): Promise<Record<string, string>> {
    return this.#step(async () => {
      if (this.#partIndex + 1 >= this.#maxParts) {
        throw this.#tooLarge(`the body has more than ${this.#maxParts} parts`);
      }
      this.#partIndex += 1;
      const lines: string[] = [];
      let offset = 0;
      for (;;) {
        const lineStart = this.#position + offset;
        const newline = this.#buffer.indexOf(LF, lineStart);
        if (newline < 0) {
          if (this.#buffer.length - this.#position > this.#maxHeaderBytes) {
            throw this.#malformed(`a part header block exceeds ${this.#maxHeaderBytes} bytes`);
          }
          if (!(await this.#fill())) {
            throw this.#malformed('the body ends inside a part header block');
          }
          continue;
        }
        const lineEnd = newline > lineStart && this.#buffer[newline - 1] === CR ? newline - 1 : newline;
        offset = newline + 1 - this.#position;
        if (offset > this.#maxHeaderBytes) {
          throw this.#malformed(`a part header block exceeds ${this.#maxHeaderBytes} bytes`);
        }
        if (lineEnd === lineStart) {
          break;
        }
        lines.push(this.#buffer.toString('latin1', lineStart, lineEnd));
      }
      this.#position += offset;
      const headers: Record<string, string> = {};
      let previous: string | undefined;
      for (const line of lines) {
        if ((line.startsWith(' ') || line.startsWith('\t')) && previous !== undefined) {
          // obsolete line folding (RFC 5322 §2.2.3): joined to the previous field
          setHeader(headers, previous, line.trim(), ' ');
          continue;
        }
        const colon = line.indexOf(':');
        const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
        if (name === '' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
          throw this.#malformed('a part header line is not "name: value"');
        }
        setHeader(headers, name, line.slice(colon + 1).trim());
        previous = name;
      }
      this.#partBytes = 0;
      this.#state = 'body';
      return headers;
    });
  }

  #emit(end: number): Buffer {
    const chunk = this.#buffer.subarray(this.#position, end);
    this.#position = end;
    this.#partBytes += chunk.length;
    if (this.#partBytes > this.#maxPartBytes) {
      throw this.#tooLarge(`a part exceeds ${this.#maxPartBytes} bytes`);
    }
    return chunk;
  }

  /** The next chunk of the current part's body, or null once its delimiter has been read and checked. */
  async readBody(): Promise<Buffer | null> {
    return this.#step(async () => {
      while (this.#state === 'body') {
        const index = this.#buffer.indexOf(this.#needle, this.#position);
        if (index >= 0) {
          const end = index > this.#position && this.#buffer[index - 1] === CR ? index - 1 : index;
          if (end > this.#position) {
            return this.#emit(end);
          }
          this.#position = index + this.#needle.length;
          await this.#afterDelimiter();
          return null;
        }
        // Hold back a possible partial delimiter plus the CR that may precede it.
        const safeEnd = this.#buffer.length - this.#needle.length;
        if (safeEnd > this.#position) {
          return this.#emit(safeEnd);
        }
        if (!(await this.#fill())) {
          throw this.#malformed('the body ends before the close delimiter');
        }
      }
      return null;
    });
  }

  /** Reads and discards the epilogue, so that the source is consumed to its end. */
  async drainEpilogue(): Promise<void> {
    await this.#step(async () => {
      if (this.#state !== 'epilogue') {
        return;
      }
      this.#position = this.#buffer.length;
      while (await this.#fill()) {
        this.#position = this.#buffer.length;
      }
      this.#buffer = emptyBuffer;
      this.#position = 0;
      this.#state = 'done';
    });
  }
}

type BodyState = 'fresh' | 'reading' | 'ended' | 'discarded';

/** The body of one part: a single-use async iterable over the reader. */
class PartBody implements AsyncIterable<Buffer> {
  readonly #reader: MultipartReader;
  #state: BodyState = 'fresh';

  constructor(reader: MultipartReader) {
    this.#reader = reader;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#state !== 'fresh') {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'a multipart part body can be read only once' });
    }
    this.#state = 'reading';
    return {
      next: async (): Promise<IteratorResult<Buffer>> => {
        if (this.#state === 'discarded') {
          throw new FoveaError('FOVEA_INTERNAL', {
            detail: 'a multipart part body was read after the parser moved to the next part',
          });
        }
        if (this.#state === 'ended') {
          return { done: true, value: undefined };
        }
        const chunk = await this.#reader.readBody();
        if (chunk === null) {
          this.#state = 'ended';
          return { done: true, value: undefined };
        }
        return { done: false, value: chunk };
      },
      return: (): Promise<IteratorResult<Buffer>> => Promise.resolve({ done: true, value: undefined }),
    };
  }

  /** Reads whatever the consumer left unread; throws the parser's error if the body is bad. */
  async discard(): Promise<void> {
    while ((await this.#reader.readBody()) !== null) {
      // discarded
    }
    if (this.#state !== 'ended') {
      this.#state = 'discarded';
    }
  }
}

async function* iterateParts(reader: MultipartReader): AsyncGenerator<MultipartPart, void, undefined> {
  await reader.skipPreamble();
  let index = 0;
  while (reader.state === 'headers') {
    const headers = await reader.readHeaders();
    const body = new PartBody(reader);
    yield { index, headers, contentType: headers['content-type'], body };
    await body.discard();
    index += 1;
  }
  await reader.drainEpilogue();
}

/** Checks a boundary parameter value (RFC 2046: 1–70 characters; up to 200 accepted leniently, no line ends). */
export function isAcceptableBoundary(boundary: string): boolean {
  return boundary.length > 0 && boundary.length <= 200 && !/[\r\n]/.test(boundary);
}

/**
 * Parses a multipart body from a byte stream (an `IncomingMessage`, a fetch body, any async iterable of
 * bytes). Parts come one at a time; each part's body streams. The parser never closes the source: the caller
 * owns it (e.g. cancels a fetch body it stops reading).
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 * @see https://www.rfc-editor.org/rfc/rfc2387#section-3
 */
export function parseMultipart(
  source: AsyncIterable<unknown>,
  boundary: string,
  options: MultipartParseOptions = {},
): AsyncIterable<MultipartPart> {
  if (!isAcceptableBoundary(boundary)) {
    throw new FoveaError(options.malformedCode ?? 'FOVEA_HTTP_MULTIPART_MALFORMED', {
      detail: 'invalid boundary parameter',
    });
  }
  return {
    [Symbol.asyncIterator]: () => iterateParts(new MultipartReader(source, boundary, options)),
  };
}
