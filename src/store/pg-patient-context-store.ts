/**
 * {@link PatientContextStore} on PostgreSQL or PGlite: observations idempotent by id, merges that move a
 * patient's context to the surviving identifier, and imaging orders by accession number. A missing issuer is
 * stored as the empty string and matches any issuer (see `core/patient-context.ts`).
 */
import type {
  ContextKind,
  ContextObservation,
  ImagingOrder,
  PatientContext,
  PatientContextStore,
  PatientKey,
} from '../core/patient-context.ts';
import type { SqlClient } from './sql-client.ts';

interface ObservationRow {
  id: string;
  kind: ContextKind;
  code_system: string;
  code: string;
  display: string | null;
  value_number: number | null;
  value_text: string | null;
  unit: string | null;
  eye: 'R' | 'L' | null;
  observed_at: Date | string | null;
  status: string | null;
  source_protocol: 'hl7v2' | 'fhir';
  source_reference: string | null;
  received_at: Date | string;
}

interface OrderRow {
  accession_number: string;
  patient_id: string;
  issuer: string;
  placer_order_number: string | null;
  filler_order_number: string | null;
  study_instance_uid: string | null;
  procedure: string | null;
  priority: string | null;
  control: string | null;
  source_protocol: 'hl7v2' | 'fhir';
  source_reference: string | null;
  received_at: Date | string;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

function optional<K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function observationOf(row: ObservationRow): ContextObservation {
  return {
    id: row.id,
    kind: row.kind,
    system: row.code_system,
    code: row.code,
    ...optional('display', row.display),
    ...optional('value', row.value_number ?? row.value_text),
    ...optional('unit', row.unit),
    ...optional('eye', row.eye),
    ...optional('observedAt', row.observed_at === null ? null : toDate(row.observed_at)),
    ...optional('status', row.status),
    source: { protocol: row.source_protocol, ...optional('reference', row.source_reference) },
    receivedAt: toDate(row.received_at),
  };
}

function orderOf(row: OrderRow): ImagingOrder {
  return {
    accessionNumber: row.accession_number,
    patient: { patientId: row.patient_id, ...optional('issuer', row.issuer === '' ? null : row.issuer) },
    ...optional('placerOrderNumber', row.placer_order_number),
    ...optional('fillerOrderNumber', row.filler_order_number),
    ...optional('studyInstanceUid', row.study_instance_uid),
    ...optional('procedure', row.procedure),
    ...optional('priority', row.priority),
    ...optional('control', row.control),
    source: { protocol: row.source_protocol, ...optional('reference', row.source_reference) },
    receivedAt: toDate(row.received_at),
  };
}

/** The patient-context store on SQL. */
export class PgPatientContextStore implements PatientContextStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async recordObservations(
    patient: PatientKey,
    observations: readonly ContextObservation[],
  ): Promise<number> {
    return this.#sql.transaction(async (tx) => {
      let added = 0;
      for (const observation of observations) {
        const result = await tx.query(
          `INSERT INTO patient_observation (id, patient_id, issuer, kind, code_system, code, display, value_number,
                                           value_text, unit, eye, observed_at, status, source_protocol,
                                           source_reference, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
           ON CONFLICT (id) DO NOTHING`,
          [
            observation.id,
            patient.patientId,
            patient.issuer ?? '',
            observation.kind,
            observation.system,
            observation.code,
            observation.display ?? null,
            typeof observation.value === 'number' ? observation.value : null,
            typeof observation.value === 'string' ? observation.value : null,
            observation.unit ?? null,
            observation.eye ?? null,
            observation.observedAt ?? null,
            observation.status ?? null,
            observation.source.protocol,
            observation.source.reference ?? null,
            observation.receivedAt,
          ],
        );
        added += result.rowCount;
      }
      return added;
    });
  }

  async getContext(patient: PatientKey, limit = 200): Promise<PatientContext> {
    const result = await this.#sql.query<ObservationRow>(
      `SELECT * FROM patient_observation
       WHERE patient_id = $1 AND ($2 = '' OR issuer = '' OR issuer = $2)
       ORDER BY observed_at DESC NULLS LAST, received_at DESC, id
       LIMIT $3`,
      [patient.patientId, patient.issuer ?? '', limit],
    );
    return { patient, observations: result.rows.map(observationOf) };
  }

  async mergePatients(from: PatientKey, to: PatientKey): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      const issuerMatches = `($2 = '' OR issuer = '' OR issuer = $2)`;
      await tx.query(
        `UPDATE patient_observation SET patient_id = $3, issuer = $4 WHERE patient_id = $1 AND ${issuerMatches}`,
        [from.patientId, from.issuer ?? '', to.patientId, to.issuer ?? ''],
      );
      await tx.query(
        `UPDATE imaging_order SET patient_id = $3, issuer = $4 WHERE patient_id = $1 AND ${issuerMatches}`,
        [from.patientId, from.issuer ?? '', to.patientId, to.issuer ?? ''],
      );
      await tx.query(
        `INSERT INTO patient_merge (from_patient_id, from_issuer, to_patient_id, to_issuer, merged_at)
         VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING`,
        [from.patientId, from.issuer ?? '', to.patientId, to.issuer ?? ''],
      );
    });
  }

  async recordOrder(order: ImagingOrder): Promise<void> {
    await this.#sql.query(
      `INSERT INTO imaging_order (accession_number, patient_id, issuer, placer_order_number, filler_order_number,
                                  study_instance_uid, procedure, priority, control, source_protocol,
                                  source_reference, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (accession_number) DO UPDATE SET
         patient_id = EXCLUDED.patient_id, issuer = EXCLUDED.issuer,
         placer_order_number = COALESCE(EXCLUDED.placer_order_number, imaging_order.placer_order_number),
         filler_order_number = COALESCE(EXCLUDED.filler_order_number, imaging_order.filler_order_number),
         study_instance_uid = COALESCE(EXCLUDED.study_instance_uid, imaging_order.study_instance_uid),
         procedure = COALESCE(EXCLUDED.procedure, imaging_order.procedure),
         priority = COALESCE(EXCLUDED.priority, imaging_order.priority),
         control = EXCLUDED.control, source_protocol = EXCLUDED.source_protocol,
         source_reference = EXCLUDED.source_reference, received_at = EXCLUDED.received_at`,
      [
        order.accessionNumber,
        order.patient.patientId,
        order.patient.issuer ?? '',
        order.placerOrderNumber ?? null,
        order.fillerOrderNumber ?? null,
        order.studyInstanceUid ?? null,
        order.procedure ?? null,
        order.priority ?? null,
        order.control ?? null,
        order.source.protocol,
        order.source.reference ?? null,
        order.receivedAt,
      ],
    );
  }

  async getOrder(accessionNumber: string): Promise<ImagingOrder | undefined> {
    const result = await this.#sql.query<OrderRow>(
      'SELECT * FROM imaging_order WHERE accession_number = $1',
      [accessionNumber],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : orderOf(row);
  }
}
