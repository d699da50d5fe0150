UPDATE submissions SET recipient = (SELECT r.name FROM recipients r WHERE r.id = submissions.recipient)
WHERE recipient IN (SELECT id FROM recipients);
UPDATE tumor_withdrawals SET recipient = (SELECT r.name FROM recipients r WHERE r.id = tumor_withdrawals.recipient)
WHERE recipient IN (SELECT id FROM recipients);
ALTER TABLE submissions DROP COLUMN report;
ALTER TABLE submission_items DROP COLUMN changed_items;
ALTER TABLE submission_items DROP COLUMN change;
ALTER TABLE submission_items DROP COLUMN patient_version;
DROP TABLE recipient_tumors;
DROP TABLE recipient_facilities;
DROP TABLE recipients;
