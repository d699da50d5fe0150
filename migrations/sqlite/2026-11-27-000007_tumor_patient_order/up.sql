-- Exports walk tumors in (patient, id) order with a keyset cursor; an index in that order keeps
-- every page a range scan instead of a scan from the start.
DROP INDEX tumors_patient;
CREATE INDEX tumors_patient ON tumors (patient_id, id);
