/**
 * The DIMSE handlers: calling-AE policy at association time, and each C-STORE data set streamed through
 * ingest. Failures become the DIMSE status of the catalogue (0xA700, 0xA900, 0xC000, 0x0122 …).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3 (C-STORE statuses)
 */
import type { FoveaConfig } from '../config/index.ts';
import { toFoveaError } from '../core/errors.ts';
import type { Metrics } from '../core/metrics.ts';
import type { StoreScpHandlers } from '../dicom/dimse/index.ts';
import { callerAllowed } from './caller-policy.ts';
import type { Ingest } from './ingest.ts';
import { resolveSite } from './site.ts';

/** Reasons of A-ASSOCIATE-RJ (source 1, service user). */
const callingAeNotRecognized = 3;

/** Builds the SCP handlers over ingest. */
export function dimseIngestHandlers(
  ingest: Ingest,
  config: Pick<FoveaConfig, 'dicom' | 'sites' | 'defaultSite'>,
  metrics: Metrics,
): StoreScpHandlers {
  return {
    associationRequested(info) {
      if (callerAllowed(config.dicom, info.callingAet, info.peerAddress)) {
        metrics.dimseAssociation('accepted');
        return { accept: true };
      }
      // The SCP logs the rejection (event 2002) with the reason; only the metric is counted here.
      metrics.dimseAssociation('rejected');
      return { accept: false, result: 1, source: 1, reason: callingAeNotRecognized };
    },
    async storeBegin(info) {
      const association = info.association;
      const site = resolveSite(config.sites, config.defaultSite, {
        callingAet: association.callingAet,
        peerAddress: association.peerAddress,
      });
      const incoming = await ingest.begin(
        {
          protocol: 'dimse',
          peerAddress: association.peerAddress,
          callingAet: association.callingAet,
          calledAet: association.calledAet,
          requestId: association.id,
          site,
        },
        {
          part10: false,
          sopClassUid: info.affectedSopClassUid,
          sopInstanceUid: info.affectedSopInstanceUid,
          transferSyntaxUid: info.transferSyntaxUid,
        },
      );
      return {
        write: (chunk) => incoming.write(chunk),
        async end() {
          try {
            await incoming.finish();
            return { status: 0x0000 };
          } catch (error) {
            const failure = toFoveaError(error);
            return { status: failure.spec.dimse, errorComment: failure.code.slice(0, 64) };
          }
        },
        abort: () => incoming.abort(),
      };
    },
  };
}
