-- FHIR results go through the same outbox: a delivery may use the `fhir` protocol (its result object is a
-- transaction Bundle kept as JSON under the data directory).
ALTER TABLE delivery DROP CONSTRAINT delivery_protocol_check;
ALTER TABLE delivery ADD CONSTRAINT delivery_protocol_check CHECK (protocol IN ('dimse', 'stow-rs', 'fhir'));
