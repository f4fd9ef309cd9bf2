/**
 * DICOMweb framework ring: media types, streaming multipart/related parser and writer, DICOM JSON helpers,
 * the STOW-RS server route (a Fastify plugin taking handlers) and a QIDO-RS / WADO-RS / STOW-RS client.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html
 */
export {
  formatMediaType,
  isMediaType,
  negotiateMediaType,
  parseAccept,
  parseMediaType,
  type AcceptedMediaType,
  type MediaType,
} from './media-type.ts';
export {
  defaultMaxHeaderBytes,
  isAcceptableBoundary,
  parseMultipart,
  type MultipartLimits,
  type MultipartParseOptions,
  type MultipartPart,
} from './multipart-parser.ts';
export {
  createBoundary,
  multipartRelatedContentType,
  writeMultipart,
  type MultipartWriterPart,
} from './multipart-writer.ts';
export {
  dicomJsonTags,
  getNumber,
  getNumbers,
  getPersonName,
  getSequence,
  getString,
  getStrings,
  isDicomJsonDataset,
  normalizeTag,
  setNumbers,
  setPersonName,
  setSequence,
  setStrings,
  type DicomJsonAttribute,
  type DicomJsonDataset,
  type DicomJsonPersonName,
  type DicomJsonValue,
} from './dicom-json.ts';
export {
  buildStoreInstancesResponse,
  storeInstancesStatus,
  stowFailureReasons,
  type StoreInstancesResponseOptions,
  type StowPartResult,
} from './stow-response.ts';
export {
  stowRsRoutes,
  type StowHandlers,
  type StowPart,
  type StowRequestContext,
  type StowRouteOptions,
} from './stow-route.ts';
export {
  DicomWebClient,
  type DicomWebClientOptions,
  type InstanceHandler,
  type QidoOptions,
  type QidoQuery,
  type StowInstance,
  type StowResult,
} from './client.ts';
export { deferExpectContinue } from './expect-continue.ts';
