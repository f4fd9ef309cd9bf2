/**
 * DICOMweb clients for the configured PACS (QIDO-RS, WADO-RS, STOW-RS), with the PACS's authentication.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html
 */
import type { FoveaConfig } from '../config/index.ts';
import type { Logger } from '../core/logger.ts';
import { DicomWebClient } from '../dicom/dicomweb/index.ts';

/**
 * A DICOMweb client for one configured PACS, or `undefined` when it has no DICOMweb URL. The timeout is the
 * PACS's own (`timeoutSeconds`, default 30 s) unless `timeoutMs` is given.
 */
export function dicomWebClientFor(
  config: FoveaConfig,
  pacsId: string,
  logger: Logger,
  timeoutMs?: number,
): DicomWebClient | undefined {
  const web = config.pacs[pacsId]?.dicomweb;
  if (web === undefined) {
    return undefined;
  }
  const auth =
    web.bearerToken !== undefined
      ? { bearer: web.bearerToken }
      : web.user !== undefined
        ? { user: web.user, password: web.password ?? '' }
        : undefined;
  return new DicomWebClient({
    baseUrl: web.url,
    timeoutMs: timeoutMs ?? (web.timeoutSeconds ?? 30) * 1000,
    logger,
    ...(auth === undefined ? {} : { auth }),
  });
}
