/**
 * The `deliver` job: sends one result object to one destination (C-STORE or STOW-RS) and records the
 * attempt. Retried with backoff by the job runner until the destination acknowledges; idempotent because the
 * object is written once, with a stable SOP Instance UID, before its first delivery, and every retry sends
 * the same bytes (a PACS stores one instance per SOP Instance UID).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeliveryDestination } from '../config/index.ts';
import { FoveaError, toFoveaError } from '../core/errors.ts';
import type { Job } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultObject, ResultStore } from '../core/result-store.ts';

/** Sends Part 10 bytes to a destination; resolves once the destination acknowledged them. */
export interface ResultSender {
  send(
    destination: DeliveryDestination,
    object: ResultObject,
    part10: Buffer,
    signal: AbortSignal,
  ): Promise<void>;
}

/** The payload of a `deliver` job. */
export interface DeliverJobPayload {
  readonly deliveryId: string;
}

/** What the deliver step needs. */
export interface DeliverStepDependencies {
  readonly results: ResultStore;
  readonly destinations: readonly DeliveryDestination[];
  readonly sender: ResultSender;
  /** Root the result objects' paths are relative to. */
  readonly dataDir: string;
  readonly logger: Logger;
}

/** Runs a `deliver` job. */
export async function runDeliverJob(
  deps: DeliverStepDependencies,
  job: Job,
  signal: AbortSignal,
): Promise<void> {
  const { deliveryId } = job.payload as unknown as DeliverJobPayload;
  const delivery = await deps.results.getDelivery(deliveryId);
  if (delivery === undefined) {
    throw new FoveaError('FOVEA_INTERNAL', { detail: `delivery ${deliveryId} is not recorded` });
  }
  if (delivery.state === 'delivered') {
    return;
  }
  const logger = deps.logger.child({ studyInstanceUid: delivery.studyInstanceUid, deliveryId });
  const destination = deps.destinations.find((entry) => entry.id === delivery.destination);
  const object = await deps.results.getResultObject(delivery.sopInstanceUid);
  try {
    if (destination === undefined) {
      throw new FoveaError('FOVEA_DELIVERY_DESTINATION_UNKNOWN', {
        detail: `destination "${delivery.destination}" is not configured`,
      });
    }
    if (object === undefined) {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'the result object is not recorded' });
    }
    const part10 = await readFile(join(deps.dataDir, object.path));
    await deps.sender.send(destination, object, part10, signal);
  } catch (error) {
    const failure = toFoveaError(error);
    const dead = !failure.spec.retryable || job.attempts >= job.maxAttempts;
    await deps.results.recordDeliveryAttempt(deliveryId, {
      delivered: false,
      dead,
      code: failure.code,
      message: failure.detail ?? failure.spec.title,
    });
    logger.warn(
      {
        event: dead ? logEvents.DELIVERY_DEAD : logEvents.DELIVERY_FAILED,
        destination: delivery.destination,
        attempt: job.attempts,
        code: failure.code,
        detail: failure.detail,
      },
      dead ? 'delivery given up' : 'delivery failed; it will be retried',
    );
    throw failure;
  }
  await deps.results.recordDeliveryAttempt(deliveryId, { delivered: true });
  logger.info(
    {
      event: logEvents.DELIVERY_SENT,
      destination: delivery.destination,
      protocol: delivery.protocol,
      sopInstanceUid: delivery.sopInstanceUid,
      attempt: job.attempts,
    },
    'result delivered',
  );
}
