/**
 * The Store Instances Response Module of a STOW-RS answer, and the HTTP status that goes with it.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#chapter_I
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5.3
 */
import {
  dicomJsonTags as tags,
  setNumbers,
  setSequence,
  setStrings,
  type DicomJsonDataset,
} from './dicom-json.ts';

/**
 * What storing one part produced. `ok: false` lists the SOP Class/Instance UIDs when they are known (a part
 * that could not be parsed has none). Reasons are the Table I.2-1/I.2-2 values (e.g. 0xB000 coercion;
 * 0xA700 out of resources, 0xA900 data set does not match, 0xC000 cannot understand, 0x0110 processing
 * failure, 0x0122 SOP class not supported).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_I.2
 */
export type StowPartResult =
  | {
      ok: true;
      sopClassUid: string;
      sopInstanceUid: string;
      studyInstanceUid: string;
      /** Needed for the instance's RetrieveURL (0008,1190); without it the URL is left empty. */
      seriesInstanceUid?: string;
      warningReason?: number;
    }
  | { ok: false; sopClassUid?: string; sopInstanceUid?: string; failureReason: number; detail?: string };

/** Failure reasons Fovea uses itself. */
export const stowFailureReasons = {
  /** Refused: out of resources (limits exceeded). */
  outOfResources: 0xa700,
  /** Error: Data Set does not match SOP Class (e.g. an instance of another study than the URL names). */
  dataSetDoesNotMatch: 0xa900,
  /** Error: cannot understand (unparseable part, unsupported part media type). */
  cannotUnderstand: 0xc000,
  /** Processing failure (the handler failed without saying why). */
  processingFailure: 0x0110,
} as const;

/** Options of {@link buildStoreInstancesResponse}. */
export interface StoreInstancesResponseOptions {
  /** Base of RetrieveURLs, e.g. `http://host:port/dicomweb`; without it RetrieveURLs are empty (Type 2). */
  readonly retrieveBaseUrl?: string;
  /** The study named by the request URL, if any. */
  readonly studyInstanceUid?: string;
}

function isReason(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 0 && value <= 0xffff;
}

function joinUrl(base: string, ...segments: string[]): string {
  return `${base.replace(/\/+$/, '')}/${segments.map((segment) => encodeURIComponent(segment)).join('/')}`;
}

/**
 * Builds the response data set: (0008,1190) RetrieveURL of the study when instances were stored and the URL
 * names the study or they all belong to one study (empty otherwise, as Type 2 allows), (0008,1199) ReferencedSOPSequence of stored instances with
 * their RetrieveURL and WarningReason, (0008,1198) FailedSOPSequence with FailureReason. A failed part whose
 * UIDs are unknown (unparseable) gets empty (0008,1150)/(0008,1155) attributes rather than no item at all.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#table_I.1-1
 */
export function buildStoreInstancesResponse(
  results: readonly StowPartResult[],
  options: StoreInstancesResponseOptions = {},
): DicomJsonDataset {
  const referenced: DicomJsonDataset[] = [];
  const failed: DicomJsonDataset[] = [];
  const studies = new Set<string>();
  for (const result of results) {
    const item: DicomJsonDataset = {};
    setStrings(item, tags.ReferencedSOPClassUID, 'UI', result.sopClassUid);
    setStrings(item, tags.ReferencedSOPInstanceUID, 'UI', result.sopInstanceUid);
    if (result.ok) {
      studies.add(result.studyInstanceUid);
      const url =
        options.retrieveBaseUrl !== undefined && result.seriesInstanceUid !== undefined
          ? joinUrl(
              options.retrieveBaseUrl,
              'studies',
              result.studyInstanceUid,
              'series',
              result.seriesInstanceUid,
              'instances',
              result.sopInstanceUid,
            )
          : undefined;
      setStrings(item, tags.RetrieveURL, 'UR', url);
      if (result.warningReason !== undefined) {
        setNumbers(
          item,
          tags.WarningReason,
          'US',
          isReason(result.warningReason) ? result.warningReason : 0xb000,
        );
      }
      referenced.push(item);
    } else {
      setNumbers(
        item,
        tags.FailureReason,
        'US',
        isReason(result.failureReason) ? result.failureReason : stowFailureReasons.processingFailure,
      );
      failed.push(item);
    }
  }
  const response: DicomJsonDataset = {};
  const [onlyStudy] = studies;
  const study =
    referenced.length === 0
      ? undefined
      : (options.studyInstanceUid ?? (studies.size === 1 ? onlyStudy : undefined));
  setStrings(
    response,
    tags.RetrieveURL,
    'UR',
    options.retrieveBaseUrl !== undefined && study !== undefined
      ? joinUrl(options.retrieveBaseUrl, 'studies', study)
      : undefined,
  );
  if (failed.length > 0) {
    setSequence(response, tags.FailedSOPSequence, failed);
  }
  if (referenced.length > 0) {
    setSequence(response, tags.ReferencedSOPSequence, referenced);
  }
  return response;
}

/**
 * The HTTP status of a STOW-RS response (PS3.18 Table 10.5.3-1): 200 when every instance was stored without
 * warnings, 202 when some were stored but warnings or failures exist, 409 when none could be stored.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5.3.1
 */
export function storeInstancesStatus(results: readonly StowPartResult[]): 200 | 202 | 409 {
  const stored = results.filter((result) => result.ok);
  if (stored.length === 0) {
    return 409;
  }
  const clean =
    stored.length === results.length && stored.every((result) => result.warningReason === undefined);
  return clean ? 200 : 202;
}
