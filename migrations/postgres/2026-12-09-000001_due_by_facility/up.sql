-- The due list of a facility seeks (facility, Date of Last Contact, patient) on the link table
-- of patient search (2026-12-05-050001): before, its pages walked every patient of the
-- registry in contact order and probed each for a tumor in the facility, so a page's cost
-- grew with the registry, not with the page. The link table carries the two patient columns
-- the list filters and orders on; triggers copy them whoever writes the patient.
ALTER TABLE patient_facilities ADD COLUMN date_of_last_contact TEXT;
ALTER TABLE patient_facilities ADD COLUMN vital_status TEXT;
UPDATE patient_facilities pf SET
    date_of_last_contact = p.date_of_last_contact,
    vital_status = p.vital_status
FROM patients p WHERE p.id = pf.patient_id;
CREATE INDEX patient_facilities_due
    ON patient_facilities (facility_id, date_of_last_contact, patient_id) INCLUDE (vital_status);

-- A new pair (from a patient or a tumor) takes the patient's values.
CREATE FUNCTION patient_facilities_due_fill() RETURNS trigger AS $$
BEGIN
    SELECT p.date_of_last_contact, p.vital_status INTO NEW.date_of_last_contact, NEW.vital_status
        FROM patients p WHERE p.id = NEW.patient_id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION patient_facilities_due_copy() RETURNS trigger AS $$
BEGIN
    UPDATE patient_facilities SET
        date_of_last_contact = NEW.date_of_last_contact,
        vital_status = NEW.vital_status
    WHERE patient_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER patient_facilities_due_insert BEFORE INSERT ON patient_facilities
    FOR EACH ROW EXECUTE FUNCTION patient_facilities_due_fill();
CREATE TRIGGER patient_facilities_due_patient AFTER UPDATE OF date_of_last_contact, vital_status ON patients
    FOR EACH ROW WHEN (OLD.date_of_last_contact IS DISTINCT FROM NEW.date_of_last_contact
        OR OLD.vital_status IS DISTINCT FROM NEW.vital_status)
    EXECUTE FUNCTION patient_facilities_due_copy();
