-- The due list of a facility seeks (facility, Date of Last Contact, patient) on the link table
-- of patient search (2026-12-05-050001): before, its pages walked every patient of the
-- registry in contact order and probed each for a tumor in the facility, so a page's cost
-- grew with the registry, not with the page. The link table carries the two patient columns
-- the list filters and orders on; triggers copy them whoever writes the patient.
ALTER TABLE patient_facilities ADD COLUMN date_of_last_contact TEXT;
ALTER TABLE patient_facilities ADD COLUMN vital_status TEXT;
UPDATE patient_facilities SET
    date_of_last_contact = (SELECT date_of_last_contact FROM patients WHERE id = patient_id),
    vital_status = (SELECT vital_status FROM patients WHERE id = patient_id);
CREATE INDEX patient_facilities_due
    ON patient_facilities (facility_id, date_of_last_contact, patient_id, vital_status);

-- A new pair (from a patient or a tumor) takes the patient's values.
CREATE TRIGGER patient_facilities_due_insert AFTER INSERT ON patient_facilities
BEGIN
    UPDATE patient_facilities SET
        date_of_last_contact = (SELECT date_of_last_contact FROM patients WHERE id = NEW.patient_id),
        vital_status = (SELECT vital_status FROM patients WHERE id = NEW.patient_id)
    WHERE facility_id = NEW.facility_id AND patient_id = NEW.patient_id;
END;

CREATE TRIGGER patient_facilities_due_patient AFTER UPDATE OF date_of_last_contact, vital_status ON patients
WHEN OLD.date_of_last_contact IS NOT NEW.date_of_last_contact OR OLD.vital_status IS NOT NEW.vital_status
BEGIN
    UPDATE patient_facilities SET
        date_of_last_contact = NEW.date_of_last_contact,
        vital_status = NEW.vital_status
    WHERE patient_id = NEW.id;
END;
