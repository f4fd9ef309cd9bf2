/**
 * The PACS watcher: polls a PACS with QIDO-RS for ophthalmic studies and fetches what Fovea has not seen with
 * WADO-RS, so that Fovea also works where nobody can forward studies to it. The cursor (time polled through,
 * instance counts of fetched studies) is persisted, so a restart neither misses nor re-fetches studies.
 * QIDO-RS matches on StudyDate only, so each poll looks back `lookbackDays` days before the cursor.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6 (QIDO-RS)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4 (WADO-RS)
 */
import { randomBytes } from 'node:crypto';
import { toFoveaError } from '../core/errors.ts';
import type { InstanceIndex, WatchCursorStore } from '../core/instance-index.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Origin } from '../core/origin.ts';
import {
  getNumber,
  getString,
  type DicomJsonDataset,
  type InstanceHandler,
} from '../dicom/dicomweb/index.ts';
import type { Ingest } from './ingest.ts';

/** The part of the DICOMweb client the watcher uses. */
export interface WatchedPacs {
  searchStudies(
    query: Readonly<Record<string, string>>,
    options: { limit?: number; offset?: number; includefield?: readonly string[] },
  ): Promise<DicomJsonDataset[]>;
  searchInstances(studyUid: string, seriesUid?: string): Promise<DicomJsonDataset[]>;
  retrieveStudy(studyUid: string, onInstance: InstanceHandler): Promise<number>;
  retrieveInstance(
    studyUid: string,
    seriesUid: string,
    instanceUid: string,
    onInstance: InstanceHandler,
  ): Promise<number>;
}

/** What the watcher needs. */
export interface WatcherDependencies {
  readonly pacsId: string;
  readonly pacs: WatchedPacs;
  readonly cursors: WatchCursorStore;
  readonly index: InstanceIndex;
  readonly ingest: Ingest;
  readonly site: string;
  readonly modalities: readonly string[];
  readonly intervalMs: number;
  readonly lookbackDays: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
}

const tags = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  NumberOfStudyRelatedInstances: '00201208',
};
const pageSize = 200;

function dicomDate(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

/** Polls one PACS. */
export class PacsWatcher {
  readonly #deps: WatcherDependencies;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(deps: WatcherDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#stopped) {
      return;
    }
    this.#timer = setTimeout(() => {
      this.#running = this.poll()
        .then(() => undefined)
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#deps.intervalMs);
        });
    }, delay);
    this.#timer.unref();
  }

  /** One poll; returns the number of studies fetched. Never throws (failures are logged and retried). */
  async poll(): Promise<number> {
    const { pacsId, cursors, logger, metrics } = this.#deps;
    const pollId = `watch-${randomBytes(6).toString('hex')}`;
    const started = this.#now();
    logger.debug({ event: logEvents.WATCH_POLL_STARTED, pacsId, pollId }, 'polling PACS');
    try {
      const through = (await cursors.getPolledThrough(pacsId)) ?? started;
      const from = new Date(through.getTime() - this.#deps.lookbackDays * 86_400_000);
      const studies = await this.#search(dicomDate(from));
      const seen = await cursors.seenCounts(pacsId, [...studies.keys()]);
      let fetched = 0;
      for (const [studyUid, count] of studies) {
        if (this.#stopped) {
          break;
        }
        if (count !== undefined && seen.get(studyUid) === count) {
          continue;
        }
        if (await this.#fetchStudy(studyUid, pollId, seen.has(studyUid))) {
          await cursors.markSeen(pacsId, studyUid, count ?? -1, this.#now());
          fetched++;
        }
      }
      await cursors.setPolledThrough(pacsId, started);
      metrics.watchPoll('ok', fetched);
      logger.info(
        { event: logEvents.WATCH_POLL_DONE, pacsId, pollId, studies: studies.size, fetched },
        'PACS polled',
      );
      return fetched;
    } catch (error) {
      metrics.watchPoll('failed', 0);
      logger.warn(
        { event: logEvents.WATCH_POLL_FAILED, pacsId, pollId, code: toFoveaError(error).code },
        'PACS poll failed; retrying at the next interval',
      );
      return 0;
    }
  }

  /** Study UID → NumberOfStudyRelatedInstances for every watched modality. */
  async #search(fromDate: string): Promise<Map<string, number | undefined>> {
    const studies = new Map<string, number | undefined>();
    for (const modality of this.#deps.modalities) {
      for (let offset = 0; ; offset += pageSize) {
        const page = await this.#deps.pacs.searchStudies(
          { ModalitiesInStudy: modality, StudyDate: `${fromDate}-` },
          { limit: pageSize, offset, includefield: ['NumberOfStudyRelatedInstances'] },
        );
        for (const dataset of page) {
          const uid = getString(dataset, tags.StudyInstanceUID);
          if (uid !== undefined) {
            studies.set(uid, getNumber(dataset, tags.NumberOfStudyRelatedInstances));
          }
        }
        if (page.length < pageSize) {
          break;
        }
      }
    }
    return studies;
  }

  /** Fetches a study (or only its new instances); true when every instance was dealt with. */
  async #fetchStudy(studyUid: string, pollId: string, partlyKnown: boolean): Promise<boolean> {
    const { pacs, pacsId, ingest, index, logger } = this.#deps;
    const origin: Origin = {
      protocol: 'dicomweb-watch',
      peerAddress: pacsId,
      requestId: pollId,
      site: this.#deps.site,
    };
    let stored = 0;
    let rejected = 0;
    const onInstance: InstanceHandler = async (body) => {
      const incoming = await ingest.begin(origin, { part10: true });
      try {
        for await (const chunk of body) {
          await incoming.write(chunk);
        }
      } catch (error) {
        await incoming.abort();
        const failure = toFoveaError(error);
        if (failure.spec.category === 'input' || failure.spec.category === 'conformance') {
          rejected++;
          return;
        }
        throw failure;
      }
      try {
        await incoming.finish();
        stored++;
      } catch (error) {
        const failure = toFoveaError(error);
        if (failure.spec.retryable) {
          throw failure;
        }
        rejected++;
      }
    };
    try {
      if (partlyKnown) {
        const instances = await pacs.searchInstances(studyUid);
        const uids = instances.map((dataset) => getString(dataset, tags.SOPInstanceUID) ?? '');
        const known = await index.knownInstances(uids);
        for (const dataset of instances) {
          const sop = getString(dataset, tags.SOPInstanceUID);
          const series = getString(dataset, tags.SeriesInstanceUID);
          if (sop !== undefined && series !== undefined && !known.has(sop)) {
            await pacs.retrieveInstance(studyUid, series, sop, onInstance);
          }
        }
      } else {
        await pacs.retrieveStudy(studyUid, onInstance);
      }
      logger.info(
        { event: logEvents.WATCH_STUDY_FETCHED, pacsId, studyInstanceUid: studyUid, stored, rejected },
        'study fetched from PACS',
      );
      return true;
    } catch (error) {
      logger.warn(
        {
          event: logEvents.WATCH_STUDY_FETCH_FAILED,
          pacsId,
          studyInstanceUid: studyUid,
          code: toFoveaError(error).code,
        },
        'study fetch failed; retrying at the next poll',
      );
      return false;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
    }
    await this.#running;
  }
}
