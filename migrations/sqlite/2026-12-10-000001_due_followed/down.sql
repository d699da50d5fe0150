DROP TRIGGER patient_facilities_due_tumor_delete;
DROP TRIGGER patient_facilities_due_tumor_update;
DROP TRIGGER patient_facilities_due_tumor_insert;
DROP TRIGGER patient_facilities_due_birth_year;
DROP TRIGGER patient_facilities_due_insert;
CREATE TRIGGER patient_facilities_due_insert AFTER INSERT ON patient_facilities
BEGIN
    UPDATE patient_facilities SET
        date_of_last_contact = (SELECT date_of_last_contact FROM patients WHERE id = NEW.patient_id),
        vital_status = (SELECT vital_status FROM patients WHERE id = NEW.patient_id)
    WHERE facility_id = NEW.facility_id AND patient_id = NEW.patient_id;
END;
DROP INDEX patient_facilities_due;
CREATE INDEX patient_facilities_due
    ON patient_facilities (facility_id, date_of_last_contact, patient_id, vital_status);
ALTER TABLE patient_facilities DROP COLUMN birth_year;
ALTER TABLE patient_facilities DROP COLUMN followed;
