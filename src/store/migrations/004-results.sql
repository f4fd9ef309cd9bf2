-- Dispatch of routed studies to analysis, analyses with their findings, result objects and deliveries.
ALTER TABLE study ADD COLUMN dispatched_version INTEGER;
ALTER TABLE study ADD COLUMN dispatched_at TIMESTAMPTZ;
CREATE INDEX study_dispatch_idx ON study (state, last_received_at) WHERE state = 'routed';

CREATE TABLE analysis (
  id TEXT PRIMARY KEY,
  study_instance_uid TEXT NOT NULL REFERENCES study (study_instance_uid),
  analyzer_id TEXT NOT NULL,
  analyzer_version TEXT NOT NULL,
  use_case TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('off', 'silent', 'assistive', 'integrated')),
  status TEXT NOT NULL CHECK (status IN ('succeeded', 'not-applicable', 'failed')),
  reason TEXT,
  model_hash TEXT NOT NULL,
  input_sop_instance_uids TEXT[] NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL,
  raw_json JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX analysis_study_idx ON analysis (study_instance_uid, created_at);

CREATE TABLE finding (
  id TEXT PRIMARY KEY,
  analysis_id TEXT NOT NULL REFERENCES analysis (id),
  study_instance_uid TEXT NOT NULL,
  eye TEXT NOT NULL CHECK (eye IN ('R', 'L')),
  use_case TEXT NOT NULL,
  finding_key TEXT NOT NULL,
  value_json JSONB NOT NULL,
  source_sop_instance_uids TEXT[] NOT NULL,
  status TEXT NOT NULL DEFAULT 'preliminary'
    CHECK (status IN ('preliminary', 'accepted', 'modified', 'rejected')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (analysis_id, eye, finding_key)
);
CREATE INDEX finding_study_idx ON finding (study_instance_uid);

CREATE TABLE result_object (
  sop_instance_uid TEXT PRIMARY KEY,
  sop_class_uid TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL,
  study_instance_uid TEXT NOT NULL,
  analysis_id TEXT NOT NULL REFERENCES analysis (id),
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX result_object_study_idx ON result_object (study_instance_uid);

CREATE TABLE delivery (
  id TEXT PRIMARY KEY,
  sop_instance_uid TEXT NOT NULL REFERENCES result_object (sop_instance_uid),
  study_instance_uid TEXT NOT NULL,
  destination TEXT NOT NULL,
  protocol TEXT NOT NULL CHECK (protocol IN ('dimse', 'stow-rs')),
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error_code TEXT,
  last_error_message TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at TIMESTAMPTZ,
  UNIQUE (sop_instance_uid, destination)
);
CREATE INDEX delivery_study_idx ON delivery (study_instance_uid);
