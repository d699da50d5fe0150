-- Recipients as records (issue 16): who a submission goes to, the record type and NAACCR
-- version it takes, the file-level items written for it, the facilities whose cases go to it
-- and the edit set that gates its files. `recipient_tumors` keeps, per recipient and tumor,
-- the versions and items last sent (what "pending" and "changed since last" compare with).
CREATE TABLE recipients (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_type TEXT NOT NULL,
    naaccr_version TEXT NOT NULL,
    registry_id TEXT,
    registry_type TEXT,
    npi_registry_id TEXT,
    edit_set TEXT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX recipients_name ON recipients (name);

CREATE TABLE recipient_facilities (
    recipient_id TEXT NOT NULL REFERENCES recipients (id),
    facility_id TEXT NOT NULL,
    PRIMARY KEY (recipient_id, facility_id)
);

CREATE TABLE recipient_tumors (
    recipient_id TEXT NOT NULL,
    tumor_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    tumor_version BIGINT NOT NULL,
    patient_version BIGINT NOT NULL,
    items TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    PRIMARY KEY (recipient_id, tumor_id)
);

ALTER TABLE submission_items ADD COLUMN patient_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE submission_items ADD COLUMN change TEXT NOT NULL DEFAULT 'sent';
ALTER TABLE submission_items ADD COLUMN changed_items TEXT;
ALTER TABLE submissions ADD COLUMN report TEXT;

-- Free-text recipients of earlier submissions become recipients of kind `other` (record type
-- of their latest batch, no facilities: all), and submissions and withdrawals name them by id.
INSERT INTO recipients (id, name, kind, record_type, naaccr_version, version, created_by, created_at, updated_at)
SELECT lower(hex(randomblob(16))), s.recipient, 'other',
       (SELECT s2.record_type FROM submissions s2 WHERE s2.recipient = s.recipient ORDER BY s2.created_at DESC LIMIT 1),
       '260', 1, 'migration', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM (SELECT DISTINCT recipient FROM submissions) s;
UPDATE tumor_withdrawals SET recipient = (SELECT r.id FROM recipients r WHERE r.name = tumor_withdrawals.recipient)
WHERE recipient IN (SELECT name FROM recipients);
UPDATE submissions SET recipient = (SELECT r.id FROM recipients r WHERE r.name = submissions.recipient);
-- What earlier batches carried counts as sent (items unknown; the patient as it is now).
INSERT INTO recipient_tumors (recipient_id, tumor_id, patient_id, tumor_version, patient_version, items, submission_id)
SELECT s.recipient, i.tumor_id, t.patient_id, max(i.tumor_version), max(p.version), '{}', max(s.id)
FROM submission_items i
JOIN submissions s ON s.id = i.submission_id AND s.status = 'done'
JOIN tumors t ON t.id = i.tumor_id
JOIN patients p ON p.id = t.patient_id
GROUP BY s.recipient, i.tumor_id, t.patient_id;
