-- The append-only, hash-chained audit log (see src/audit). UPDATE and DELETE are refused by rules.
CREATE TABLE audit_event (
  seq BIGINT PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  actor TEXT NOT NULL,
  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'system')),
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  study_instance_uid TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  from_address TEXT,
  details JSONB,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_event_study_idx ON audit_event (study_instance_uid, seq DESC);
CREATE RULE audit_event_no_update AS ON UPDATE TO audit_event DO INSTEAD NOTHING;
CREATE RULE audit_event_no_delete AS ON DELETE TO audit_event DO INSTEAD NOTHING;
