/**
 * Priors from a PACS: the same patient's earlier studies of the wanted modalities, found with QIDO-RS and
 * fetched with WADO-RS (only the series of those modalities), each assembled into a Case. Fetched studies are
 * cached under the spool root (`priors/<pacs>/<StudyInstanceUID>/`), one Part 10 file per instance and a
 * `case.json` written last by rename, so a half-fetched prior is never used and a cached one is not fetched
 * again unless the PACS reports a different number of instances for it.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6 (QIDO-RS)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4 (WADO-RS)
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Case } from '../core/case.ts';
import { FoveaError, toFoveaError } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import { isFileSafeUid } from '../core/uid.ts';
import { DatasetScanner, readInstanceHeader } from '../dicom/codec/index.ts';
import {
  getNumber,
  getString,
  type DicomJsonDataset,
  type InstanceHandler,
} from '../dicom/dicomweb/index.ts';
import type { PriorFinder } from './analyze-step.ts';
import { assembleCase, type LocatedInstance } from './assemble.ts';

/** The part of the DICOMweb client the prior finder uses. */
export interface PriorPacs {
  searchStudies(
    query: Readonly<Record<string, string>>,
    options: { limit?: number; includefield?: readonly string[] },
  ): Promise<DicomJsonDataset[]>;
  searchSeries(studyUid: string, query: Readonly<Record<string, string>>): Promise<DicomJsonDataset[]>;
  retrieveSeries(studyUid: string, seriesUid: string, onInstance: InstanceHandler): Promise<number>;
}

/** What the PACS prior finder needs. */
export interface PacsPriorOptions {
  /** Key of the PACS in the configuration (names the cache folder). */
  readonly pacsId: string;
  readonly pacs: PriorPacs;
  /** The spool root: Case instances are located relative to it. */
  readonly spoolRoot: string;
  /** Site of the prior Cases (the current study's site when not given). */
  readonly site?: string;
  /** At most this many priors (newest first); default 5. */
  readonly limit?: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

const tags = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  PatientID: '00100020',
  StudyDate: '00080020',
  StudyTime: '00080030',
  NumberOfStudyRelatedInstances: '00201208',
};

/** A study found on the PACS, with the time it was made when the PACS says so. */
interface FoundStudy {
  readonly studyInstanceUid: string;
  readonly when: string;
  readonly instanceCount?: number;
}

/** What `case.json` holds. */
interface CachedPrior {
  readonly instanceCount?: number;
  readonly case: Omit<Case, 'assembledAt'> & { readonly assembledAt: string };
}

/** `YYYYMMDDHHMMSS` from DA and TM values, for ordering; missing parts sort first. */
function sortKey(date: string | undefined, time: string | undefined): string {
  return `${date ?? ''}${(time ?? '').replaceAll(':', '').slice(0, 6).padEnd(6, '0')}`;
}

function newestFirst(a: string | undefined, b: string | undefined): number {
  return (a ?? '') === (b ?? '') ? 0 : (a ?? '') < (b ?? '') ? 1 : -1;
}

function reviveCase(cached: CachedPrior['case']): Case {
  return { ...cached, assembledAt: new Date(cached.assembledAt) };
}

/** Finds and fetches priors on one PACS. */
export class PacsPriorFinder implements PriorFinder {
  readonly #options: PacsPriorOptions;
  readonly #fetching = new Map<string, Promise<Case | undefined>>();

  constructor(options: PacsPriorOptions) {
    this.#options = options;
  }

  /** The cache folder of one prior study, relative to the spool root. */
  cacheFolder(studyInstanceUid: string): string {
    return join('priors', this.#options.pacsId, studyInstanceUid);
  }

  async findPriors(current: Case, modalities: readonly string[]): Promise<Case[]> {
    if (current.patientId === undefined || current.patientId === '' || modalities.length === 0) {
      return [];
    }
    const found = await this.#search(current, modalities);
    const cases: Case[] = [];
    for (const study of found.slice(0, this.#options.limit ?? 5)) {
      const prior = await this.#prior(study, current, modalities);
      if (prior !== undefined) {
        cases.push(prior);
      }
    }
    return cases;
  }

  /** Earlier studies of the patient holding one of the modalities, newest first. */
  async #search(current: Case, modalities: readonly string[]): Promise<FoundStudy[]> {
    const byUid = new Map<string, FoundStudy>();
    for (const modality of modalities) {
      const query: Record<string, string> = {
        PatientID: current.patientId ?? '',
        ModalitiesInStudy: modality,
        ...(current.studyDate === undefined ? {} : { StudyDate: `-${current.studyDate}` }),
      };
      const answers = await this.#options.pacs.searchStudies(query, {
        limit: 100,
        includefield: ['StudyDate', 'StudyTime', 'NumberOfStudyRelatedInstances'],
      });
      for (const answer of answers) {
        const uid = getString(answer, tags.StudyInstanceUID);
        // QIDO-RS has no escape for the wildcards * and ?: keep only exact Patient ID matches.
        if (
          uid === undefined ||
          uid === current.studyInstanceUid ||
          !isFileSafeUid(uid) ||
          getString(answer, tags.PatientID) !== current.patientId
        ) {
          continue;
        }
        const date = getString(answer, tags.StudyDate);
        if (current.studyDate !== undefined && (date === undefined || date > current.studyDate)) {
          continue;
        }
        const instanceCount = getNumber(answer, tags.NumberOfStudyRelatedInstances);
        byUid.set(uid, {
          studyInstanceUid: uid,
          when: sortKey(date, getString(answer, tags.StudyTime)),
          ...(instanceCount === undefined ? {} : { instanceCount }),
        });
      }
    }
    return [...byUid.values()].sort((a, b) => newestFirst(a.when, b.when));
  }

  /** One prior: from the cache when it is complete and current, else fetched (once at a time per study). */
  async #prior(study: FoundStudy, current: Case, modalities: readonly string[]): Promise<Case | undefined> {
    const cached = await this.#readCache(study);
    if (cached !== undefined) {
      return cached;
    }
    const running = this.#fetching.get(study.studyInstanceUid);
    if (running !== undefined) {
      return running;
    }
    const fetching = this.#fetch(study, current, modalities).finally(() => {
      this.#fetching.delete(study.studyInstanceUid);
    });
    this.#fetching.set(study.studyInstanceUid, fetching);
    return fetching;
  }

  async #readCache(study: FoundStudy): Promise<Case | undefined> {
    const file = join(this.#options.spoolRoot, this.cacheFolder(study.studyInstanceUid), 'case.json');
    let cached: CachedPrior;
    try {
      cached = JSON.parse(await readFile(file, 'utf8')) as CachedPrior;
    } catch {
      return undefined;
    }
    if (study.instanceCount !== undefined && cached.instanceCount !== study.instanceCount) {
      return undefined;
    }
    return reviveCase(cached.case);
  }

  async #fetch(study: FoundStudy, current: Case, modalities: readonly string[]): Promise<Case | undefined> {
    const { pacs, logger, spoolRoot } = this.#options;
    const folder = this.cacheFolder(study.studyInstanceUid);
    const absolute = join(spoolRoot, folder);
    const started = Date.now();
    await rm(absolute, { recursive: true, force: true });
    await mkdir(absolute, { recursive: true });
    const instances: LocatedInstance[] = [];
    let received = 0;
    const onInstance: InstanceHandler = async (body) => {
      received += 1;
      const partial = join(absolute, `.${received}.partial`);
      const scanner = new DatasetScanner({ part10: true });
      async function* scanned(): AsyncGenerator<Buffer> {
        for await (const chunk of body) {
          scanner.push(chunk);
          yield chunk;
        }
      }
      await pipeline(scanned, createWriteStream(partial));
      const header = readInstanceHeader(scanner.end());
      if (header.studyInstanceUid !== study.studyInstanceUid) {
        await rm(partial, { force: true });
        throw new FoveaError('FOVEA_DICOM_UID_MISMATCH', {
          detail: 'the PACS returned an instance of another study',
          path: 'StudyInstanceUID',
        });
      }
      const name = `${header.sopInstanceUid}.dcm`;
      await rename(partial, join(absolute, name));
      instances.push({ ...header, spoolPath: join(folder, name) });
    };
    try {
      const series = new Set<string>();
      for (const modality of modalities) {
        for (const answer of await pacs.searchSeries(study.studyInstanceUid, { Modality: modality })) {
          const uid = getString(answer, tags.SeriesInstanceUID);
          if (uid !== undefined && isFileSafeUid(uid)) {
            series.add(uid);
          }
        }
      }
      for (const uid of series) {
        await pacs.retrieveSeries(study.studyInstanceUid, uid, onInstance);
      }
    } catch (error) {
      await rm(absolute, { recursive: true, force: true });
      throw toFoveaError(error);
    }
    const unique = [...new Map(instances.map((instance) => [instance.sopInstanceUid, instance])).values()];
    if (unique.length === 0) {
      await rm(absolute, { recursive: true, force: true });
      return undefined;
    }
    const assembled = assembleCase(
      study.studyInstanceUid,
      this.#options.site ?? current.site,
      unique,
      this.#options.now?.() ?? new Date(),
    );
    const cached: CachedPrior = {
      ...(study.instanceCount === undefined ? {} : { instanceCount: study.instanceCount }),
      case: { ...assembled, assembledAt: assembled.assembledAt.toISOString() },
    };
    await writeFile(join(absolute, 'case.json.partial'), JSON.stringify(cached));
    await rename(join(absolute, 'case.json.partial'), join(absolute, 'case.json'));
    logger.info(
      {
        event: logEvents.PRIORS_FETCHED,
        studyInstanceUid: study.studyInstanceUid,
        instances: unique.length,
        ms: Date.now() - started,
      },
      'prior study fetched from the PACS',
    );
    return assembled;
  }
}

/**
 * Priors from Fovea's index and, when a PACS is configured, from the PACS too: the index first (its studies
 * are already local), then the PACS's studies the index does not hold, newest first overall. A PACS that
 * fails is logged (`PRIORS_FETCH_FAILED`) and the analysis goes on with the index's priors: a PACS outage
 * does not hold back the current study's results.
 */
export function combinedPriorFinder(
  index: PriorFinder,
  pacs: PriorFinder | undefined,
  logger: Logger,
  limit = 5,
): PriorFinder {
  return {
    async findPriors(current: Case, modalities: readonly string[]): Promise<Case[]> {
      const local = await index.findPriors(current, modalities);
      if (pacs === undefined) {
        return local.slice(0, limit);
      }
      let remote: Case[] = [];
      try {
        remote = await pacs.findPriors(current, modalities);
      } catch (error) {
        logger.warn(
          {
            event: logEvents.PRIORS_FETCH_FAILED,
            studyInstanceUid: current.studyInstanceUid,
            code: toFoveaError(error).code,
          },
          'priors could not be fetched from the PACS; going on with the local ones',
        );
      }
      const known = new Set(local.map((prior) => prior.studyInstanceUid));
      return [...local, ...remote.filter((prior) => !known.has(prior.studyInstanceUid))]
        .sort((a, b) => newestFirst(a.studyDate, b.studyDate))
        .slice(0, limit);
    },
  };
}
