-- Patient search at scale (issue 15). Two things defeated the indexes at 1 million patients:
-- a birth-year search was a range over dates read back in id order, and a facility scope
-- ("the patient's own facility, or any tumor reported there") was an OR with a correlated
-- subquery. So: the birth year gets its own column, indexed with id (an equality in id
-- order), and the scope becomes one indexed probe of a link table holding every (facility,
-- patient) pair the scope test would accept. Triggers keep the link table in step with
-- patients and tumors whoever writes them (API, imports, bulk loads), on both backends.
ALTER TABLE patients ADD COLUMN birth_year INTEGER;
UPDATE patients SET birth_year = CAST(substr(date_of_birth, 1, 4) AS INTEGER)
    WHERE date_of_birth ~ '^[0-9]{4}';
CREATE INDEX patients_birth_year ON patients (birth_year, id);

CREATE TABLE patient_facilities (
    facility_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (facility_id, patient_id)
);
-- (patient, facility): the probe of a search driven by another index is an index-only scan,
-- and the triggers find a patient's pairs by it.
CREATE INDEX patient_facilities_patient ON patient_facilities (patient_id, facility_id);
INSERT INTO patient_facilities (facility_id, patient_id)
    SELECT facility_id, id FROM patients
    UNION SELECT facility_id, patient_id FROM tumors;

-- Drops the pair unless the patient's own facility or one of its tumors still gives it.
CREATE FUNCTION patient_facilities_drop(p TEXT, f TEXT) RETURNS void AS $$
    DELETE FROM patient_facilities WHERE patient_id = p AND facility_id = f
        AND NOT EXISTS (SELECT 1 FROM tumors WHERE patient_id = p AND facility_id = f)
        AND NOT EXISTS (SELECT 1 FROM patients WHERE id = p AND facility_id = f);
$$ LANGUAGE sql;

CREATE FUNCTION patient_facilities_of_patient() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM patient_facilities WHERE patient_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO patient_facilities (facility_id, patient_id) VALUES (NEW.facility_id, NEW.id)
        ON CONFLICT DO NOTHING;
    IF TG_OP = 'UPDATE' THEN
        PERFORM patient_facilities_drop(OLD.id, OLD.facility_id);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION patient_facilities_of_tumor() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO patient_facilities (facility_id, patient_id) VALUES (NEW.facility_id, NEW.patient_id)
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM patient_facilities_drop(OLD.patient_id, OLD.facility_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER patient_facilities_patient_insert_delete AFTER INSERT OR DELETE ON patients
    FOR EACH ROW EXECUTE FUNCTION patient_facilities_of_patient();
CREATE TRIGGER patient_facilities_patient_update AFTER UPDATE OF facility_id ON patients
    FOR EACH ROW WHEN (OLD.facility_id IS DISTINCT FROM NEW.facility_id)
    EXECUTE FUNCTION patient_facilities_of_patient();
CREATE TRIGGER patient_facilities_tumor_insert_delete AFTER INSERT OR DELETE ON tumors
    FOR EACH ROW EXECUTE FUNCTION patient_facilities_of_tumor();
CREATE TRIGGER patient_facilities_tumor_update AFTER UPDATE OF facility_id, patient_id ON tumors
    FOR EACH ROW WHEN (OLD.facility_id IS DISTINCT FROM NEW.facility_id OR OLD.patient_id IS DISTINCT FROM NEW.patient_id)
    EXECUTE FUNCTION patient_facilities_of_tumor();
