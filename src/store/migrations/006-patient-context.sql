-- Patient context from the EHR (HL7 v2, FHIR): coded observations, patient merges and imaging orders.
CREATE TABLE patient_observation (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  issuer TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('lab', 'condition', 'grade')),
  code_system TEXT NOT NULL,
  code TEXT NOT NULL,
  display TEXT,
  value_number DOUBLE PRECISION,
  value_text TEXT,
  unit TEXT,
  eye TEXT CHECK (eye IN ('R', 'L')),
  observed_at TIMESTAMPTZ,
  status TEXT,
  source_protocol TEXT NOT NULL CHECK (source_protocol IN ('hl7v2', 'fhir')),
  source_reference TEXT,
  received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX patient_observation_patient_idx ON patient_observation (patient_id, observed_at DESC);

CREATE TABLE patient_merge (
  from_patient_id TEXT NOT NULL,
  from_issuer TEXT NOT NULL,
  to_patient_id TEXT NOT NULL,
  to_issuer TEXT NOT NULL,
  merged_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (from_patient_id, from_issuer, to_patient_id, to_issuer)
);

CREATE TABLE imaging_order (
  accession_number TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  issuer TEXT NOT NULL DEFAULT '',
  placer_order_number TEXT,
  filler_order_number TEXT,
  study_instance_uid TEXT,
  procedure TEXT,
  priority TEXT,
  control TEXT,
  source_protocol TEXT NOT NULL CHECK (source_protocol IN ('hl7v2', 'fhir')),
  source_reference TEXT,
  received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX imaging_order_patient_idx ON imaging_order (patient_id);
CREATE INDEX imaging_order_study_idx ON imaging_order (study_instance_uid);
