/**
 * Offline analysis: the registered analyzers run on Part 10 files without a server, index or queue. Files
 * are grouped by study and assembled into Cases exactly as the gateway does; an analyzer that needs priors gets
 * the same patient's other studies among the files, dated no later, newest first (as the gateway's index would
 * give them); each analyzer that applies runs in the worker pool; the result is one JSON object per study (the
 * shape `docs/analyze-json.md` documents).
 */
import { readFile } from 'node:fs/promises';
import type { Case } from '../core/case.ts';
import { toFoveaError } from '../core/errors.ts';
import type { AnalysisRecord, Finding, FindingProvenance } from '../core/finding.ts';
import type { InstanceRecord } from '../core/instance.ts';
import { idFromName } from '../core/uid.ts';
import { readInstanceHeader, scanBuffer } from '../dicom/codec/index.ts';
import { acceptedInstances, type AnalyzerRunner } from '../analyzers/sdk/index.ts';
import { assembleCase } from './assemble.ts';

/** One analyzer's outcome on one study, as printed. */
export interface OfflineAnalysis {
  readonly analyzer: string;
  readonly status: 'succeeded' | 'not-applicable' | 'failed';
  readonly reason?: string;
  readonly error?: { readonly code: string; readonly detail?: string };
  readonly record?: AnalysisRecord;
}

/** One study's outcome. */
export interface OfflineStudy {
  readonly studyInstanceUid: string;
  readonly case: Case;
  readonly files: readonly string[];
  readonly analyses: readonly OfflineAnalysis[];
}

/** Reads the headers of Part 10 files into index-like records (the file path stands in for the spool path). */
export async function readInstanceFiles(paths: readonly string[]): Promise<InstanceRecord[]> {
  const records: InstanceRecord[] = [];
  for (const path of paths) {
    const bytes = await readFile(path);
    const header = readInstanceHeader(scanBuffer(bytes, { part10: true }));
    records.push({
      ...header,
      origin: { protocol: 'file', peerAddress: 'localhost', requestId: 'offline', site: 'offline' },
      spoolPath: path,
      sizeBytes: bytes.length,
      receivedAt: new Date(),
    });
  }
  return records;
}

/**
 * The priors of a Case among other Cases: the same patient (Patient ID and issuer; none without a Patient ID),
 * another study, dated no later (undated studies count), newest first.
 */
export function priorsAmong(current: Case, others: readonly Case[]): Case[] {
  if (current.patientId === undefined || current.patientId === '') {
    return [];
  }
  return others
    .filter(
      (other) =>
        other.studyInstanceUid !== current.studyInstanceUid &&
        other.patientId === current.patientId &&
        other.issuerOfPatientId === current.issuerOfPatientId &&
        (current.studyDate === undefined ||
          other.studyDate === undefined ||
          other.studyDate <= current.studyDate),
    )
    .sort((a, b) => (b.studyDate ?? '').localeCompare(a.studyDate ?? ''));
}

/** Runs every registered analyzer on each study of `records` (file paths absolute; the pool's spool root is `/`). */
export async function analyzeOffline(
  records: readonly InstanceRecord[],
  runner: AnalyzerRunner,
  now: () => Date = () => new Date(),
): Promise<OfflineStudy[]> {
  const byStudy = new Map<string, InstanceRecord[]>();
  for (const record of records) {
    const list = byStudy.get(record.studyInstanceUid) ?? [];
    list.push(record);
    byStudy.set(record.studyInstanceUid, list);
  }
  const cases = [...byStudy].map(([studyInstanceUid, instances]) => ({
    studyInstanceUid,
    instances,
    assembled: assembleCase(studyInstanceUid, 'offline', instances, now()),
  }));
  const studies: OfflineStudy[] = [];
  for (const { studyInstanceUid, instances, assembled } of cases) {
    const priors = priorsAmong(
      assembled,
      cases.map((entry) => entry.assembled),
    );
    const analyses: OfflineAnalysis[] = [];
    for (const manifest of runner.manifests) {
      const analyzer = `${manifest.id}@${manifest.version}`;
      const startedAt = now();
      try {
        const outcome = await runner.run(manifest.id, {
          ...assembled,
          priors: manifest.needsPriors === true ? priors : [],
        });
        if (!('output' in outcome)) {
          analyses.push({ analyzer, status: 'not-applicable', reason: outcome.applicability.reason });
          continue;
        }
        const finishedAt = now();
        const analysisId = `an-${idFromName(`offline:${studyInstanceUid}:${analyzer}`)}`;
        const provenance: FindingProvenance = {
          analyzerId: manifest.id,
          analyzerVersion: manifest.version,
          modelHash: manifest.modelHash,
          inputSopInstanceUids: acceptedInstances(manifest, assembled).map(
            (instance) => instance.sopInstanceUid,
          ),
          startedAt,
          finishedAt,
        };
        const findings: Finding[] = outcome.output.findings.map((draft) => ({
          ...draft,
          id: `fi-${idFromName(`${analysisId}:${draft.eye}:${draft.key}`)}`,
          studyInstanceUid,
          analysisId,
          provenance,
          status: 'preliminary',
          createdAt: finishedAt,
        }));
        analyses.push({
          analyzer,
          status: 'succeeded',
          record: {
            id: analysisId,
            studyInstanceUid,
            analyzerId: manifest.id,
            analyzerVersion: manifest.version,
            useCase: manifest.useCases[0]!,
            phase: 'assistive',
            status: 'succeeded',
            findings,
            raw: outcome.output.raw,
            provenance,
          },
        });
      } catch (error) {
        const failure = toFoveaError(error);
        analyses.push({
          analyzer,
          status: 'failed',
          error: { code: failure.code, ...(failure.detail === undefined ? {} : { detail: failure.detail }) },
        });
      }
    }
    studies.push({
      studyInstanceUid,
      case: assembled,
      files: instances.map((instance) => instance.spoolPath),
      analyses,
    });
  }
  return studies;
}

/** The JSON printed for one study: per-eye findings with values, units, codes and provenance. */
export function offlineStudyJson(study: OfflineStudy): Record<string, unknown> {
  const eyesOf = (eye: 'R' | 'L'): unknown[] =>
    study.analyses.flatMap((analysis) =>
      (analysis.record?.findings ?? [])
        .filter((finding) => finding.eye === eye)
        .map((finding) => ({
          analyzer: analysis.analyzer,
          useCase: finding.useCase,
          key: finding.key,
          value: finding.value,
          sourceSopInstanceUids: finding.sourceSopInstanceUids,
          status: finding.status,
          aiGenerated: true,
        })),
    );
  return {
    studyInstanceUid: study.studyInstanceUid,
    instances: study.files.length,
    eyes: { R: eyesOf('R'), L: eyesOf('L') },
    analyses: study.analyses.map((analysis) => ({
      analyzer: analysis.analyzer,
      status: analysis.status,
      ...(analysis.reason === undefined ? {} : { reason: analysis.reason }),
      ...(analysis.error === undefined ? {} : { error: analysis.error }),
      ...(analysis.record === undefined
        ? {}
        : {
            provenance: {
              analyzer: analysis.analyzer,
              modelHash: analysis.record.provenance.modelHash,
              inputSopInstanceUids: analysis.record.provenance.inputSopInstanceUids,
              startedAt: analysis.record.provenance.startedAt.toISOString(),
              finishedAt: analysis.record.provenance.finishedAt.toISOString(),
            },
            raw: analysis.record.raw,
          }),
    })),
  };
}
