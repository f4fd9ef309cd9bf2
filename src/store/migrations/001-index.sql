-- The index of received instances: studies, series, instances, with each instance's origin.
CREATE TABLE study (
  study_instance_uid TEXT PRIMARY KEY,
  patient_id TEXT,
  issuer_of_patient_id TEXT,
  patient_name TEXT,
  patient_birth_date TEXT,
  patient_sex TEXT,
  study_date TEXT,
  study_time TEXT,
  study_id TEXT,
  accession_number TEXT,
  study_description TEXT,
  site TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('receiving', 'stable', 'routed')),
  instance_count INTEGER NOT NULL DEFAULT 0,
  series_count INTEGER NOT NULL DEFAULT 0,
  first_received_at TIMESTAMPTZ NOT NULL,
  last_received_at TIMESTAMPTZ NOT NULL,
  stable_at TIMESTAMPTZ,
  routed_at TIMESTAMPTZ,
  version INTEGER NOT NULL DEFAULT 0,
  case_json JSONB,
  route_json JSONB
);
CREATE INDEX study_state_idx ON study (state, last_received_at);
CREATE INDEX study_last_received_idx ON study (last_received_at DESC, study_instance_uid);
CREATE INDEX study_patient_idx ON study (patient_id);
CREATE INDEX study_accession_idx ON study (accession_number);

CREATE TABLE series (
  series_instance_uid TEXT PRIMARY KEY,
  study_instance_uid TEXT NOT NULL REFERENCES study (study_instance_uid) ON DELETE CASCADE,
  modality TEXT,
  series_number INTEGER,
  series_description TEXT,
  body_part_examined TEXT,
  laterality TEXT,
  manufacturer TEXT,
  manufacturer_model_name TEXT,
  station_name TEXT,
  device_serial_number TEXT,
  software_versions TEXT
);
CREATE INDEX series_study_idx ON series (study_instance_uid);

CREATE TABLE instance (
  sop_instance_uid TEXT PRIMARY KEY,
  series_instance_uid TEXT NOT NULL REFERENCES series (series_instance_uid) ON DELETE CASCADE,
  study_instance_uid TEXT NOT NULL REFERENCES study (study_instance_uid) ON DELETE CASCADE,
  sop_class_uid TEXT NOT NULL,
  transfer_syntax_uid TEXT NOT NULL,
  instance_number INTEGER,
  eye TEXT NOT NULL CHECK (eye IN ('R', 'L', 'B', 'U')),
  image_laterality TEXT,
  frame_laterality TEXT,
  content_date TEXT,
  content_time TEXT,
  acquisition_date_time TEXT,
  image_rows INTEGER,
  image_columns INTEGER,
  number_of_frames INTEGER,
  samples_per_pixel INTEGER,
  photometric_interpretation TEXT,
  bits_allocated INTEGER,
  specific_character_set TEXT,
  spool_path TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  origin_protocol TEXT NOT NULL,
  origin_peer_address TEXT NOT NULL,
  origin_calling_aet TEXT,
  origin_called_aet TEXT,
  origin_principal TEXT,
  origin_request_id TEXT NOT NULL,
  site TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX instance_study_idx ON instance (study_instance_uid);
CREATE INDEX instance_series_idx ON instance (series_instance_uid);

-- What the PACS watcher has already seen, per watched PACS.
CREATE TABLE watch_cursor (
  pacs_id TEXT PRIMARY KEY,
  polled_through TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE watch_seen (
  pacs_id TEXT NOT NULL,
  study_instance_uid TEXT NOT NULL,
  instance_count INTEGER NOT NULL,
  fetched_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (pacs_id, study_instance_uid)
);
