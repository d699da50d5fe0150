DROP TRIGGER patient_facilities_due_tumor_update ON tumors;
DROP TRIGGER patient_facilities_due_tumors_removed ON tumors;
DROP TRIGGER patient_facilities_due_tumors_added ON tumors;
DROP FUNCTION patient_facilities_due_tumor_changed();
DROP FUNCTION patient_facilities_due_tumors_removed();
DROP FUNCTION patient_facilities_due_tumors_added();
DROP TRIGGER patient_facilities_due_patient ON patients;
CREATE OR REPLACE FUNCTION patient_facilities_due_copy() RETURNS trigger AS $$
BEGIN
    UPDATE patient_facilities SET
        date_of_last_contact = NEW.date_of_last_contact,
        vital_status = NEW.vital_status
    WHERE patient_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER patient_facilities_due_patient AFTER UPDATE OF date_of_last_contact, vital_status ON patients
    FOR EACH ROW WHEN (OLD.date_of_last_contact IS DISTINCT FROM NEW.date_of_last_contact
        OR OLD.vital_status IS DISTINCT FROM NEW.vital_status)
    EXECUTE FUNCTION patient_facilities_due_copy();
CREATE OR REPLACE FUNCTION patient_facilities_due_fill() RETURNS trigger AS $$
BEGIN
    SELECT p.date_of_last_contact, p.vital_status INTO NEW.date_of_last_contact, NEW.vital_status
        FROM patients p WHERE p.id = NEW.patient_id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP INDEX patient_facilities_due;
CREATE INDEX patient_facilities_due
    ON patient_facilities (facility_id, date_of_last_contact, patient_id) INCLUDE (vital_status);
DROP FUNCTION patient_facilities_followed(TEXT, TEXT);
ALTER TABLE patient_facilities DROP COLUMN birth_year;
ALTER TABLE patient_facilities DROP COLUMN followed;
