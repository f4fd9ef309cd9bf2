-- Worklist claims: one reader holds a study while reading it; a claim ends when released, broken by an admin,
-- or when it expires (an expired row is taken over by the next claim).
CREATE TABLE study_claim (
  study_instance_uid TEXT PRIMARY KEY,
  reader TEXT NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  CHECK (expires_at > claimed_at)
);
CREATE INDEX study_claim_expires_idx ON study_claim (expires_at);
