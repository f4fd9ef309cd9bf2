/**
 * The one error catalogue of Fovea. Every code has a category, a retryable flag and its mapping to the
 * protocol answers Fovea gives (HTTP status, DIMSE status, HL7 acknowledgement code). `docs/errors.md`
 * lists the same codes; a test keeps the two in step.
 *
 * Expected outcomes (ungradable image, no matching rule, analyzer declines) are values, not errors.
 */

/** What kind of failure an error is; decides retries, alerting and who must act. */
export type ErrorCategory = 'input' | 'conformance' | 'config' | 'transient' | 'external' | 'internal';

/** HL7 v2 acknowledgement codes (MSA-1). */
export type Hl7AckCode = 'AE' | 'AR';

/** One catalogue entry. */
export interface ErrorSpec {
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  /** HTTP status for REST/DICOMweb answers. */
  readonly http: number;
  /**
   * DIMSE status for a C-STORE (or other DIMSE) response.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3
   */
  readonly dimse: number;
  readonly hl7: Hl7AckCode;
  /** Short human title; safe to show to any caller (no internal detail). */
  readonly title: string;
}

/** The catalogue. Codes are `FOVEA_<AREA>_<WHAT>` and are never reused for another meaning. */
export const errorCatalogue = {
  FOVEA_CONFIG_INVALID: {
    category: 'config',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AR',
    title: 'The configuration is invalid',
  },
  FOVEA_DICOM_MALFORMED: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The DICOM data could not be parsed',
  },
  FOVEA_DICOM_MISSING_ATTRIBUTE: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xa900,
    hl7: 'AE',
    title: 'A required DICOM attribute is missing or invalid',
  },
  FOVEA_DICOM_UID_MISMATCH: {
    category: 'input',
    retryable: false,
    http: 409,
    dimse: 0xa900,
    hl7: 'AE',
    title: 'The data set does not match the identifiers it was sent with',
  },
  FOVEA_DICOM_SOP_CLASS_UNSUPPORTED: {
    category: 'conformance',
    retryable: false,
    http: 415,
    dimse: 0x0122,
    hl7: 'AR',
    title: 'The SOP class is not supported',
  },
  FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED: {
    category: 'conformance',
    retryable: false,
    http: 415,
    dimse: 0xc122,
    hl7: 'AR',
    title: 'The transfer syntax is not supported',
  },
  FOVEA_DIMSE_ASSOCIATION_REJECTED: {
    category: 'input',
    retryable: false,
    http: 403,
    dimse: 0x0124,
    hl7: 'AR',
    title: 'The association was rejected',
  },
  FOVEA_DIMSE_PROTOCOL: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The peer violated the DICOM upper-layer protocol',
  },
  FOVEA_DIMSE_PEER: {
    category: 'external',
    retryable: true,
    http: 502,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The DICOM peer failed or refused the request',
  },
  FOVEA_SPOOL_WRITE_FAILED: {
    category: 'transient',
    retryable: true,
    http: 503,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The instance could not be stored',
  },
  FOVEA_HTTP_BAD_REQUEST: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The request is invalid',
  },
  FOVEA_HTTP_UNAUTHORIZED: {
    category: 'input',
    retryable: false,
    http: 401,
    dimse: 0x0124,
    hl7: 'AR',
    title: 'Authentication is required',
  },
  FOVEA_HTTP_FORBIDDEN: {
    category: 'input',
    retryable: false,
    http: 403,
    dimse: 0x0124,
    hl7: 'AR',
    title: 'The caller lacks the role this route needs',
  },
  FOVEA_HTTP_NOT_FOUND: {
    category: 'input',
    retryable: false,
    http: 404,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'No such resource',
  },
  FOVEA_HTTP_CONFLICT: {
    category: 'input',
    retryable: false,
    http: 409,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The request conflicts with the current state of the resource',
  },
  FOVEA_HTTP_NOT_ACCEPTABLE: {
    category: 'input',
    retryable: false,
    http: 406,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'None of the accepted media types can be produced',
  },
  FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE: {
    category: 'input',
    retryable: false,
    http: 415,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The media type of the request body is not supported',
  },
  FOVEA_HTTP_MULTIPART_MALFORMED: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The multipart body is malformed',
  },
  FOVEA_HTTP_BODY_TOO_LARGE: {
    category: 'input',
    retryable: false,
    http: 413,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The request body is larger than allowed',
  },
  FOVEA_CLAIM_HELD: {
    category: 'input',
    retryable: false,
    http: 409,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The study is claimed by another reader',
  },
  FOVEA_PACS_UNREACHABLE: {
    category: 'external',
    retryable: true,
    http: 502,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The PACS could not be reached',
  },
  FOVEA_PACS_RESPONSE_INVALID: {
    category: 'external',
    retryable: true,
    http: 502,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The PACS answered with something Fovea cannot use',
  },
  FOVEA_FHIR_UNAVAILABLE: {
    category: 'external',
    retryable: true,
    http: 502,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The FHIR server could not be read',
  },
  FOVEA_STORE_UNAVAILABLE: {
    category: 'transient',
    retryable: true,
    http: 503,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The database is not available',
  },
  FOVEA_STORE_MIGRATION_FAILED: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'A database migration failed',
  },
  FOVEA_ANALYZER_REGISTRATION: {
    category: 'config',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AR',
    title: 'An analyzer could not be registered',
  },
  FOVEA_ANALYZER_FAILED: {
    category: 'external',
    retryable: true,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The analyzer failed',
  },
  FOVEA_ANALYZER_TIMEOUT: {
    category: 'transient',
    retryable: true,
    http: 504,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The analyzer did not finish in time',
  },
  FOVEA_ANALYZER_OUTPUT_INVALID: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The analyzer returned invalid findings',
  },
  FOVEA_IMAGING_DECODE_FAILED: {
    category: 'conformance',
    retryable: false,
    http: 422,
    dimse: 0xc000,
    hl7: 'AE',
    title: 'The pixel data could not be decoded',
  },
  FOVEA_JOB_LEASE_LOST: {
    category: 'transient',
    retryable: true,
    http: 409,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The job was taken over by another process',
  },
  FOVEA_SR_INVALID: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The structured report could not be built',
  },
  FOVEA_SEG_INVALID: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The segmentation could not be built',
  },
  FOVEA_PR_INVALID: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The presentation state could not be built',
  },
  FOVEA_SC_INVALID: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The derived image could not be built',
  },
  FOVEA_DELIVERY_FAILED: {
    category: 'external',
    retryable: true,
    http: 502,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The destination did not accept the result',
  },
  FOVEA_DELIVERY_REFUSED: {
    category: 'external',
    retryable: false,
    http: 502,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The destination refused the result itself',
  },
  FOVEA_DELIVERY_DESTINATION_UNKNOWN: {
    category: 'config',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AR',
    title: 'The delivery destination is not configured',
  },
  FOVEA_INTERNAL: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'Internal error',
  },
  FOVEA_MLLP_MALFORMED: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xc000,
    hl7: 'AR',
    title: 'The HL7 v2 message could not be parsed',
  },
  FOVEA_MLLP_ENCODING_CHARACTERS_INVALID: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xc000,
    hl7: 'AR',
    title: 'The HL7 v2 field separator or encoding characters are invalid',
  },
  FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED: {
    category: 'conformance',
    retryable: false,
    http: 415,
    dimse: 0xc000,
    hl7: 'AR',
    title: 'The HL7 v2 message type or trigger event is not supported',
  },
  FOVEA_MLLP_VERSION_UNSUPPORTED: {
    category: 'conformance',
    retryable: false,
    http: 415,
    dimse: 0xc000,
    hl7: 'AR',
    title: 'The HL7 v2 version is not supported',
  },
  FOVEA_MLLP_CHARSET_UNSUPPORTED: {
    category: 'conformance',
    retryable: false,
    http: 415,
    dimse: 0xc000,
    hl7: 'AR',
    title: 'The HL7 v2 character set is not supported',
  },
  FOVEA_MLLP_MESSAGE_TOO_LARGE: {
    category: 'input',
    retryable: false,
    http: 413,
    dimse: 0xa700,
    hl7: 'AR',
    title: 'The HL7 v2 message is larger than allowed',
  },
  FOVEA_MLLP_REQUIRED_FIELD_MISSING: {
    category: 'input',
    retryable: false,
    http: 400,
    dimse: 0xa900,
    hl7: 'AE',
    title: 'A required HL7 v2 field is missing or invalid',
  },
  FOVEA_MLLP_HANDLER_TIMEOUT: {
    category: 'transient',
    retryable: true,
    http: 503,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The HL7 v2 message was not processed in time',
  },
  FOVEA_MLLP_ACK_TIMEOUT: {
    category: 'transient',
    retryable: true,
    http: 504,
    dimse: 0xa700,
    hl7: 'AE',
    title: 'The HL7 v2 receiver did not acknowledge the message in time',
  },
  FOVEA_MLLP_UNREPRESENTABLE: {
    category: 'internal',
    retryable: false,
    http: 500,
    dimse: 0x0110,
    hl7: 'AE',
    title: 'The HL7 v2 message cannot be encoded in its character set',
  },
} as const satisfies Record<string, ErrorSpec>;

/** Every code in the catalogue. */
export type ErrorCode = keyof typeof errorCatalogue;

/** Options of a {@link FoveaError}. */
export interface FoveaErrorOptions {
  /** Caller-safe detail (never PHI, never internal stack information). */
  readonly detail?: string;
  /** Where in the input the problem is (a config path, a DICOM keyword, a multipart part number). */
  readonly path?: string;
  readonly cause?: unknown;
}

/** An error with a catalogue code; the only kind of error Fovea throws on purpose. */
export class FoveaError extends Error {
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;
  readonly detail: string | undefined;
  readonly path: string | undefined;

  constructor(code: ErrorCode, options: FoveaErrorOptions = {}) {
    const spec = errorCatalogue[code];
    super(options.detail === undefined ? spec.title : `${spec.title}: ${options.detail}`, {
      cause: options.cause,
    });
    this.name = 'FoveaError';
    this.code = code;
    this.spec = spec;
    this.detail = options.detail;
    this.path = options.path;
  }
}

/** Turns anything thrown into a {@link FoveaError}; unknown errors become `FOVEA_INTERNAL`. */
export function toFoveaError(error: unknown): FoveaError {
  if (error instanceof FoveaError) {
    return error;
  }
  return new FoveaError('FOVEA_INTERNAL', { cause: error });
}

/** Checks that a code exists in the catalogue. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalogue, code);
}
