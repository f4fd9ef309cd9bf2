-- Triage: the bucket an analyzer suggests per finding, and each study's place on the worklist.
ALTER TABLE finding ADD COLUMN triage_json JSONB;

CREATE TABLE study_triage (
  study_instance_uid TEXT PRIMARY KEY REFERENCES study (study_instance_uid),
  bucket TEXT NOT NULL
    CHECK (bucket IN ('stat', 'referable', 'recapture', 'routine', 'review-and-release')),
  priority INTEGER NOT NULL,
  reasons_json JSONB NOT NULL,
  analysis_ids TEXT[] NOT NULL,
  computed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX study_triage_worklist_idx ON study_triage (priority DESC, computed_at);
