/**
 * The outbox: result objects written durably once (temporary file, fsync, rename) under the data directory,
 * recorded with one delivery per matching destination (DICOM objects to the PACS destinations, FHIR Bundles
 * to the FHIR destination), and handed to `deliver` jobs. Every step is idempotent by the object's derived
 * id, so publishing or signing again adds nothing.
 */
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DeliveryDestination } from '../config/index.ts';
import type { JobQueue } from '../core/job-queue.ts';
import type { ResultStore } from '../core/result-store.ts';
import { idFromName } from '../core/uid.ts';
import type { BuiltObject } from './result-objects.ts';

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

/** The destinations an object goes to: FHIR Bundles to FHIR destinations, DICOM objects to the others. */
export function destinationsFor(
  object: Pick<BuiltObject, 'kind'>,
  destinations: readonly DeliveryDestination[],
): DeliveryDestination[] {
  return destinations.filter((destination) => (object.kind === 'fhir') === (destination.protocol === 'fhir'));
}

/**
 * Records objects of one analysis and queues their deliveries; returns the delivery ids queued.
 * @param status `preliminary` or `final`, as the result objects table keeps it.
 */
export async function queueObjects(
  deps: OutboxDependencies,
  analysis: { readonly id: string; readonly studyInstanceUid: string },
  objects: readonly BuiltObject[],
  status: 'preliminary' | 'final',
  createdAt: Date,
): Promise<string[]> {
  const deliveryIds: string[] = [];
  for (const object of objects) {
    const extension = object.kind === 'fhir' ? 'json' : 'dcm';
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
