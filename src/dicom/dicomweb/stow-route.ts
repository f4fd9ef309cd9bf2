/**
 * The STOW-RS Store Transaction as a Fastify plugin: `POST /studies` and `POST /studies/{StudyInstanceUID}`
 * (register it with prefix `/dicomweb`). The request body streams part by part into a handler the composition
 * root supplies; the plugin turns the handler's typed outcomes into the Store Instances Response Module.
 * Whole-request failures are thrown as `FoveaError`s for the app's problem+json error handler.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import type { Role } from '../../core/roles.ts';
import { isFileSafeUid } from '../../core/uid.ts';
import { isMediaType, negotiateMediaType, parseMediaType, type MediaType } from './media-type.ts';
import { defaultMaxHeaderBytes, isAcceptableBoundary, parseMultipart } from './multipart-parser.ts';
import {
  buildStoreInstancesResponse,
  storeInstancesStatus,
  stowFailureReasons,
  type StowPartResult,
} from './stow-response.ts';

export type { StowPartResult } from './stow-response.ts';

/** One part of a STOW-RS request, handed to {@link StowHandlers.storePart}. */
export interface StowPart {
  /** 0-based position of the part in the request. */
  index: number;
  /** The part's media type (`application/dicom` when the part did not say and the request type did). */
  contentType: string;
  /** The part's header fields, names in lower case. */
  headers: Readonly<Record<string, string>>;
  /**
   * The Part 10 bytes as they arrive. It throws `FOVEA_HTTP_MULTIPART_MALFORMED` or `FOVEA_HTTP_BODY_TOO_LARGE`
   * when the part turns out truncated or too big: the handler must then discard what it wrote and rethrow.
   */
  body: AsyncIterable<Buffer>;
}

/** Who sent a STOW-RS request and for which study. */
export interface StowRequestContext {
  /** The study named by the URL (`/studies/{StudyInstanceUID}`); instances of another study must fail (0xA900). */
  studyInstanceUid?: string;
  requestId: string;
  peerAddress: string;
  principal?: string;
}

/** What the composition root plugs into the route. */
export interface StowHandlers {
  /**
   * Stores one instance. Must read `part.body` to its end before answering `ok: true` (for example after an
   * fsync). Throwing is a failure of this part only: a `FoveaError`'s `spec.dimse` becomes its failure reason
   * (anything else 0x0110), and the next part is processed.
   */
  storePart(part: StowPart, context: StowRequestContext): Promise<StowPartResult>;
}

/** Options of {@link stowRsRoutes}. */
export interface StowRouteOptions {
  handlers: StowHandlers;
  /** Enforced by the route itself while streaming (Fastify's bodyLimit does not apply to this route). */
  limits: { maxParts: number; maxPartBytes: number; maxTotalBytes: number; maxHeaderBytes?: number };
  /** Base of RetrieveURLs, e.g. `http://host:port/dicomweb`; undefined leaves them empty. */
  retrieveBaseUrl?: (request: FastifyRequest) => string | undefined;
  /** The authenticated caller, if the API layer knows one (e.g. from a request decoration). */
  principal?: (request: FastifyRequest) => string | undefined;
  /** The role a caller needs; put into each route's `config`. */
  role: Role;
}

/** Media types the response can be produced in, best first (PS3.18 §8.7.3: DICOM JSON; plain JSON accepted). */
const responseMediaTypes = ['application/dicom+json', 'application/json'] as const;

interface PreparedRequest {
  readonly boundary: string;
  /** Whether the request's `type` parameter says parts are application/dicom (parts without Content-Type). */
  readonly rootIsDicom: boolean;
  readonly responseType: string;
  readonly studyInstanceUid: string | undefined;
}

const preparedRequests = new WeakMap<FastifyRequest, PreparedRequest>();

function studyParameter(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, string | undefined> | undefined;
  return params?.StudyInstanceUID;
}

/** Rejects a request as a whole; the connection is closed, since its body may be left unread. */
function reject(request: FastifyRequest, reply: FastifyReply, error: FoveaError): FoveaError {
  void reply.header('connection', 'close');
  request.log.warn({ event: logEvents.STOW_REQUEST_REJECTED, code: error.code }, 'STOW-RS request rejected');
  return error;
}

/** Header checks before any body byte is read: path UID (400), Content-Type (415), Accept (406), size (413). */
function prepare(request: FastifyRequest): PreparedRequest {
  const studyInstanceUid = studyParameter(request);
  // Lenient read: leading zeros are tolerated (devices send them); only digits and dots, at most 64.
  if (studyInstanceUid !== undefined && !isFileSafeUid(studyInstanceUid)) {
    throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', {
      detail: 'the StudyInstanceUID in the path is not a UID',
      path: 'StudyInstanceUID',
    });
  }
  const contentTypeHeader = request.headers['content-type'];
  let contentType: MediaType | undefined;
  try {
    contentType = contentTypeHeader === undefined ? undefined : parseMediaType(contentTypeHeader);
  } catch {
    contentType = undefined;
  }
  if (!isMediaType(contentType, 'multipart/related') || contentType === undefined) {
    throw new FoveaError('FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE', {
      detail: 'the body must be multipart/related; type="application/dicom"',
    });
  }
  const rootType = contentType.params.type;
  let rootIsDicom = false;
  if (rootType !== undefined) {
    let root: MediaType | undefined;
    try {
      root = parseMediaType(rootType);
    } catch {
      root = undefined;
    }
    if (!isMediaType(root, 'application/dicom')) {
      // metadata + bulkdata (application/dicom+json, +xml) is not supported
      throw new FoveaError('FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE', {
        detail: 'only type="application/dicom" is supported',
      });
    }
    rootIsDicom = true;
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new FoveaError('FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE', {
      detail: 'content codings are not supported',
    });
  }
  const responseType = negotiateMediaType(request.headers.accept, responseMediaTypes);
  if (responseType === undefined) {
    throw new FoveaError('FOVEA_HTTP_NOT_ACCEPTABLE', { detail: 'the response is application/dicom+json' });
  }
  const boundary = contentType.params.boundary;
  if (boundary === undefined || !isAcceptableBoundary(boundary)) {
    throw new FoveaError('FOVEA_HTTP_MULTIPART_MALFORMED', {
      detail: 'missing or invalid boundary parameter',
    });
  }
  return { boundary, rootIsDicom, responseType, studyInstanceUid };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}

/** Wraps a part body to learn whether the handler saw it end or fail. */
function trackBody(body: AsyncIterable<Buffer>): { body: AsyncIterable<Buffer>; failure: () => unknown } {
  let failure: unknown = undefined;
  return {
    body: {
      async *[Symbol.asyncIterator]() {
        try {
          yield* body;
        } catch (error) {
          failure = error;
          throw error;
        }
      },
    },
    failure: () => failure,
  };
}

function failureOf(error: unknown): StowPartResult {
  return error instanceof FoveaError
    ? { ok: false, failureReason: error.spec.dimse, detail: error.code }
    : { ok: false, failureReason: stowFailureReasons.processingFailure };
}

/**
 * The STOW-RS routes as a Fastify plugin (encapsulated: its pass-through content-type parser does not leak).
 *
 * Behaviour on a body that turns out malformed or too large midway: if no instance had been stored, the request
 * fails as a whole (400 / 413, PS3.18 Table 10.5.3-1: "unable to store any Instances due to bad syntax");
 * otherwise the answer (202) reports the parts already handled plus a FailedSOPSequence item for the part or
 * remainder that could not be read (0xC000, or 0xA700 for an exceeded limit).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5
 */
export function stowRsRoutes(options: StowRouteOptions): FastifyPluginAsync {
  const { handlers, limits } = options;

  async function storeStudies(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const prepared = preparedRequests.get(request);
    const source: unknown = request.body;
    if (prepared === undefined || !isAsyncIterable(source)) {
      throw reject(
        request,
        reply,
        new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: 'the request has no body' }),
      );
    }
    const context: StowRequestContext = {
      requestId: request.id,
      peerAddress: request.ip,
    };
    if (prepared.studyInstanceUid !== undefined) {
      context.studyInstanceUid = prepared.studyInstanceUid;
    }
    const principal = options.principal?.(request);
    if (principal !== undefined) {
      context.principal = principal;
    }
    const results: StowPartResult[] = [];
    let reportedError: unknown = undefined;
    let stopError: unknown = undefined;
    const parts = parseMultipart(source, prepared.boundary, {
      maxParts: limits.maxParts,
      maxPartBytes: limits.maxPartBytes,
      maxTotalBytes: limits.maxTotalBytes,
      maxHeaderBytes: limits.maxHeaderBytes ?? defaultMaxHeaderBytes,
    });
    try {
      for await (const part of parts) {
        let contentType: MediaType | undefined;
        try {
          contentType = part.contentType === undefined ? undefined : parseMediaType(part.contentType);
        } catch {
          contentType = undefined;
        }
        const isDicom =
          part.contentType === undefined
            ? prepared.rootIsDicom
            : isMediaType(contentType, 'application/dicom');
        let result: StowPartResult;
        if (isDicom) {
          const tracked = trackBody(part.body);
          try {
            result = await handlers.storePart(
              {
                index: part.index,
                contentType: part.contentType ?? 'application/dicom',
                headers: part.headers,
                body: tracked.body,
              },
              context,
            );
          } catch (error) {
            result = failureOf(error);
          }
          const bodyFailure = tracked.failure();
          if (bodyFailure !== undefined) {
            reportedError = bodyFailure;
            if (result.ok) {
              // the handler swallowed a truncated body: the instance cannot be complete
              request.log.error(
                { event: logEvents.STOW_INSTANCE_FAILED, part: part.index },
                'STOW-RS handler accepted a part whose body failed',
              );
              result = failureOf(bodyFailure);
            }
          }
        } else {
          result = {
            ok: false,
            failureReason: stowFailureReasons.cannotUnderstand,
            detail: 'unsupported part media type',
          };
        }
        results.push(result);
        if (result.ok) {
          request.log.info(
            {
              event: logEvents.STOW_INSTANCE_ACCEPTED,
              part: part.index,
              sopClassUid: result.sopClassUid,
              warningReason: result.warningReason,
            },
            'STOW-RS instance stored',
          );
        } else {
          request.log.warn(
            {
              event: logEvents.STOW_INSTANCE_FAILED,
              part: part.index,
              failureReason: result.failureReason,
              detail: result.detail,
            },
            'STOW-RS instance failed',
          );
        }
      }
    } catch (error) {
      stopError = error;
    }

    if (results.every((result) => !result.ok) && (stopError !== undefined || results.length === 0)) {
      const error =
        stopError === undefined
          ? new FoveaError('FOVEA_HTTP_MULTIPART_MALFORMED', { detail: 'the body has no parts' })
          : stopError instanceof FoveaError
            ? stopError
            : new FoveaError('FOVEA_HTTP_BAD_REQUEST', {
                detail: 'the request body could not be read',
                cause: stopError,
              });
      throw reject(request, reply, error);
    }
    if (stopError !== undefined) {
      void reply.header('connection', 'close');
      if (stopError !== reportedError) {
        const failureReason = remainderReason(stopError);
        const detail = stopError instanceof FoveaError ? stopError.code : undefined;
        results.push(
          detail === undefined ? { ok: false, failureReason } : { ok: false, failureReason, detail },
        );
        request.log.warn(
          { event: logEvents.STOW_INSTANCE_FAILED, part: results.length - 1, failureReason, detail },
          'STOW-RS request body unreadable after some parts',
        );
      }
    }
    const responseOptions: { retrieveBaseUrl?: string; studyInstanceUid?: string } = {};
    const retrieveBaseUrl = options.retrieveBaseUrl?.(request);
    if (retrieveBaseUrl !== undefined) {
      responseOptions.retrieveBaseUrl = retrieveBaseUrl;
    }
    if (prepared.studyInstanceUid !== undefined) {
      responseOptions.studyInstanceUid = prepared.studyInstanceUid;
    }
    const response = buildStoreInstancesResponse(results, responseOptions);
    return reply
      .code(storeInstancesStatus(results))
      .type(prepared.responseType)
      .send(JSON.stringify(response));
  }

  const plugin: FastifyPluginAsync = (app) => {
    // Pass every body through as the raw stream: the handler parses it while it arrives and enforces limits.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => {
      done(null, payload);
    });
    const routeOptions = {
      config: { role: options.role },
      onRequest: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
        try {
          const prepared = prepare(request);
          const length = Number(request.headers['content-length']);
          if (Number.isFinite(length) && length > limits.maxTotalBytes) {
            throw new FoveaError('FOVEA_HTTP_BODY_TOO_LARGE', {
              detail: `the body exceeds ${limits.maxTotalBytes} bytes`,
            });
          }
          preparedRequests.set(request, prepared);
          done();
        } catch (error) {
          done(error instanceof FoveaError ? reject(request, reply, error) : toError(error));
        }
      },
    };
    app.post('/studies', routeOptions, storeStudies);
    app.post('/studies/:StudyInstanceUID', routeOptions, storeStudies);
    return Promise.resolve();
  };
  return plugin;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new FoveaError('FOVEA_INTERNAL', { cause: error });
}

/** The failure reason for the unreadable remainder of a body: out of resources for limits, else cannot understand. */
function remainderReason(error: unknown): number {
  return error instanceof FoveaError && error.code === 'FOVEA_HTTP_BODY_TOO_LARGE'
    ? stowFailureReasons.outOfResources
    : stowFailureReasons.cannotUnderstand;
}
