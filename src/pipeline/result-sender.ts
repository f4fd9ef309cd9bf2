/**
 * The {@link ResultSender} over the configured destinations: DIMSE C-STORE (one association per delivery) or
 * DICOMweb STOW-RS to a PACS, a transaction Bundle to the FHIR server, an HL7 v2 message over MLLP (one
 * connection per message, its ACK awaited). Any answer but success is an error, retryable unless the
 * destination refused the object itself (a 4xx FHIR answer, an HL7 AR).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2.3 (C-STORE status)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5 (STOW-RS)
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading62 (HL7 v2.5.1 §2.9.2, original-mode ACK)
 */
import type { DeliveryDestination, FoveaConfig } from '../config/index.ts';
import { FoveaError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultObject } from '../core/result-store.ts';
import { readPart10Meta } from '../dicom/codec/index.ts';
import type { DicomWebClient } from '../dicom/dicomweb/index.ts';
import { classifyStatus, StoreScu } from '../dicom/dimse/index.ts';
import { sendMllpMessage } from '../hl7/index.ts';
import type { ResultSender } from './deliver-step.ts';
import { dicomWebClientFor } from './pacs-clients.ts';

/** The first diagnostics of an OperationOutcome body ('' when there is none). */
function outcomeText(body: string): string {
  try {
    const outcome = JSON.parse(body) as { issue?: { diagnostics?: string; details?: { text?: string } }[] };
    return outcome.issue?.[0]?.diagnostics ?? outcome.issue?.[0]?.details?.text ?? '';
  } catch {
    return '';
  }
}

/**
 * POSTs a transaction Bundle to the FHIR server of `fhir.baseUrl`. 2xx: delivered. 408, 429 and 5xx or no
 * answer: retryable (`FOVEA_DELIVERY_FAILED`). Other 4xx: the server refuses the Bundle itself, not retried
 * (`FOVEA_DELIVERY_REFUSED`), with the OperationOutcome's first diagnostics in the detail.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
async function sendFhirBundle(config: FoveaConfig, bundle: Buffer, timeoutMs: number): Promise<void> {
  const baseUrl = config.fhir.baseUrl;
  if (baseUrl === undefined) {
    throw new FoveaError('FOVEA_DELIVERY_DESTINATION_UNKNOWN', { detail: 'fhir.baseUrl is not set' });
  }
  let response: Response;
  try {
    response = await fetch(baseUrl.replace(/\/+$/u, ''), {
      method: 'POST',
      headers: {
        'content-type': 'application/fhir+json',
        accept: 'application/fhir+json',
        ...(config.fhir.token === undefined ? {} : { authorization: `Bearer ${config.fhir.token}` }),
      },
      body: bundle,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new FoveaError('FOVEA_DELIVERY_FAILED', { detail: 'the FHIR server did not answer', cause: error });
  }
  const text = await response.text();
  if (response.ok) {
    return;
  }
  const diagnostics = outcomeText(text);
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new FoveaError(retryable ? 'FOVEA_DELIVERY_FAILED' : 'FOVEA_DELIVERY_REFUSED', {
    detail: `the FHIR server answered ${response.status}${diagnostics === '' ? '' : `: ${diagnostics.slice(0, 200)}`}`,
  });
}

/** Sends results to the PACS of `config`, FHIR Bundles to its FHIR server and HL7 v2 messages over MLLP. */
export function pacsResultSender(config: FoveaConfig, logger: Logger): ResultSender {
  const timeoutMs = config.delivery.timeoutSeconds * 1000;
  const clients = new Map<string, DicomWebClient>();
  const webClient = (pacsId: string): DicomWebClient => {
    let client = clients.get(pacsId);
    if (client === undefined) {
      client = dicomWebClientFor(config, pacsId, logger, timeoutMs);
      if (client === undefined) {
        throw new FoveaError('FOVEA_DELIVERY_DESTINATION_UNKNOWN', {
          detail: `PACS "${pacsId}" has no DICOMweb URL`,
        });
      }
      clients.set(pacsId, client);
    }
    return client;
  };
  return {
    async send(
      destination: DeliveryDestination,
      object: ResultObject,
      part10: Buffer,
      signal: AbortSignal,
    ): Promise<void> {
      if (destination.protocol === 'mllp') {
        await sendMllpMessage({
          host: destination.host,
          port: destination.port,
          message: part10,
          timeoutMs,
          signal,
        });
        return;
      }
      if (destination.protocol === 'fhir') {
        await sendFhirBundle(config, part10, timeoutMs);
        return;
      }
      if (destination.protocol === 'stow-rs') {
        const result = await webClient(destination.pacs).storeInstances([part10], object.studyInstanceUid);
        if (result.status !== 200) {
          throw new FoveaError('FOVEA_DELIVERY_FAILED', {
            detail: `STOW-RS answered ${result.status}`,
          });
        }
        return;
      }
      const peer = config.pacs[destination.pacs]?.dimse;
      if (peer === undefined) {
        throw new FoveaError('FOVEA_DELIVERY_DESTINATION_UNKNOWN', {
          detail: `PACS "${destination.pacs}" has no DIMSE peer`,
        });
      }
      const meta = readPart10Meta(part10);
      if (meta === undefined) {
        throw new FoveaError('FOVEA_INTERNAL', { detail: 'the result object is not a Part 10 file' });
      }
      const scu = await StoreScu.connect(
        {
          host: peer.host,
          port: peer.port,
          callingAet: config.dicom.aeTitle,
          calledAet: peer.aeTitle,
          timeoutMs,
          logger,
        },
        [{ sopClassUid: object.sopClassUid, transferSyntaxes: [meta.transferSyntaxUid] }],
      );
      try {
        const outcome = await scu.store({
          sopClassUid: object.sopClassUid,
          sopInstanceUid: object.sopInstanceUid,
          transferSyntaxUid: meta.transferSyntaxUid,
          dataset: part10.subarray(meta.byteLength),
        });
        const status = classifyStatus(outcome.status);
        if (status === 'failure') {
          throw new FoveaError('FOVEA_DELIVERY_FAILED', {
            detail: `C-STORE status 0x${outcome.status.toString(16).padStart(4, '0')}`,
          });
        }
      } finally {
        await scu.release().catch(() => {
          scu.abort();
        });
      }
    },
  };
}
