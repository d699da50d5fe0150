DROP INDEX tumors_patient;
CREATE INDEX tumors_patient ON tumors (patient_id);
