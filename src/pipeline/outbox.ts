/**
 * The outbox: result objects written durably once (temporary file, fsync, rename) under the data directory,
 * recorded with one delivery per matching destination (DICOM objects to the PACS destinations, FHIR Bundles
 * to the FHIR destination, each HL7 v2 message to the MLLP destination it was built for), and handed to
 * `deliver` jobs. Every step is idempotent by the object's derived
 * id, so publishing or signing again adds nothing.
 */
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DeliveryDestination } from '../config/index.ts';
import type { JobQueue } from '../core/job-queue.ts';
import type { ResultStore } from '../core/result-store.ts';
import { idFromName } from '../core/uid.ts';
import type { BuiltObject } from './result-objects.ts';

/** An HL7 v2 message built for one MLLP destination (its encoded bytes in `part10`). */
export interface Hl7OutboxObject {
  readonly kind: 'hl7';
  /** The media type `x-application/hl7-v2+er7`. */
  readonly sopClassUid: string;
  /** An id in UID form derived from what the message reports and the destination. */
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly part10: Uint8Array;
  /** The id of the MLLP destination the message is addressed to. */
  readonly destination: string;
}

/** Anything the outbox delivers. */
export type OutboxObject = BuiltObject | Hl7OutboxObject;

/** What queueing needs. */
export interface OutboxDependencies {
  readonly results: ResultStore;
  readonly jobs: JobQueue;
  readonly destinations: readonly DeliveryDestination[];
  readonly dataDir: string;
  readonly maxDeliveryAttempts: number;
}

/** Writes `bytes` to `path` durably: temporary file, fsync, rename. */
export async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

/**
 * The destinations an object goes to: an HL7 message to the MLLP destination it was built for, FHIR Bundles
 * to FHIR destinations, DICOM objects to the PACS destinations (DIMSE, STOW-RS).
 */
export function destinationsFor(
  object: OutboxObject,
  destinations: readonly DeliveryDestination[],
): DeliveryDestination[] {
  if (object.kind === 'hl7') {
    return destinations.filter(
      (destination) => destination.protocol === 'mllp' && destination.id === object.destination,
    );
  }
  if (object.kind === 'fhir') {
    return destinations.filter((destination) => destination.protocol === 'fhir');
  }
  return destinations.filter(
    (destination) => destination.protocol === 'dimse' || destination.protocol === 'stow-rs',
  );
}

/** The file name extension of an object: JSON Bundles, ER7 messages, else Part 10 files. */
function extensionOf(object: OutboxObject): string {
  return object.kind === 'fhir' ? 'json' : object.kind === 'hl7' ? 'hl7' : 'dcm';
}

/**
 * Records objects of one analysis and queues their deliveries; returns the delivery ids queued.
 * @param status `preliminary` or `final`, as the result objects table keeps it.
 */
export async function queueObjects(
  deps: OutboxDependencies,
  analysis: { readonly id: string; readonly studyInstanceUid: string },
  objects: readonly OutboxObject[],
  status: 'preliminary' | 'final',
  createdAt: Date,
): Promise<string[]> {
  const deliveryIds: string[] = [];
  for (const object of objects) {
    const extension = extensionOf(object);
    const path = join(
      'results',
      analysis.studyInstanceUid,
      `${object.kind}-${object.sopInstanceUid}.${extension}`,
    );
    if ((await deps.results.getResultObject(object.sopInstanceUid)) === undefined) {
      await writeDurably(join(deps.dataDir, path), object.part10);
    }
    const deliveries = destinationsFor(object, deps.destinations).map((destination) => ({
      id: `de-${idFromName(`${object.sopInstanceUid}->${destination.id}`)}`,
      destination: destination.id,
      protocol: destination.protocol,
    }));
    await deps.results.saveResultObject(
      {
        sopInstanceUid: object.sopInstanceUid,
        sopClassUid: object.sopClassUid,
        seriesInstanceUid: object.seriesInstanceUid,
        studyInstanceUid: analysis.studyInstanceUid,
        analysisId: analysis.id,
        kind: object.kind,
        path,
        status,
        createdAt,
      },
      deliveries,
    );
    deliveryIds.push(...deliveries.map((delivery) => delivery.id));
  }
  if (deliveryIds.length > 0) {
    await deps.jobs.enqueue(
      deliveryIds.map((deliveryId) => ({
        kind: 'deliver',
        key: deliveryId,
        payload: { deliveryId },
        studyInstanceUid: analysis.studyInstanceUid,
        maxAttempts: deps.maxDeliveryAttempts,
      })),
    );
  }
  return deliveryIds;
}
