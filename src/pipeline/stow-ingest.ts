/**
 * The STOW-RS handler: each part of a Store Instances request streams through ingest. A part of another study
 * than the one named in the URL fails with 0xA900 and is not kept.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5
 */
import { toFoveaError } from '../core/errors.ts';
import type { SiteConfig } from '../config/index.ts';
import type { StowHandlers, StowPartResult } from '../dicom/dicomweb/index.ts';
import type { Ingest } from './ingest.ts';
import { resolveSite } from './site.ts';

/** Builds the STOW-RS handlers over ingest. */
export function stowIngestHandlers(
  ingest: Ingest,
  sites: readonly SiteConfig[],
  defaultSite: string,
): StowHandlers {
  return {
    async storePart(part, context): Promise<StowPartResult> {
      const site = resolveSite(sites, defaultSite, {
        peerAddress: context.peerAddress,
        ...(context.principal === undefined ? {} : { principal: context.principal }),
      });
      const incoming = await ingest.begin(
        {
          protocol: 'stow-rs',
          peerAddress: context.peerAddress,
          requestId: context.requestId,
          site,
          ...(context.principal === undefined ? {} : { principal: context.principal }),
        },
        context.studyInstanceUid === undefined
          ? { part10: true }
          : { part10: true, studyInstanceUid: context.studyInstanceUid },
      );
      try {
        for await (const chunk of part.body) {
          await incoming.write(chunk);
        }
      } catch (error) {
        await incoming.abort();
        throw toFoveaError(error);
      }
      const accepted = await incoming.finish().catch((error: unknown) => {
        throw toFoveaError(error);
      });
      const header = accepted.header;
      return {
        ok: true,
        sopClassUid: header.sopClassUid,
        sopInstanceUid: header.sopInstanceUid,
        studyInstanceUid: header.studyInstanceUid,
        seriesInstanceUid: header.seriesInstanceUid,
      };
    },
  };
}
