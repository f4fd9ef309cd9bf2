/**
 * The DIMSE handlers: calling-AE policy at association time, and each C-STORE data set streamed through
 * ingest. Failures become the DIMSE status of the catalogue (0xA700, 0xA900, 0xC000, 0x0122 …).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3 (C-STORE statuses)
 */
import type { FoveaConfig } from '../config/index.ts';
import { toFoveaError } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
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
  logger: Logger,
  metrics: Metrics,
): StoreScpHandlers {
  return {
    associationRequested(info) {
      if (callerAllowed(config.dicom, info.callingAet, info.peerAddress)) {
        metrics.dimseAssociation('accepted');
        return { accept: true };
      }
      metrics.dimseAssociation('rejected');
      logger.warn(
        {
          event: logEvents.DIMSE_ASSOCIATION_REJECTED,
          callingAet: info.callingAet,
          peerAddress: info.peerAddress,
          reason: 'calling AE title not allowed',
        },
        'association rejected',
      );
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
