/**
 * {@link ResultStore} on PostgreSQL or PGlite: analyses, findings, result objects and deliveries.
 */
import type {
  AnalysisRecord,
  Finding,
  FindingProvenance,
  FindingValue,
  RolloutPhase,
} from '../core/finding.ts';
import type { Eye } from '../core/eye.ts';
import type {
  Delivery,
  DeliveryProtocol,
  DeliveryState,
  ResultObject,
  ResultStore,
  WorklistEntry,
  WorklistFilter,
  WorklistQuery,
} from '../core/result-store.ts';
import type { StudyTriage, TriageBucket, TriageReason, TriageSuggestion } from '../core/triage.ts';
import type { SqlClient } from './sql-client.ts';

interface AnalysisRow {
  id: string;
  study_instance_uid: string;
  analyzer_id: string;
  analyzer_version: string;
  use_case: string;
  phase: RolloutPhase;
  status: AnalysisRecord['status'];
  reason: string | null;
  model_hash: string;
  input_sop_instance_uids: string[];
  started_at: Date | string;
  finished_at: Date | string;
  raw_json: unknown;
}

interface FindingRow {
  id: string;
  analysis_id: string;
  study_instance_uid: string;
  eye: Eye;
  use_case: string;
  finding_key: string;
  value_json: FindingValue;
  triage_json: TriageSuggestion | null;
  source_sop_instance_uids: string[];
  status: Finding['status'];
  created_at: Date | string;
}

interface ObjectRow {
  sop_instance_uid: string;
  sop_class_uid: string;
  series_instance_uid: string;
  study_instance_uid: string;
  analysis_id: string;
  kind: string;
  path: string;
  status: string;
  created_at: Date | string;
}

interface DeliveryRow {
  id: string;
  sop_instance_uid: string;
  study_instance_uid: string;
  destination: string;
  protocol: DeliveryProtocol;
  state: DeliveryState;
  attempts: number;
  last_error_code: string | null;
  last_error_message: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
}

interface TriageRow {
  study_instance_uid: string;
  bucket: TriageBucket;
  priority: number;
  reasons_json: TriageReason[];
  analysis_ids: string[];
  computed_at: Date | string;
}

interface WorklistRow extends TriageRow {
  site: string;
  accession_number: string | null;
  study_date: string | null;
  last_received_at: Date | string;
  signed_revision: number | string | null;
}

/**
 * The WHERE clause of the worklist's filters over `study_triage t JOIN study s`, with its parameters ($1…): a
 * filter left out matches everything. The use case is that of one of the analyses behind the triage; the status
 * asks whether a report was signed.
 */
function worklistWhere(filter: WorklistFilter): [string, unknown[]] {
  return [
    `($1::text IS NULL OR t.bucket = $1) AND ($2::text IS NULL OR s.site = $2)
     AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM analysis a
                                      WHERE a.id = ANY (t.analysis_ids) AND a.use_case = $3))
     AND ($4::text IS NULL OR ($4 = 'signed') = EXISTS (SELECT 1 FROM report_signoff r
                                                       WHERE r.study_instance_uid = t.study_instance_uid))
     AND ($5::text IS NULL OR s.study_date >= $5) AND ($6::text IS NULL OR s.study_date <= $6)`,
    [
      filter.bucket ?? null,
      filter.site ?? null,
      filter.useCase ?? null,
      filter.status ?? null,
      filter.studyDateFrom ?? null,
      filter.studyDateTo ?? null,
    ],
  ];
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

function triageOf(row: TriageRow): StudyTriage {
  return {
    studyInstanceUid: row.study_instance_uid,
    bucket: row.bucket,
    priority: row.priority,
    reasons: row.reasons_json,
    analysisIds: row.analysis_ids,
    computedAt: toDate(row.computed_at),
  };
}

function provenanceOf(row: AnalysisRow): FindingProvenance {
  return {
    analyzerId: row.analyzer_id,
    analyzerVersion: row.analyzer_version,
    modelHash: row.model_hash,
    inputSopInstanceUids: row.input_sop_instance_uids,
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
  };
}

function findingOf(row: FindingRow, provenance: FindingProvenance): Finding {
  return {
    id: row.id,
    analysisId: row.analysis_id,
    studyInstanceUid: row.study_instance_uid,
    eye: row.eye,
    useCase: row.use_case,
    key: row.finding_key,
    value: row.value_json,
    ...(row.triage_json === null ? {} : { triage: row.triage_json }),
    sourceSopInstanceUids: row.source_sop_instance_uids,
    status: row.status,
    createdAt: toDate(row.created_at),
    provenance,
  };
}

function objectOf(row: ObjectRow): ResultObject {
  return {
    sopInstanceUid: row.sop_instance_uid,
    sopClassUid: row.sop_class_uid,
    seriesInstanceUid: row.series_instance_uid,
    studyInstanceUid: row.study_instance_uid,
    analysisId: row.analysis_id,
    kind: row.kind,
    path: row.path,
    status: row.status,
    createdAt: toDate(row.created_at),
  };
}

function deliveryOf(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    sopInstanceUid: row.sop_instance_uid,
    studyInstanceUid: row.study_instance_uid,
    destination: row.destination,
    protocol: row.protocol,
    state: row.state,
    attempts: row.attempts,
    ...(row.last_error_code === null
      ? {}
      : { lastError: { code: row.last_error_code, message: row.last_error_message ?? '' } }),
    createdAt: toDate(row.created_at),
    ...(row.delivered_at === null ? {} : { deliveredAt: toDate(row.delivered_at) }),
  };
}

/**
 * The NOTIFY channel of worklist changes (payload: the Study Instance UID): a study's triage saved or
 * cleared, a finding reviewed, a report signed. Sent inside the changing statement, so listeners hear of a
 * change only once it is committed.
 */
export const worklistChannel = 'fovea_worklist';

/** Results in the SQL store. */
export class PgResultStore implements ResultStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async saveAnalysis(record: AnalysisRecord): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO analysis (id, study_instance_uid, analyzer_id, analyzer_version, use_case, phase, status,
                               reason, model_hash, input_sop_instance_uids, started_at, finished_at, raw_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11, $12, $13::jsonb)
         ON CONFLICT (id) DO NOTHING`,
        [
          record.id,
          record.studyInstanceUid,
          record.analyzerId,
          record.analyzerVersion,
          record.useCase,
          record.phase,
          record.status,
          record.reason ?? null,
          record.provenance.modelHash,
          [...record.provenance.inputSopInstanceUids],
          record.provenance.startedAt,
          record.provenance.finishedAt,
          JSON.stringify(record.raw ?? null),
        ],
      );
      if (inserted.rowCount !== 1) {
        return false;
      }
      for (const [ordinal, finding] of record.findings.entries()) {
        await tx.query(
          `INSERT INTO finding (id, analysis_id, study_instance_uid, eye, use_case, finding_key, value_json,
                                source_sop_instance_uids, status, created_at, triage_json, ordinal)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::text[], $9, $10, $11::jsonb, $12)`,
          [
            finding.id,
            record.id,
            record.studyInstanceUid,
            finding.eye,
            finding.useCase,
            finding.key,
            JSON.stringify(finding.value),
            [...finding.sourceSopInstanceUids],
            finding.status,
            finding.createdAt,
            finding.triage === undefined ? null : JSON.stringify(finding.triage),
            ordinal,
          ],
        );
      }
      return true;
    });
  }

  async getAnalysis(analysisId: string): Promise<AnalysisRecord | undefined> {
    const result = await this.#sql.query<AnalysisRow>('SELECT * FROM analysis WHERE id = $1', [analysisId]);
    const row = result.rows[0];
    if (row === undefined) {
      return undefined;
    }
    const findings = await this.#sql.query<FindingRow>(
      'SELECT * FROM finding WHERE analysis_id = $1 ORDER BY ordinal NULLS LAST, eye DESC, finding_key',
      [analysisId],
    );
    return this.#analysisOf(row, findings.rows);
  }

  async listAnalyses(studyInstanceUid: string): Promise<AnalysisRecord[]> {
    const analyses = await this.#sql.query<AnalysisRow>(
      'SELECT * FROM analysis WHERE study_instance_uid = $1 ORDER BY created_at, id',
      [studyInstanceUid],
    );
    const findings = await this.#sql.query<FindingRow>(
      'SELECT * FROM finding WHERE study_instance_uid = $1 ORDER BY ordinal NULLS LAST, eye DESC, finding_key',
      [studyInstanceUid],
    );
    return analyses.rows.map((row) =>
      this.#analysisOf(
        row,
        findings.rows.filter((finding) => finding.analysis_id === row.id),
      ),
    );
  }

  async listFindings(studyInstanceUid: string): Promise<Finding[]> {
    return (await this.listAnalyses(studyInstanceUid)).flatMap((analysis) => analysis.findings);
  }

  #analysisOf(row: AnalysisRow, findings: readonly FindingRow[]): AnalysisRecord {
    const provenance = provenanceOf(row);
    return {
      id: row.id,
      studyInstanceUid: row.study_instance_uid,
      analyzerId: row.analyzer_id,
      analyzerVersion: row.analyzer_version,
      useCase: row.use_case,
      phase: row.phase,
      status: row.status,
      ...(row.reason === null ? {} : { reason: row.reason }),
      findings: findings.map((finding) => findingOf(finding, provenance)),
      raw: row.raw_json,
      provenance,
    };
  }

  async saveResultObject(
    object: ResultObject,
    deliveries: readonly Pick<Delivery, 'id' | 'destination' | 'protocol'>[],
  ): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO result_object (sop_instance_uid, sop_class_uid, series_instance_uid, study_instance_uid,
                                    analysis_id, kind, path, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (sop_instance_uid) DO NOTHING`,
        [
          object.sopInstanceUid,
          object.sopClassUid,
          object.seriesInstanceUid,
          object.studyInstanceUid,
          object.analysisId,
          object.kind,
          object.path,
          object.status,
          object.createdAt,
        ],
      );
      for (const delivery of deliveries) {
        await tx.query(
          `INSERT INTO delivery (id, sop_instance_uid, study_instance_uid, destination, protocol)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [
            delivery.id,
            object.sopInstanceUid,
            object.studyInstanceUid,
            delivery.destination,
            delivery.protocol,
          ],
        );
      }
    });
  }

  async getResultObject(sopInstanceUid: string): Promise<ResultObject | undefined> {
    const result = await this.#sql.query<ObjectRow>(
      'SELECT * FROM result_object WHERE sop_instance_uid = $1',
      [sopInstanceUid],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : objectOf(row);
  }

  async listResultObjects(studyInstanceUid: string): Promise<ResultObject[]> {
    const result = await this.#sql.query<ObjectRow>(
      'SELECT * FROM result_object WHERE study_instance_uid = $1 ORDER BY created_at, sop_instance_uid',
      [studyInstanceUid],
    );
    return result.rows.map(objectOf);
  }

  async getDelivery(deliveryId: string): Promise<Delivery | undefined> {
    const result = await this.#sql.query<DeliveryRow>('SELECT * FROM delivery WHERE id = $1', [deliveryId]);
    const row = result.rows[0];
    return row === undefined ? undefined : deliveryOf(row);
  }

  async listDeliveries(studyInstanceUid: string): Promise<Delivery[]> {
    const result = await this.#sql.query<DeliveryRow>(
      'SELECT * FROM delivery WHERE study_instance_uid = $1 ORDER BY created_at, id',
      [studyInstanceUid],
    );
    return result.rows.map(deliveryOf);
  }

  async saveTriage(triage: StudyTriage): Promise<boolean> {
    const result = await this.#sql.query(
      `WITH saved AS (
         INSERT INTO study_triage (study_instance_uid, bucket, priority, reasons_json, analysis_ids, computed_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::text[], $6)
         ON CONFLICT (study_instance_uid) DO UPDATE
           SET bucket = EXCLUDED.bucket, priority = EXCLUDED.priority, reasons_json = EXCLUDED.reasons_json,
               analysis_ids = EXCLUDED.analysis_ids, computed_at = EXCLUDED.computed_at
           WHERE cardinality(study_triage.analysis_ids) <= cardinality(EXCLUDED.analysis_ids)
         RETURNING study_instance_uid)
       SELECT pg_notify('${worklistChannel}', study_instance_uid) FROM saved`,
      [
        triage.studyInstanceUid,
        triage.bucket,
        triage.priority,
        JSON.stringify(triage.reasons),
        [...triage.analysisIds],
        triage.computedAt,
      ],
    );
    return result.rows.length === 1;
  }

  async clearTriage(studyInstanceUid: string): Promise<void> {
    await this.#sql.query(
      `WITH removed AS (DELETE FROM study_triage WHERE study_instance_uid = $1 RETURNING study_instance_uid)
       SELECT pg_notify('${worklistChannel}', study_instance_uid) FROM removed`,
      [studyInstanceUid],
    );
  }

  async getTriage(studyInstanceUid: string): Promise<StudyTriage | undefined> {
    const result = await this.#sql.query<TriageRow>(
      'SELECT * FROM study_triage WHERE study_instance_uid = $1',
      [studyInstanceUid],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : triageOf(row);
  }

  async listWorklist(query: WorklistQuery): Promise<WorklistEntry[]> {
    const [where, parameters] = worklistWhere(query);
    const result = await this.#sql.query<WorklistRow>(
      `SELECT t.*, s.site, s.accession_number, s.study_date, s.last_received_at,
              (SELECT max(r.revision) FROM report_signoff r
               WHERE r.study_instance_uid = t.study_instance_uid) AS signed_revision
       FROM study_triage t JOIN study s ON s.study_instance_uid = t.study_instance_uid
       WHERE ${where}
       ORDER BY t.priority DESC, s.last_received_at, t.study_instance_uid
       LIMIT $${parameters.length + 1} OFFSET $${parameters.length + 2}`,
      [...parameters, query.limit, query.offset ?? 0],
    );
    return result.rows.map((row) => ({
      triage: triageOf(row),
      site: row.site,
      ...(row.accession_number === null ? {} : { accessionNumber: row.accession_number }),
      ...(row.study_date === null ? {} : { studyDate: row.study_date }),
      lastReceivedAt: toDate(row.last_received_at),
      ...(row.signed_revision === null ? {} : { signedRevision: Number(row.signed_revision) }),
    }));
  }

  async countWorklist(filter: WorklistFilter): Promise<number> {
    const [where, parameters] = worklistWhere(filter);
    const result = await this.#sql.query<{ count: string | number }>(
      `SELECT count(*) AS count
       FROM study_triage t JOIN study s ON s.study_instance_uid = t.study_instance_uid
       WHERE ${where}`,
      parameters,
    );
    return Number(result.rows[0]?.count ?? 0);
  }

  async recordDeliveryAttempt(
    deliveryId: string,
    outcome:
      | { readonly delivered: true }
      | {
          readonly delivered: false;
          readonly dead: boolean;
          readonly code: string;
          readonly message: string;
        },
  ): Promise<void> {
    if (outcome.delivered) {
      await this.#sql.query(
        `UPDATE delivery SET state = 'delivered', attempts = attempts + 1, delivered_at = now(),
                last_error_code = NULL, last_error_message = NULL
         WHERE id = $1`,
        [deliveryId],
      );
      return;
    }
    await this.#sql.query(
      `UPDATE delivery SET attempts = attempts + 1, last_error_code = $2, last_error_message = $3,
              state = CASE WHEN $4::boolean THEN 'dead' ELSE state END
       WHERE id = $1 AND state <> 'delivered'`,
      [deliveryId, outcome.code, outcome.message.slice(0, 500), outcome.dead],
    );
  }
}
