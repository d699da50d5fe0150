-- Imports match patients on facility + Patient ID Number: without this index each lookup scanned
-- a facility's patients, and an import's time grew with the square of its size.
CREATE INDEX patients_facility_number ON patients (facility_id, patient_id_number, id);
