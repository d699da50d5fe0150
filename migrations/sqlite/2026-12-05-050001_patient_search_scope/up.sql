-- Patient search at scale (issue 15). Two things defeated the indexes at 1 million patients:
-- a birth-year search was a range over dates read back in id order, and a facility scope
-- ("the patient's own facility, or any tumor reported there") was an OR with a correlated
-- subquery. So: the birth year gets its own column, indexed with id (an equality in id
-- order), and the scope becomes one indexed probe of a link table holding every (facility,
-- patient) pair the scope test would accept. Triggers keep the link table in step with
-- patients and tumors whoever writes them (API, imports, bulk loads), on both backends.
ALTER TABLE patients ADD COLUMN birth_year INTEGER;
UPDATE patients SET birth_year = CAST(substr(date_of_birth, 1, 4) AS INTEGER)
    WHERE date_of_birth GLOB '[0-9][0-9][0-9][0-9]*';
CREATE INDEX patients_birth_year ON patients (birth_year, id);

CREATE TABLE patient_facilities (
    facility_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (facility_id, patient_id)
) WITHOUT ROWID;
-- (patient, facility): the probe of a search driven by another index is an index-only scan,
-- and the triggers find a patient's pairs by it.
CREATE INDEX patient_facilities_patient ON patient_facilities (patient_id, facility_id);
INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id)
    SELECT facility_id, id FROM patients;
INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id)
    SELECT facility_id, patient_id FROM tumors;

CREATE TRIGGER patient_facilities_patient_insert AFTER INSERT ON patients
BEGIN
    INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id) VALUES (NEW.facility_id, NEW.id);
END;

CREATE TRIGGER patient_facilities_patient_update AFTER UPDATE OF facility_id ON patients
WHEN OLD.facility_id IS NOT NEW.facility_id
BEGIN
    INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id) VALUES (NEW.facility_id, NEW.id);
    DELETE FROM patient_facilities WHERE patient_id = OLD.id AND facility_id = OLD.facility_id
        AND NOT EXISTS (SELECT 1 FROM tumors WHERE patient_id = OLD.id AND facility_id = OLD.facility_id);
END;

CREATE TRIGGER patient_facilities_patient_delete AFTER DELETE ON patients
BEGIN
    DELETE FROM patient_facilities WHERE patient_id = OLD.id;
END;

CREATE TRIGGER patient_facilities_tumor_insert AFTER INSERT ON tumors
BEGIN
    INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id) VALUES (NEW.facility_id, NEW.patient_id);
END;

CREATE TRIGGER patient_facilities_tumor_update AFTER UPDATE OF facility_id, patient_id ON tumors
WHEN OLD.facility_id IS NOT NEW.facility_id OR OLD.patient_id IS NOT NEW.patient_id
BEGIN
    INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id) VALUES (NEW.facility_id, NEW.patient_id);
    DELETE FROM patient_facilities WHERE patient_id = OLD.patient_id AND facility_id = OLD.facility_id
        AND NOT EXISTS (SELECT 1 FROM tumors WHERE patient_id = OLD.patient_id AND facility_id = OLD.facility_id)
        AND NOT EXISTS (SELECT 1 FROM patients WHERE id = OLD.patient_id AND facility_id = OLD.facility_id);
END;

CREATE TRIGGER patient_facilities_tumor_delete AFTER DELETE ON tumors
BEGIN
    DELETE FROM patient_facilities WHERE patient_id = OLD.patient_id AND facility_id = OLD.facility_id
        AND NOT EXISTS (SELECT 1 FROM tumors WHERE patient_id = OLD.patient_id AND facility_id = OLD.facility_id)
        AND NOT EXISTS (SELECT 1 FROM patients WHERE id = OLD.patient_id AND facility_id = OLD.facility_id);
END;
