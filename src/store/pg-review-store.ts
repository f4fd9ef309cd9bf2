/**
 * {@link ReviewStore} on PostgreSQL or PGlite: reviews are appended (the finding's status follows the latest
 * one in the same transaction) and sign-offs take the next revision of their study, which a unique constraint
 * guards against two readers signing at once.
 */
import type { FindingValue } from '../core/finding.ts';
import type {
  FindingReview,
  RejectReasonCode,
  ReportSignOff,
  ReviewDecision,
  ReviewStore,
} from '../core/review.ts';
import { reviewedStatus } from '../core/review.ts';
import { worklistChannel } from './pg-result-store.ts';
import type { SqlClient } from './sql-client.ts';

interface ReviewRow {
  id: string;
  finding_id: string;
  analysis_id: string;
  study_instance_uid: string;
  decision: ReviewDecision;
  value_json: FindingValue | null;
  reason: string | null;
  reason_code: RejectReasonCode | null;
  reviewer: string;
  reviewed_at: Date | string;
}

interface SignOffRow {
  id: string;
  study_instance_uid: string;
  revision: number;
  report_text: string;
  signer: string;
  signer_name: string;
  signed_at: Date | string;
  analysis_ids: string[];
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

function reviewOf(row: ReviewRow): FindingReview {
  return {
    id: row.id,
    findingId: row.finding_id,
    analysisId: row.analysis_id,
    studyInstanceUid: row.study_instance_uid,
    decision: row.decision,
    ...(row.value_json === null ? {} : { value: row.value_json }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.reason_code === null ? {} : { reasonCode: row.reason_code }),
    reviewer: row.reviewer,
    reviewedAt: toDate(row.reviewed_at),
  };
}

function signOffOf(row: SignOffRow): ReportSignOff {
  return {
    id: row.id,
    studyInstanceUid: row.study_instance_uid,
    revision: row.revision,
    text: row.report_text,
    signer: row.signer,
    signerName: row.signer_name,
    signedAt: toDate(row.signed_at),
    analysisIds: row.analysis_ids,
  };
}

/** Reviews and sign-offs in SQL. */
export class PgReviewStore implements ReviewStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async recordReview(review: FindingReview): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const updated = await tx.query(
        'UPDATE finding SET status = $2 WHERE id = $1 AND analysis_id = $3 AND study_instance_uid = $4',
        [review.findingId, reviewedStatus(review.decision), review.analysisId, review.studyInstanceUid],
      );
      if (updated.rowCount === 0) {
        return false;
      }
      await tx.query(
        `INSERT INTO finding_review
           (id, finding_id, analysis_id, study_instance_uid, decision, value_json, reason, reason_code, reviewer,
            reviewed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          review.id,
          review.findingId,
          review.analysisId,
          review.studyInstanceUid,
          review.decision,
          review.value === undefined ? null : JSON.stringify(review.value),
          review.reason ?? null,
          review.reasonCode ?? null,
          review.reviewer,
          review.reviewedAt,
        ],
      );
      await tx.query('SELECT pg_notify($1, $2)', [worklistChannel, review.studyInstanceUid]);
      return true;
    });
  }

  async listReviews(studyInstanceUid: string): Promise<FindingReview[]> {
    const result = await this.#sql.query<ReviewRow>(
      'SELECT * FROM finding_review WHERE study_instance_uid = $1 ORDER BY reviewed_at, id',
      [studyInstanceUid],
    );
    return result.rows.map(reviewOf);
  }

  async recordSignOff(signOff: ReportSignOff): Promise<boolean> {
    const result = await this.#sql.query(
      `WITH signed AS (
         INSERT INTO report_signoff
           (id, study_instance_uid, revision, report_text, signer, signer_name, signed_at, analysis_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (study_instance_uid, revision) DO NOTHING
         RETURNING study_instance_uid)
       SELECT pg_notify('${worklistChannel}', study_instance_uid) FROM signed`,
      [
        signOff.id,
        signOff.studyInstanceUid,
        signOff.revision,
        signOff.text,
        signOff.signer,
        signOff.signerName,
        signOff.signedAt,
        [...signOff.analysisIds],
      ],
    );
    return result.rows.length > 0;
  }

  async listSignOffs(studyInstanceUid: string): Promise<ReportSignOff[]> {
    const result = await this.#sql.query<SignOffRow>(
      'SELECT * FROM report_signoff WHERE study_instance_uid = $1 ORDER BY revision',
      [studyInstanceUid],
    );
    return result.rows.map(signOffOf);
  }
}
