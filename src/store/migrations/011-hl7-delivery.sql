-- Outbound HL7 v2 messages (ORU^R01 results and alerts, ORM^O01 priority updates) go through the same outbox:
-- a delivery may use the `mllp` protocol (its result object is the encoded message under the data directory).
ALTER TABLE delivery DROP CONSTRAINT delivery_protocol_check;
ALTER TABLE delivery ADD CONSTRAINT delivery_protocol_check CHECK (protocol IN ('dimse', 'stow-rs', 'fhir', 'mllp'));

-- Findings keep the order their analyzer reported them in (a grade before its lesion counts), so every message
-- built from stored findings (a final ORU^R01, SR or FHIR Bundle) lists them as the preliminary one did.
ALTER TABLE finding ADD COLUMN ordinal INTEGER;
