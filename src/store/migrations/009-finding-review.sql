-- Clinician review: decisions on AI findings (appended, never changed) and signed reports.
CREATE TABLE finding_review (
  id TEXT PRIMARY KEY,
  finding_id TEXT NOT NULL REFERENCES finding (id),
  analysis_id TEXT NOT NULL REFERENCES analysis (id),
  study_instance_uid TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('accept', 'modify', 'reject')),
  value_json JSONB,
  reason TEXT,
  reviewer TEXT NOT NULL,
  reviewed_at TIMESTAMPTZ NOT NULL,
  CHECK (decision <> 'modify' OR value_json IS NOT NULL),
  CHECK (decision <> 'reject' OR (reason IS NOT NULL AND reason <> ''))
);
CREATE INDEX finding_review_study_idx ON finding_review (study_instance_uid, reviewed_at);

CREATE TABLE report_signoff (
  id TEXT PRIMARY KEY,
  study_instance_uid TEXT NOT NULL,
  revision INTEGER NOT NULL CHECK (revision >= 1),
  report_text TEXT NOT NULL,
  signer TEXT NOT NULL,
  signer_name TEXT NOT NULL,
  signed_at TIMESTAMPTZ NOT NULL,
  analysis_ids TEXT[] NOT NULL,
  UNIQUE (study_instance_uid, revision)
);
