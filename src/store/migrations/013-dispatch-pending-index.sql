-- The dispatcher sweeps on routing, at start, and every few seconds in every process (safety sweep): its index
-- holds only the routed studies not yet dispatched at their version, not every routed study ever seen.
DROP INDEX study_dispatch_idx;
CREATE INDEX study_dispatch_idx ON study (last_received_at)
  WHERE state = 'routed' AND dispatched_version IS DISTINCT FROM version;
