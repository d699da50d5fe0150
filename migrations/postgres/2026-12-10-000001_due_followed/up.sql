-- A facility's due list walked its link rows in contact order and loaded each patient and its
-- tumors to apply the follow-up rules; the oldest contacts are mostly patients the rules
-- exclude (diagnosed before 2005, benign, over 100), so at 2 million tumors a first page loaded
-- 5,500 candidates for 500 due. The link row now says whether the pair has a tumor the rules
-- may follow (the item-free part of eligibility: diagnosed 2005 or later, not benign or
-- borderline, not deleted) and carries the patient's birth year, both in the due index, so the
-- walk skips the excluded without reading them. The service still applies every rule to the
-- candidates it reads.
ALTER TABLE patient_facilities ADD COLUMN followed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE patient_facilities ADD COLUMN birth_year INTEGER;

CREATE FUNCTION patient_facilities_followed(p TEXT, f TEXT) RETURNS BOOLEAN AS $$
    SELECT EXISTS (SELECT 1 FROM tumors t
        WHERE t.patient_id = p AND t.facility_id = f AND t.status <> 'deleted'
          AND t.dx_year >= 2005 AND (t.behavior IS NULL OR t.behavior NOT IN ('0', '1')));
$$ LANGUAGE sql STABLE;

UPDATE patient_facilities pf SET
    followed = patient_facilities_followed(pf.patient_id, pf.facility_id),
    birth_year = p.birth_year
FROM patients p WHERE p.id = pf.patient_id;

DROP INDEX patient_facilities_due;
CREATE INDEX patient_facilities_due ON patient_facilities (facility_id, date_of_last_contact, patient_id)
    INCLUDE (vital_status, followed, birth_year);

-- A new pair takes the patient's values. It starts unfollowed: a pair is new when its patient
-- is (no tumors yet) or when a tumor brings it, and the statement trigger below then marks it.
CREATE OR REPLACE FUNCTION patient_facilities_due_fill() RETURNS trigger AS $$
BEGIN
    SELECT p.date_of_last_contact, p.vital_status, p.birth_year
        INTO NEW.date_of_last_contact, NEW.vital_status, NEW.birth_year
        FROM patients p WHERE p.id = NEW.patient_id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION patient_facilities_due_copy() RETURNS trigger AS $$
BEGIN
    UPDATE patient_facilities SET
        date_of_last_contact = NEW.date_of_last_contact,
        vital_status = NEW.vital_status,
        birth_year = NEW.birth_year
    WHERE patient_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER patient_facilities_due_patient ON patients;
CREATE TRIGGER patient_facilities_due_patient AFTER UPDATE OF date_of_last_contact, vital_status, birth_year ON patients
    FOR EACH ROW WHEN (OLD.date_of_last_contact IS DISTINCT FROM NEW.date_of_last_contact
        OR OLD.vital_status IS DISTINCT FROM NEW.vital_status
        OR OLD.birth_year IS DISTINCT FROM NEW.birth_year)
    EXECUTE FUNCTION patient_facilities_due_copy();

-- Tumors added: the pairs given a followed tumor become followed. Per statement, over the rows
-- it added: an import adds 500 tumors a statement, and a trigger per row doubled its time.
-- (The link rows exist by then: row triggers run before statement triggers.)
CREATE FUNCTION patient_facilities_due_tumors_added() RETURNS trigger AS $$
BEGIN
    UPDATE patient_facilities pf SET followed = TRUE
    FROM (SELECT DISTINCT patient_id, facility_id FROM added
          WHERE status <> 'deleted' AND dx_year >= 2005
            AND (behavior IS NULL OR behavior NOT IN ('0', '1'))) a
    WHERE pf.patient_id = a.patient_id AND pf.facility_id = a.facility_id AND NOT pf.followed;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Tumors deleted: the verdict of the pairs they leave, again (the link row may be gone).
CREATE FUNCTION patient_facilities_due_tumors_removed() RETURNS trigger AS $$
BEGIN
    UPDATE patient_facilities pf SET followed = patient_facilities_followed(pf.patient_id, pf.facility_id)
    FROM (SELECT DISTINCT patient_id, facility_id FROM removed) r
    WHERE pf.patient_id = r.patient_id AND pf.facility_id = r.facility_id AND pf.followed;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- A tumor changed (one at a time: a correction, a status move, a merge): the pairs it leaves
-- and joins.
CREATE FUNCTION patient_facilities_due_tumor_changed() RETURNS trigger AS $$
BEGIN
    UPDATE patient_facilities SET followed = patient_facilities_followed(OLD.patient_id, OLD.facility_id)
        WHERE patient_id = OLD.patient_id AND facility_id = OLD.facility_id;
    UPDATE patient_facilities SET followed = patient_facilities_followed(NEW.patient_id, NEW.facility_id)
        WHERE patient_id = NEW.patient_id AND facility_id = NEW.facility_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER patient_facilities_due_tumors_added AFTER INSERT ON tumors
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION patient_facilities_due_tumors_added();
CREATE TRIGGER patient_facilities_due_tumors_removed AFTER DELETE ON tumors
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION patient_facilities_due_tumors_removed();
CREATE TRIGGER patient_facilities_due_tumor_update
    AFTER UPDATE OF patient_id, facility_id, status, dx_year, behavior ON tumors
    FOR EACH ROW WHEN (OLD.patient_id IS DISTINCT FROM NEW.patient_id
        OR OLD.facility_id IS DISTINCT FROM NEW.facility_id
        OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.dx_year IS DISTINCT FROM NEW.dx_year
        OR OLD.behavior IS DISTINCT FROM NEW.behavior)
    EXECUTE FUNCTION patient_facilities_due_tumor_changed();
