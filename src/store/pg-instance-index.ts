/**
 * {@link InstanceIndex} on PostgreSQL / PGlite. All SQL of the index lives here.
 */
import type { Case } from '../core/case.ts';
import type { InstanceEye } from '../core/eye.ts';
import type {
  InstanceIndex,
  Page,
  RecordOutcome,
  StudyAssembly,
  StudyQuery,
} from '../core/instance-index.ts';
import type { InstanceRecord } from '../core/instance.ts';
import type { OriginProtocol } from '../core/origin.ts';
import type { RouteDecision } from '../core/route.ts';
import type { StudyState, StudySummary } from '../core/study.ts';
import type { SqlClient, SqlRunner } from './sql-client.ts';

interface StudyRow {
  study_instance_uid: string;
  patient_id: string | null;
  patient_name: string | null;
  patient_birth_date: string | null;
  patient_sex: string | null;
  study_date: string | null;
  study_time: string | null;
  accession_number: string | null;
  study_description: string | null;
  site: string;
  state: StudyState;
  /** INTEGER, but count aggregates arrive as strings from some drivers. */
  instance_count: number | string;
  series_count: number | string;
  first_received_at: Date;
  last_received_at: Date;
  stable_at: Date | null;
  routed_at: Date | null;
  version: number | string;
  modalities: string[] | null;
  eyes: string[] | null;
  total?: number | string;
}

interface InstanceRow {
  sop_instance_uid: string;
  series_instance_uid: string;
  study_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  instance_number: number | null;
  eye: InstanceEye;
  image_laterality: string | null;
  frame_laterality: string | null;
  measurement_laterality: string | null;
  content_date: string | null;
  content_time: string | null;
  acquisition_date_time: string | null;
  image_rows: number | null;
  image_columns: number | null;
  number_of_frames: number | null;
  samples_per_pixel: number | null;
  photometric_interpretation: string | null;
  bits_allocated: number | null;
  specific_character_set: string | null;
  spool_path: string;
  /** BIGINT: a string or a number depending on the driver. */
  size_bytes: number | string;
  origin_protocol: OriginProtocol;
  origin_peer_address: string;
  origin_calling_aet: string | null;
  origin_called_aet: string | null;
  origin_principal: string | null;
  origin_request_id: string;
  site: string;
  received_at: Date;
  patient_id: string | null;
  issuer_of_patient_id: string | null;
  patient_name: string | null;
  patient_birth_date: string | null;
  patient_sex: string | null;
  study_date: string | null;
  study_time: string | null;
  study_id: string | null;
  accession_number: string | null;
  study_description: string | null;
  modality: string | null;
  series_number: number | null;
  series_description: string | null;
  body_part_examined: string | null;
  laterality: string | null;
  manufacturer: string | null;
  manufacturer_model_name: string | null;
  station_name: string | null;
  device_serial_number: string | null;
  software_versions: string | null;
}

/** Drops null and undefined fields so that domain objects only carry what is known. */
function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== null && value !== undefined),
  );
}

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

const studyColumns = `
  s.study_instance_uid, s.patient_id, s.patient_name, s.patient_birth_date, s.patient_sex, s.study_date,
  s.study_time, s.accession_number, s.study_description, s.site, s.state, s.instance_count, s.series_count,
  s.first_received_at, s.last_received_at, s.stable_at, s.routed_at, s.version,
  (SELECT array_agg(DISTINCT se.modality ORDER BY se.modality) FROM series se
     WHERE se.study_instance_uid = s.study_instance_uid AND se.modality IS NOT NULL) AS modalities,
  (SELECT array_agg(DISTINCT i.eye ORDER BY i.eye) FROM instance i
     WHERE i.study_instance_uid = s.study_instance_uid) AS eyes`;

function studyFromRow(row: StudyRow): StudySummary {
  return compact({
    studyInstanceUid: row.study_instance_uid,
    patientId: row.patient_id,
    patientName: row.patient_name,
    patientBirthDate: row.patient_birth_date,
    patientSex: row.patient_sex,
    studyDate: row.study_date,
    studyTime: row.study_time,
    accessionNumber: row.accession_number,
    studyDescription: row.study_description,
    site: row.site,
    state: row.state,
    modalities: row.modalities ?? [],
    eyes: sortEyes((row.eyes ?? []) as InstanceEye[]),
    instanceCount: Number(row.instance_count),
    seriesCount: Number(row.series_count),
    firstReceivedAt: toDate(row.first_received_at),
    lastReceivedAt: toDate(row.last_received_at),
    stableAt: row.stable_at === null ? null : toDate(row.stable_at),
    routedAt: row.routed_at === null ? null : toDate(row.routed_at),
    version: Number(row.version),
  }) as unknown as StudySummary;
}

const eyeOrder: Record<InstanceEye, number> = { R: 0, L: 1, B: 2, U: 3 };

function sortEyes(eyes: InstanceEye[]): InstanceEye[] {
  return [...eyes].sort((a, b) => eyeOrder[a] - eyeOrder[b]);
}

function instanceFromRow(row: InstanceRow): InstanceRecord {
  return compact({
    sopClassUid: row.sop_class_uid,
    sopInstanceUid: row.sop_instance_uid,
    studyInstanceUid: row.study_instance_uid,
    seriesInstanceUid: row.series_instance_uid,
    transferSyntaxUid: row.transfer_syntax_uid,
    specificCharacterSet: row.specific_character_set,
    patientId: row.patient_id,
    issuerOfPatientId: row.issuer_of_patient_id,
    patientName: row.patient_name,
    patientBirthDate: row.patient_birth_date,
    patientSex: row.patient_sex,
    studyDate: row.study_date,
    studyTime: row.study_time,
    studyId: row.study_id,
    accessionNumber: row.accession_number,
    studyDescription: row.study_description,
    modality: row.modality,
    seriesNumber: row.series_number,
    seriesDescription: row.series_description,
    bodyPartExamined: row.body_part_examined,
    laterality: row.laterality,
    imageLaterality: row.image_laterality,
    frameLaterality: row.frame_laterality,
    measurementLaterality: row.measurement_laterality,
    eye: row.eye,
    instanceNumber: row.instance_number,
    contentDate: row.content_date,
    contentTime: row.content_time,
    acquisitionDateTime: row.acquisition_date_time,
    manufacturer: row.manufacturer,
    manufacturerModelName: row.manufacturer_model_name,
    stationName: row.station_name,
    deviceSerialNumber: row.device_serial_number,
    softwareVersions: row.software_versions,
    rows: row.image_rows,
    columns: row.image_columns,
    numberOfFrames: row.number_of_frames,
    samplesPerPixel: row.samples_per_pixel,
    photometricInterpretation: row.photometric_interpretation,
    bitsAllocated: row.bits_allocated,
    origin: compact({
      protocol: row.origin_protocol,
      peerAddress: row.origin_peer_address,
      callingAet: row.origin_calling_aet,
      calledAet: row.origin_called_aet,
      principal: row.origin_principal,
      requestId: row.origin_request_id,
      site: row.site,
    }),
    spoolPath: row.spool_path,
    sizeBytes: Number(row.size_bytes),
    receivedAt: toDate(row.received_at),
  }) as unknown as InstanceRecord;
}

function reviveAssembly(raw: { case_json: unknown; route_json: unknown }): StudyAssembly {
  const assembled = raw.case_json as Case & { assembledAt: string };
  const route = raw.route_json as RouteDecision & { evaluatedAt: string };
  return {
    case: { ...assembled, assembledAt: new Date(assembled.assembledAt) },
    route: { ...route, evaluatedAt: new Date(route.evaluatedAt) },
  };
}

/** The index on a SQL database. */
export class PgInstanceIndex implements InstanceIndex {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async recordInstances(records: readonly InstanceRecord[]): Promise<RecordOutcome> {
    const unique = [...new Map(records.map((record) => [record.sopInstanceUid, record])).values()];
    if (unique.length === 0) {
      return { inserted: [], duplicates: [], reopened: [] };
    }
    // A fixed number of set-based statements per batch, whatever its size (group commit).
    return this.#sql.transaction(async (tx) => {
      await insertStudies(tx, unique);
      const newSeries = await insertSeries(tx, unique);
      const inserted = await insertInstances(tx, unique);
      const inStudy = new Map<string, { count: number; series: number; last: Date }>();
      for (const record of unique) {
        if (!inserted.has(record.sopInstanceUid)) {
          continue;
        }
        const entry = inStudy.get(record.studyInstanceUid) ?? {
          count: 0,
          series: 0,
          last: record.receivedAt,
        };
        entry.count += 1;
        entry.last = entry.last > record.receivedAt ? entry.last : record.receivedAt;
        inStudy.set(record.studyInstanceUid, entry);
      }
      for (const record of unique) {
        if (newSeries.has(record.seriesInstanceUid)) {
          const entry = inStudy.get(record.studyInstanceUid);
          if (entry !== undefined) {
            entry.series += 1;
            newSeries.delete(record.seriesInstanceUid);
          }
        }
      }
      const reopened: string[] = [];
      if (inStudy.size > 0) {
        const studies = [...inStudy.keys()];
        const previous = await tx.query<{ study_instance_uid: string; state: StudyState }>(
          'SELECT study_instance_uid, state FROM study WHERE study_instance_uid = ANY($1::text[]) FOR UPDATE',
          [studies],
        );
        for (const row of previous.rows) {
          if (row.state !== 'receiving') {
            reopened.push(row.study_instance_uid);
          }
        }
        await tx.query(
          `UPDATE study s SET
             instance_count = s.instance_count + u.added,
             series_count = s.series_count + u.series,
             last_received_at = GREATEST(s.last_received_at, u.last),
             state = 'receiving',
             version = s.version + 1
           FROM unnest($1::text[], $2::int[], $3::int[], $4::timestamptz[]) AS u(uid, added, series, last)
           WHERE s.study_instance_uid = u.uid`,
          [
            studies,
            studies.map((uid) => inStudy.get(uid)!.count),
            studies.map((uid) => inStudy.get(uid)!.series),
            studies.map((uid) => inStudy.get(uid)!.last.toISOString()),
          ],
        );
      }
      return {
        inserted: unique
          .filter((record) => inserted.has(record.sopInstanceUid))
          .map((record) => record.sopInstanceUid),
        duplicates: unique
          .filter((record) => !inserted.has(record.sopInstanceUid))
          .map((record) => record.sopInstanceUid),
        reopened,
      };
    });
  }

  async knownInstances(uids: readonly string[]): Promise<Set<string>> {
    if (uids.length === 0) {
      return new Set();
    }
    const result = await this.#sql.query<{ sop_instance_uid: string }>(
      'SELECT sop_instance_uid FROM instance WHERE sop_instance_uid = ANY($1::text[])',
      [uids],
    );
    return new Set(result.rows.map((row) => row.sop_instance_uid));
  }

  async getStudy(studyInstanceUid: string): Promise<StudySummary | undefined> {
    const result = await this.#sql.query<StudyRow>(
      `SELECT ${studyColumns} FROM study s WHERE s.study_instance_uid = $1`,
      [studyInstanceUid],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : studyFromRow(row);
  }

  async listStudies(query: StudyQuery): Promise<Page<StudySummary>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (query.patientId !== undefined) {
      add('s.patient_id = ?', query.patientId);
    }
    if (query.accessionNumber !== undefined) {
      add('s.accession_number = ?', query.accessionNumber);
    }
    if (query.state !== undefined) {
      add('s.state = ?', query.state);
    }
    if (query.site !== undefined) {
      add('s.site = ?', query.site);
    }
    if (query.studyDateFrom !== undefined) {
      add('s.study_date >= ?', query.studyDateFrom);
    }
    if (query.studyDateTo !== undefined) {
      add('s.study_date <= ?', query.studyDateTo);
    }
    if (query.modality !== undefined) {
      add(
        'EXISTS (SELECT 1 FROM series se WHERE se.study_instance_uid = s.study_instance_uid AND se.modality = ?)',
        query.modality,
      );
    }
    const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    params.push(query.limit, query.offset);
    const result = await this.#sql.query<StudyRow>(
      `SELECT ${studyColumns}, count(*) OVER () AS total FROM study s ${filter}
       ORDER BY s.last_received_at DESC, s.study_instance_uid
       LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    let total = Number(result.rows[0]?.total ?? 0);
    if (result.rows.length === 0 && query.offset > 0) {
      const counted = await this.#sql.query<{ total: number | string }>(
        `SELECT count(*)::int AS total FROM study s ${filter}`,
        params.slice(0, -2),
      );
      total = Number(counted.rows[0]?.total ?? 0);
    }
    return { items: result.rows.map(studyFromRow), total, limit: query.limit, offset: query.offset };
  }

  async listInstances(studyInstanceUid: string): Promise<InstanceRecord[]> {
    const result = await this.#sql.query<InstanceRow>(
      `SELECT i.*, s.patient_id, s.issuer_of_patient_id, s.patient_name, s.patient_birth_date, s.patient_sex,
              s.study_date, s.study_time, s.study_id, s.accession_number, s.study_description,
              se.modality, se.series_number, se.series_description, se.body_part_examined, se.laterality,
              se.manufacturer, se.manufacturer_model_name, se.station_name, se.device_serial_number,
              se.software_versions
       FROM instance i
       JOIN series se ON se.series_instance_uid = i.series_instance_uid
       JOIN study s ON s.study_instance_uid = i.study_instance_uid
       WHERE i.study_instance_uid = $1
       ORDER BY se.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST, i.sop_instance_uid`,
      [studyInstanceUid],
    );
    return result.rows.map(instanceFromRow);
  }

  async studiesQuietSince(before: Date, limit: number): Promise<string[]> {
    const result = await this.#sql.query<{ study_instance_uid: string }>(
      `SELECT study_instance_uid FROM study WHERE state = 'receiving' AND last_received_at < $1
       ORDER BY last_received_at LIMIT $2`,
      [before, limit],
    );
    return result.rows.map((row) => row.study_instance_uid);
  }

  async studiesInState(state: StudyState, limit: number): Promise<string[]> {
    const result = await this.#sql.query<{ study_instance_uid: string }>(
      'SELECT study_instance_uid FROM study WHERE state = $1 ORDER BY last_received_at LIMIT $2',
      [state, limit],
    );
    return result.rows.map((row) => row.study_instance_uid);
  }

  async markStable(studyInstanceUid: string, version: number, at: Date): Promise<boolean> {
    const result = await this.#sql.query(
      `UPDATE study SET state = 'stable', stable_at = $3, version = version + 1
       WHERE study_instance_uid = $1 AND version = $2 AND state = 'receiving'`,
      [studyInstanceUid, version, at],
    );
    return result.rowCount === 1;
  }

  async saveAssembly(studyInstanceUid: string, version: number, assembly: StudyAssembly): Promise<boolean> {
    const result = await this.#sql.query(
      `UPDATE study SET state = 'routed', routed_at = $3, case_json = $4::jsonb, route_json = $5::jsonb,
              version = version + 1
       WHERE study_instance_uid = $1 AND version = $2 AND state = 'stable'`,
      [
        studyInstanceUid,
        version,
        assembly.route.evaluatedAt,
        JSON.stringify(assembly.case),
        JSON.stringify(assembly.route),
      ],
    );
    return result.rowCount === 1;
  }

  async getAssembly(studyInstanceUid: string): Promise<StudyAssembly | undefined> {
    const result = await this.#sql.query<{ case_json: unknown; route_json: unknown }>(
      'SELECT case_json, route_json FROM study WHERE study_instance_uid = $1 AND case_json IS NOT NULL',
      [studyInstanceUid],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : reviveAssembly(row);
  }

  async studiesToDispatch(limit: number): Promise<{ studyInstanceUid: string; version: number }[]> {
    const result = await this.#sql.query<{ study_instance_uid: string; version: number }>(
      `SELECT study_instance_uid, version FROM study
       WHERE state = 'routed' AND dispatched_version IS DISTINCT FROM version
       ORDER BY last_received_at LIMIT $1`,
      [limit],
    );
    return result.rows.map((row) => ({ studyInstanceUid: row.study_instance_uid, version: row.version }));
  }

  async markDispatched(studyInstanceUid: string, version: number, at: Date): Promise<boolean> {
    const result = await this.#sql.query(
      `UPDATE study SET dispatched_version = version, dispatched_at = $3
       WHERE study_instance_uid = $1 AND version = $2 AND state = 'routed'`,
      [studyInstanceUid, version, at],
    );
    return result.rowCount === 1;
  }

  async priorStudies(
    studyInstanceUid: string,
    modalities: readonly string[],
    limit: number,
  ): Promise<string[]> {
    const result = await this.#sql.query<{ study_instance_uid: string }>(
      `SELECT prior.study_instance_uid
       FROM study current
       JOIN study prior
         ON prior.patient_id = current.patient_id
        AND prior.issuer_of_patient_id IS NOT DISTINCT FROM current.issuer_of_patient_id
        AND prior.study_instance_uid <> current.study_instance_uid
        AND prior.state = 'routed'
        AND COALESCE(prior.study_date, '') <= COALESCE(current.study_date, '99999999')
       WHERE current.study_instance_uid = $1 AND current.patient_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM series s WHERE s.study_instance_uid = prior.study_instance_uid
                     AND s.modality = ANY($2::text[]))
       ORDER BY prior.study_date DESC NULLS LAST, prior.study_time DESC NULLS LAST
       LIMIT $3`,
      [studyInstanceUid, [...modalities], limit],
    );
    return result.rows.map((row) => row.study_instance_uid);
  }
}

/** Column values of one table, as parallel arrays for `unnest`. */
function columns<T>(records: readonly T[], pick: readonly ((record: T) => unknown)[]): unknown[][] {
  return pick.map((get) => records.map((record) => get(record) ?? null));
}

function integerOrNull(value: number | undefined): number | null {
  return value === undefined || !Number.isSafeInteger(value) || Math.abs(value) > 2_147_483_647
    ? null
    : value;
}

async function insertStudies(tx: SqlRunner, records: readonly InstanceRecord[]): Promise<void> {
  const first = [...new Map(records.map((record) => [record.studyInstanceUid, record])).values()];
  await tx.query(
    `INSERT INTO study (study_instance_uid, patient_id, issuer_of_patient_id, patient_name, patient_birth_date,
       patient_sex, study_date, study_time, study_id, accession_number, study_description, site, state,
       first_received_at, last_received_at)
     SELECT a, b, c, d, e, f, g, h, i, j, k, l, 'receiving', received, received
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[]) AS u(a, b, c, d, e, f, g, h, i, j, k, l, received)
     ON CONFLICT (study_instance_uid) DO NOTHING`,
    columns(first, [
      (r) => r.studyInstanceUid,
      (r) => r.patientId,
      (r) => r.issuerOfPatientId,
      (r) => r.patientName,
      (r) => r.patientBirthDate,
      (r) => r.patientSex,
      (r) => r.studyDate,
      (r) => r.studyTime,
      (r) => r.studyId,
      (r) => r.accessionNumber,
      (r) => r.studyDescription,
      (r) => r.origin.site,
      (r) => r.receivedAt.toISOString(),
    ]),
  );
}

/** Inserts the series not yet known; returns the UIDs of those inserted. */
async function insertSeries(tx: SqlRunner, records: readonly InstanceRecord[]): Promise<Set<string>> {
  const first = [...new Map(records.map((record) => [record.seriesInstanceUid, record])).values()];
  const result = await tx.query<{ series_instance_uid: string }>(
    `INSERT INTO series (series_instance_uid, study_instance_uid, modality, series_number, series_description,
       body_part_examined, laterality, manufacturer, manufacturer_model_name, station_name, device_serial_number,
       software_versions)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
     ON CONFLICT (series_instance_uid) DO NOTHING
     RETURNING series_instance_uid`,
    columns(first, [
      (r) => r.seriesInstanceUid,
      (r) => r.studyInstanceUid,
      (r) => r.modality,
      (r) => integerOrNull(r.seriesNumber),
      (r) => r.seriesDescription,
      (r) => r.bodyPartExamined,
      (r) => r.laterality,
      (r) => r.manufacturer,
      (r) => r.manufacturerModelName,
      (r) => r.stationName,
      (r) => r.deviceSerialNumber,
      (r) => r.softwareVersions,
    ]),
  );
  return new Set(result.rows.map((row) => row.series_instance_uid));
}

/** Inserts the instances not yet known; returns the SOP Instance UIDs of those inserted. */
async function insertInstances(tx: SqlRunner, records: readonly InstanceRecord[]): Promise<Set<string>> {
  const result = await tx.query<{ sop_instance_uid: string }>(
    `INSERT INTO instance (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid,
       transfer_syntax_uid, instance_number, eye, image_laterality, frame_laterality, content_date, content_time,
       acquisition_date_time, image_rows, image_columns, number_of_frames, samples_per_pixel,
       photometric_interpretation, bits_allocated, specific_character_set, spool_path, size_bytes,
       origin_protocol, origin_peer_address, origin_calling_aet, origin_called_aet, origin_principal,
       origin_request_id, site, received_at, measurement_laterality)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
       $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[], $15::int[], $16::int[],
       $17::text[], $18::int[], $19::text[], $20::text[], $21::bigint[], $22::text[], $23::text[], $24::text[],
       $25::text[], $26::text[], $27::text[], $28::text[], $29::timestamptz[], $30::text[])
     ON CONFLICT (sop_instance_uid) DO NOTHING
     RETURNING sop_instance_uid`,
    columns(records, [
      (r) => r.sopInstanceUid,
      (r) => r.seriesInstanceUid,
      (r) => r.studyInstanceUid,
      (r) => r.sopClassUid,
      (r) => r.transferSyntaxUid,
      (r) => integerOrNull(r.instanceNumber),
      (r) => r.eye,
      (r) => r.imageLaterality,
      (r) => r.frameLaterality,
      (r) => r.contentDate,
      (r) => r.contentTime,
      (r) => r.acquisitionDateTime,
      (r) => integerOrNull(r.rows),
      (r) => integerOrNull(r.columns),
      (r) => integerOrNull(r.numberOfFrames),
      (r) => integerOrNull(r.samplesPerPixel),
      (r) => r.photometricInterpretation,
      (r) => integerOrNull(r.bitsAllocated),
      (r) => r.specificCharacterSet,
      (r) => r.spoolPath,
      (r) => r.sizeBytes,
      (r) => r.origin.protocol,
      (r) => r.origin.peerAddress,
      (r) => r.origin.callingAet,
      (r) => r.origin.calledAet,
      (r) => r.origin.principal,
      (r) => r.origin.requestId,
      (r) => r.origin.site,
      (r) => r.receivedAt.toISOString(),
      (r) => r.measurementLaterality,
    ]),
  );
  return new Set(result.rows.map((row) => row.sop_instance_uid));
}

/**
 * The spool path (relative to the spool root) of an indexed instance, or undefined when it is not indexed: for
 * the viewer's rendered frames, which know an instance by its SOP Instance UID only.
 */
export async function instanceSpoolPath(sql: SqlRunner, sopInstanceUid: string): Promise<string | undefined> {
  const result = await sql.query<{ spool_path: string }>(
    'SELECT spool_path FROM instance WHERE sop_instance_uid = $1',
    [sopInstanceUid],
  );
  return result.rows[0]?.spool_path;
}
