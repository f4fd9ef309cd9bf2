/**
 * A DICOMweb client for QIDO-RS (search), WADO-RS (retrieve, streamed instance by instance) and STOW-RS
 * (store, streamed upload), on the global `fetch` (undici). It never sends `Expect: 100-continue` (Orthanc's
 * civetweb does not answer it), never logs credentials or query values, and reports failures as
 * `FOVEA_PACS_UNREACHABLE` (network, timeout; retryable) or `FOVEA_PACS_RESPONSE_INVALID` (HTTP error status,
 * unparseable body; the status is in the detail).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
 */
import type { ReadableStreamReadResult } from 'node:stream/web';
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import type { Logger } from '../../core/logger.ts';
import { isFileSafeUid } from '../../core/uid.ts';
import { isDicomJsonDataset, type DicomJsonDataset } from './dicom-json.ts';
import { isMediaType, parseMediaType, type MediaType } from './media-type.ts';
import { parseMultipart } from './multipart-parser.ts';
import { createBoundary, multipartRelatedContentType, writeMultipart } from './multipart-writer.ts';

/** Options of a {@link DicomWebClient}. */
export interface DicomWebClientOptions {
  /** The DICOMweb root, e.g. `http://pacs:8042/dicom-web`. */
  readonly baseUrl: string;
  readonly auth?: { readonly user: string; readonly password: string } | { readonly bearer: string };
  /**
   * Idle timeout in ms (default 30 000): the longest wait for the peer to connect, answer, send the next
   * chunk of a response or take the next chunk of an upload. A long transfer that keeps moving never times out.
   */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /** Largest instance accepted from WADO-RS (default 4 GiB). */
  readonly maxInstanceBytes?: number;
  /** Largest QIDO-RS or STOW-RS JSON response (default 64 MiB). */
  readonly maxJsonBytes?: number;
}

/**
 * QIDO-RS matching keys: attribute keyword or tag → value. An array is sent as a comma-separated list
 * (UID list matching, multiple values).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.4
 */
export type QidoQuery = Readonly<Record<string, string | readonly string[]>>;

/**
 * QIDO-RS result paging and extra fields.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.4
 */
export interface QidoOptions {
  readonly limit?: number;
  readonly offset?: number;
  /** Extra attributes to return (keywords or tags), or `all`. */
  readonly includefield?: readonly string[];
  readonly fuzzymatching?: boolean;
}

/**
 * Receives one retrieved instance: its Part 10 bytes as they arrive and its part header fields. The retrieve
 * waits for the returned promise before reading the next instance; bytes left unread are skipped.
 */
export type InstanceHandler = (
  body: AsyncIterable<Buffer>,
  headers: Readonly<Record<string, string>>,
) => Promise<void>;

/** One instance to store: Part 10 bytes in one buffer or as a stream. */
export type StowInstance = AsyncIterable<Buffer> | Buffer;

/** The answer of a STOW-RS request: 200, 202 or 409, and the Store Instances Response Module. */
export interface StowResult {
  readonly status: number;
  readonly response: DicomJsonDataset;
}

const retrieveAccept = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const jsonAccept = 'application/dicom+json';

/** Aborts a request when the peer has made no progress for a while. */
class Watchdog {
  readonly controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #fired = false;
  #closed = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  get fired(): boolean {
    return this.#fired;
  }

  arm(): void {
    this.disarm();
    if (this.#closed) {
      return;
    }
    this.#timer = setTimeout(() => {
      this.#fired = true;
      this.controller.abort();
    }, this.#timeoutMs);
  }

  disarm(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Stops for good (an upload may still be pulled after the exchange is over). */
  close(): void {
    this.#closed = true;
    this.disarm();
  }
}

/** The most specific error code in an error's cause chain (ECONNREFUSED, UND_ERR_SOCKET, …). */
function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'network error';
}

function checkUid(uid: string, name: string): string {
  if (!isFileSafeUid(uid)) {
    throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: `${name} is not a UID`, path: name });
  }
  return uid;
}

function queryString(query: QidoQuery, options: QidoOptions): string {
  const pairs: string[] = [];
  const add = (name: string, value: string): void => {
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  };
  for (const [name, value] of Object.entries(query)) {
    add(name, typeof value === 'string' ? value : value.join(','));
  }
  for (const [name, value] of [
    ['limit', options.limit],
    ['offset', options.offset],
  ] as const) {
    if (value !== undefined) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: `${name} must be a non-negative integer` });
      }
      add(name, String(value));
    }
  }
  if (options.includefield !== undefined && options.includefield.length > 0) {
    add('includefield', options.includefield.join(','));
  }
  if (options.fuzzymatching !== undefined) {
    add('fuzzymatching', String(options.fuzzymatching));
  }
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

/** A DICOMweb (QIDO-RS, WADO-RS, STOW-RS) client of one origin server. */
export class DicomWebClient {
  readonly #baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #maxInstanceBytes: number;
  readonly #maxJsonBytes: number;

  constructor(options: DicomWebClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (error) {
      throw new FoveaError('FOVEA_CONFIG_INVALID', {
        detail: 'the DICOMweb base URL is not a URL',
        cause: error,
      });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new FoveaError('FOVEA_CONFIG_INVALID', { detail: 'the DICOMweb base URL must be http or https' });
    }
    if (base.username !== '' || base.password !== '') {
      throw new FoveaError('FOVEA_CONFIG_INVALID', {
        detail: 'put DICOMweb credentials in auth, not in the URL',
      });
    }
    this.#baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    const { auth } = options;
    this.#authorization =
      auth === undefined
        ? undefined
        : 'bearer' in auth
          ? `Bearer ${auth.bearer}`
          : `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#logger = options.logger;
    this.#maxInstanceBytes = options.maxInstanceBytes ?? 4 * 1024 ** 3;
    this.#maxJsonBytes = options.maxJsonBytes ?? 64 * 1024 ** 2;
  }

  /**
   * QIDO-RS Search for Studies.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
   */
  async searchStudies(query: QidoQuery = {}, options: QidoOptions = {}): Promise<DicomJsonDataset[]> {
    return this.#search('searchStudies', '/studies', query, options);
  }

  /**
   * QIDO-RS Search for the Series of a Study.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
   */
  async searchSeries(
    studyUid: string,
    query: QidoQuery = {},
    options: QidoOptions = {},
  ): Promise<DicomJsonDataset[]> {
    return this.#search(
      'searchSeries',
      `/studies/${checkUid(studyUid, 'StudyInstanceUID')}/series`,
      query,
      options,
    );
  }

  /**
   * QIDO-RS Search for the Instances of a Study, or of one Series when `seriesUid` is given.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
   */
  async searchInstances(
    studyUid: string,
    seriesUid?: string,
    query: QidoQuery = {},
    options: QidoOptions = {},
  ): Promise<DicomJsonDataset[]> {
    const study = checkUid(studyUid, 'StudyInstanceUID');
    const path =
      seriesUid === undefined
        ? `/studies/${study}/instances`
        : `/studies/${study}/series/${checkUid(seriesUid, 'SeriesInstanceUID')}/instances`;
    return this.#search('searchInstances', path, query, options);
  }

  /**
   * WADO-RS Retrieve Study: streams each instance as stored (`transfer-syntax=*`) to `onInstance`, one after
   * the other; resolves with the number of instances once all are consumed.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4
   */
  async retrieveStudy(studyUid: string, onInstance: InstanceHandler): Promise<number> {
    return this.#retrieve('retrieveStudy', `/studies/${checkUid(studyUid, 'StudyInstanceUID')}`, onInstance);
  }

  /**
   * WADO-RS Retrieve Series (instances as stored).
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4
   */
  async retrieveSeries(studyUid: string, seriesUid: string, onInstance: InstanceHandler): Promise<number> {
    const path = `/studies/${checkUid(studyUid, 'StudyInstanceUID')}/series/${checkUid(seriesUid, 'SeriesInstanceUID')}`;
    return this.#retrieve('retrieveSeries', path, onInstance);
  }

  /**
   * WADO-RS Retrieve Instance (as stored).
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4
   */
  async retrieveInstance(
    studyUid: string,
    seriesUid: string,
    sopInstanceUid: string,
    onInstance: InstanceHandler,
  ): Promise<number> {
    const path =
      `/studies/${checkUid(studyUid, 'StudyInstanceUID')}/series/${checkUid(seriesUid, 'SeriesInstanceUID')}` +
      `/instances/${checkUid(sopInstanceUid, 'SOPInstanceUID')}`;
    return this.#retrieve('retrieveInstance', path, onInstance);
  }

  /**
   * STOW-RS of Part 10 instances (buffers or streams), streamed as one multipart/related request with
   * chunked transfer coding. Resolves with the status and response for 200, 202 and 409 (409 is the standard's
   * "none stored" answer and carries the failure reasons); any other status is `FOVEA_PACS_RESPONSE_INVALID`.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5
   */
  async storeInstances(
    instances: AsyncIterable<StowInstance> | readonly StowInstance[],
    studyUid?: string,
  ): Promise<StowResult> {
    const operation = 'storeInstances';
    const path = studyUid === undefined ? '/studies' : `/studies/${checkUid(studyUid, 'StudyInstanceUID')}`;
    if (Array.isArray(instances) && instances.length === 0) {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'storeInstances needs at least one instance' });
    }
    const boundary = createBoundary();
    const watchdog = new Watchdog(this.#timeoutMs);
    let sourceError: unknown = undefined;
    async function* parts(): AsyncGenerator<{ contentType: string; body: StowInstance }> {
      for await (const body of instances) {
        yield { contentType: 'application/dicom', body };
      }
    }
    async function* upload(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of writeMultipart(parts(), boundary)) {
          watchdog.arm(); // the peer took the previous chunk: progress
          yield chunk;
        }
      } catch (error) {
        sourceError = error;
        throw error;
      }
    }
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await this.#send(operation, path, watchdog, {
        method: 'POST',
        headers: this.#headers({
          accept: jsonAccept,
          'content-type': multipartRelatedContentType(boundary, 'application/dicom'),
        }),
        body: ReadableStream.from(upload()),
        duplex: 'half',
      }).catch((error: unknown) => {
        throw sourceError ?? error;
      });
      status = response.status;
      if (status !== 200 && status !== 202 && status !== 409) {
        throw await this.#rejectResponse(operation, response);
      }
      const json = await this.#readJson(operation, response, watchdog);
      const dataset = json === undefined ? {} : json;
      if (!isDicomJsonDataset(dataset)) {
        throw new FoveaError('FOVEA_PACS_RESPONSE_INVALID', {
          detail: `${operation}: HTTP ${status} with a body that is not a DICOM JSON data set`,
        });
      }
      this.#logDone(operation, status, started);
      return { status, response: dataset };
    } catch (error) {
      this.#logFailed(operation, error, status);
      throw error;
    } finally {
      watchdog.close();
    }
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return this.#authorization === undefined ? extra : { ...extra, authorization: this.#authorization };
  }

  async #send(operation: string, path: string, watchdog: Watchdog, init: RequestInit): Promise<Response> {
    watchdog.arm();
    try {
      return await fetch(`${this.#baseUrl}${path}`, {
        ...init,
        redirect: 'manual',
        signal: watchdog.controller.signal,
      });
    } catch (error) {
      throw this.#unreachable(operation, error, watchdog);
    } finally {
      watchdog.disarm();
    }
  }

  #unreachable(operation: string, error: unknown, watchdog: Watchdog): FoveaError {
    if (error instanceof FoveaError) {
      return error;
    }
    const detail = watchdog.fired
      ? `${operation}: no progress within ${this.#timeoutMs} ms`
      : `${operation}: ${networkCode(error)}`;
    return new FoveaError('FOVEA_PACS_UNREACHABLE', { detail, cause: error });
  }

  /** An error for an unusable answer; its body is discarded unread (it might hold PHI). */
  async #rejectResponse(operation: string, response: Response, why?: string): Promise<FoveaError> {
    await response.body?.cancel().catch(() => undefined);
    return new FoveaError('FOVEA_PACS_RESPONSE_INVALID', {
      detail: `${operation}: HTTP ${response.status}${why === undefined ? '' : ` ${why}`}`,
    });
  }

  /** The response body as buffers, with the idle timeout and network errors mapped; cancels it if left early. */
  async *#chunks(
    operation: string,
    response: Response,
    watchdog: Watchdog,
  ): AsyncGenerator<Buffer, void, undefined> {
    if (response.body === null) {
      return;
    }
    const reader = response.body.getReader();
    let finished = false;
    try {
      for (;;) {
        watchdog.arm();
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          finished = true;
          throw this.#unreachable(operation, error, watchdog);
        } finally {
          watchdog.disarm();
        }
        if (result.done) {
          finished = true;
          return;
        }
        yield Buffer.from(result.value.buffer, result.value.byteOffset, result.value.byteLength);
      }
    } finally {
      if (!finished) {
        await reader.cancel().catch(() => undefined);
      }
    }
  }

  async #readJson(operation: string, response: Response, watchdog: Watchdog): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.#chunks(operation, response, watchdog)) {
      size += chunk.length;
      if (size > this.#maxJsonBytes) {
        throw new FoveaError('FOVEA_PACS_RESPONSE_INVALID', {
          detail: `${operation}: HTTP ${response.status} with a body over ${this.#maxJsonBytes} bytes`,
        });
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new FoveaError('FOVEA_PACS_RESPONSE_INVALID', {
        detail: `${operation}: HTTP ${response.status} with a body that is not JSON`,
        cause: error,
      });
    }
  }

  async #search(
    operation: string,
    path: string,
    query: QidoQuery,
    options: QidoOptions,
  ): Promise<DicomJsonDataset[]> {
    const watchdog = new Watchdog(this.#timeoutMs);
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await this.#send(operation, `${path}${queryString(query, options)}`, watchdog, {
        method: 'GET',
        headers: this.#headers({ accept: jsonAccept }),
      });
      status = response.status;
      if (status === 204) {
        await response.body?.cancel().catch(() => undefined);
        this.#logDone(operation, status, started);
        return [];
      }
      if (status !== 200) {
        throw await this.#rejectResponse(operation, response);
      }
      const json = await this.#readJson(operation, response, watchdog);
      const results = json === undefined ? [] : json;
      if (!Array.isArray(results) || !results.every((item) => isDicomJsonDataset(item))) {
        throw new FoveaError('FOVEA_PACS_RESPONSE_INVALID', {
          detail: `${operation}: HTTP ${status} with a body that is not an array of DICOM JSON data sets`,
        });
      }
      this.#logDone(operation, status, started);
      return results;
    } catch (error) {
      this.#logFailed(operation, error, status);
      throw error;
    } finally {
      watchdog.close();
    }
  }

  async #retrieve(operation: string, path: string, onInstance: InstanceHandler): Promise<number> {
    const watchdog = new Watchdog(this.#timeoutMs);
    const started = performance.now();
    let status: number | undefined;
    let chunks: AsyncGenerator<Buffer, void, undefined> | undefined;
    try {
      const response = await this.#send(operation, path, watchdog, {
        method: 'GET',
        headers: this.#headers({ accept: retrieveAccept }),
      });
      status = response.status;
      if (status !== 200) {
        throw await this.#rejectResponse(operation, response);
      }
      let contentType: MediaType | undefined;
      try {
        contentType = parseMediaType(response.headers.get('content-type') ?? '');
      } catch {
        contentType = undefined;
      }
      const boundary = contentType?.params.boundary;
      if (!isMediaType(contentType, 'multipart/related') || boundary === undefined) {
        throw await this.#rejectResponse(operation, response, 'without a multipart/related body');
      }
      chunks = this.#chunks(operation, response, watchdog);
      const parts = parseMultipart(chunks, boundary, {
        maxPartBytes: this.#maxInstanceBytes,
        malformedCode: 'FOVEA_PACS_RESPONSE_INVALID',
        tooLargeCode: 'FOVEA_PACS_RESPONSE_INVALID',
      });
      let count = 0;
      for await (const part of parts) {
        if (part.contentType !== undefined) {
          let partType: MediaType | undefined;
          try {
            partType = parseMediaType(part.contentType);
          } catch {
            partType = undefined;
          }
          if (!isMediaType(partType, 'application/dicom')) {
            throw new FoveaError('FOVEA_PACS_RESPONSE_INVALID', {
              detail: `${operation}: a part is not application/dicom`,
            });
          }
        }
        await onInstance(part.body, part.headers);
        count += 1;
      }
      this.#logDone(operation, status, started, count);
      return count;
    } catch (error) {
      this.#logFailed(operation, error, status);
      throw error;
    } finally {
      watchdog.close();
      await chunks?.return(undefined);
    }
  }

  #logDone(operation: string, status: number, started: number, instances?: number): void {
    this.#logger?.debug(
      {
        event: logEvents.DICOMWEB_CLIENT_REQUEST_DONE,
        operation,
        status,
        instances,
        ms: Math.round(performance.now() - started),
      },
      'DICOMweb request done',
    );
  }

  #logFailed(operation: string, error: unknown, status: number | undefined): void {
    this.#logger?.warn(
      {
        event: logEvents.DICOMWEB_CLIENT_REQUEST_FAILED,
        operation,
        status,
        code: error instanceof FoveaError ? error.code : 'unexpected',
      },
      'DICOMweb request failed',
    );
  }
}
