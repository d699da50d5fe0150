DROP TRIGGER patient_facilities_due_patient ON patients;
DROP TRIGGER patient_facilities_due_insert ON patient_facilities;
DROP FUNCTION patient_facilities_due_copy();
DROP FUNCTION patient_facilities_due_fill();
DROP INDEX patient_facilities_due;
ALTER TABLE patient_facilities DROP COLUMN vital_status;
ALTER TABLE patient_facilities DROP COLUMN date_of_last_contact;
