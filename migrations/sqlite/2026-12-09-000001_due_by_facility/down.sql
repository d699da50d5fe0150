DROP TRIGGER patient_facilities_due_patient;
DROP TRIGGER patient_facilities_due_insert;
DROP INDEX patient_facilities_due;
ALTER TABLE patient_facilities DROP COLUMN vital_status;
ALTER TABLE patient_facilities DROP COLUMN date_of_last_contact;
