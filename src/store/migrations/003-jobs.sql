-- The durable job queue (ADR 0004): at-least-once work shared by every Fovea process on the database.
-- A job is claimed with FOR UPDATE SKIP LOCKED under a lease (locked_by, locked_until, in database time);
-- an expired lease is taken over. NOTIFY fovea_jobs wakes the runners.
CREATE TABLE job (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  payload JSONB NOT NULL DEFAULT '{}',
  study_instance_uid TEXT,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  locked_by TEXT,
  locked_until TIMESTAMPTZ,
  last_error_code TEXT,
  last_error_message TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (kind, key),
  CHECK ((state = 'running') = (locked_until IS NOT NULL))
);
-- The claim reads queued jobs in (run_at, id) order, and running jobs whose lease has expired.
CREATE INDEX job_queued_idx ON job (run_at, id) WHERE state = 'queued';
CREATE INDEX job_lease_idx ON job (locked_until) WHERE state = 'running';
CREATE INDEX job_state_idx ON job (state, id);
CREATE INDEX job_study_idx ON job (study_instance_uid, id);
