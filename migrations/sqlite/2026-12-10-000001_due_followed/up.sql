-- A facility's due list walked its link rows in contact order and loaded each patient and its
-- tumors to apply the follow-up rules; the oldest contacts are mostly patients the rules
-- exclude (diagnosed before 2005, benign, over 100), so at 2 million tumors a first page loaded
-- 5,500 candidates for 500 due. The link row now says whether the pair has a tumor the rules
-- may follow (the item-free part of eligibility: diagnosed 2005 or later, not benign or
-- borderline, not deleted) and carries the patient's birth year, both in the due index, so the
-- walk skips the excluded without reading them. The service still applies every rule to the
-- candidates it reads.
ALTER TABLE patient_facilities ADD COLUMN followed BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE patient_facilities ADD COLUMN birth_year INTEGER;
UPDATE patient_facilities SET
    followed = EXISTS (SELECT 1 FROM tumors t
        WHERE t.patient_id = patient_facilities.patient_id AND t.facility_id = patient_facilities.facility_id
          AND t.status <> 'deleted' AND t.dx_year >= 2005
          AND (t.behavior IS NULL OR t.behavior NOT IN ('0', '1'))),
    birth_year = (SELECT birth_year FROM patients WHERE id = patient_id);

DROP INDEX patient_facilities_due;
CREATE INDEX patient_facilities_due
    ON patient_facilities (facility_id, date_of_last_contact, patient_id, vital_status, followed, birth_year);

-- A new pair takes the patient's values, now with the birth year (one update, not two). It
-- starts unfollowed: a pair is new when its patient is (no tumors yet) or when a tumor brings
-- it, and the tumor's trigger marks it.
DROP TRIGGER patient_facilities_due_insert;
CREATE TRIGGER patient_facilities_due_insert AFTER INSERT ON patient_facilities
BEGIN
    UPDATE patient_facilities SET
        (date_of_last_contact, vital_status, birth_year) = (SELECT date_of_last_contact,
            vital_status, birth_year FROM patients WHERE id = NEW.patient_id)
    WHERE facility_id = NEW.facility_id AND patient_id = NEW.patient_id;
END;

CREATE TRIGGER patient_facilities_due_birth_year AFTER UPDATE OF birth_year ON patients
WHEN OLD.birth_year IS NOT NEW.birth_year
BEGIN
    UPDATE patient_facilities SET birth_year = NEW.birth_year WHERE patient_id = NEW.id;
END;

-- A tumor written, moved or deleted: the verdict of the pairs it leaves and joins. A pair not
-- yet linked is made by the insert trigger.
CREATE TRIGGER patient_facilities_due_tumor_insert AFTER INSERT ON tumors
WHEN NEW.status <> 'deleted' AND NEW.dx_year >= 2005
    AND (NEW.behavior IS NULL OR NEW.behavior NOT IN ('0', '1'))
BEGIN
    -- The link trigger may run after this one: the pair is made here too.
    INSERT OR IGNORE INTO patient_facilities (facility_id, patient_id)
        VALUES (NEW.facility_id, NEW.patient_id);
    UPDATE patient_facilities SET followed = 1
    WHERE patient_id = NEW.patient_id AND facility_id = NEW.facility_id AND followed = 0;
END;

-- Both recompute each pair the tumor touched from its own tumors (correlated to the link row).
CREATE TRIGGER patient_facilities_due_tumor_update
AFTER UPDATE OF patient_id, facility_id, status, dx_year, behavior ON tumors
WHEN OLD.patient_id IS NOT NEW.patient_id OR OLD.facility_id IS NOT NEW.facility_id
    OR OLD.status IS NOT NEW.status OR OLD.dx_year IS NOT NEW.dx_year
    OR OLD.behavior IS NOT NEW.behavior
BEGIN
    UPDATE patient_facilities SET followed = EXISTS (SELECT 1 FROM tumors t
        WHERE t.patient_id = patient_facilities.patient_id
          AND t.facility_id = patient_facilities.facility_id
          AND t.status <> 'deleted' AND t.dx_year >= 2005
          AND (t.behavior IS NULL OR t.behavior NOT IN ('0', '1')))
    WHERE (patient_id = OLD.patient_id AND facility_id = OLD.facility_id)
       OR (patient_id = NEW.patient_id AND facility_id = NEW.facility_id);
END;

CREATE TRIGGER patient_facilities_due_tumor_delete AFTER DELETE ON tumors
BEGIN
    UPDATE patient_facilities SET followed = EXISTS (SELECT 1 FROM tumors t
        WHERE t.patient_id = patient_facilities.patient_id
          AND t.facility_id = patient_facilities.facility_id
          AND t.status <> 'deleted' AND t.dx_year >= 2005
          AND (t.behavior IS NULL OR t.behavior NOT IN ('0', '1')))
    WHERE patient_id = OLD.patient_id AND facility_id = OLD.facility_id;
END;
