-- The stored result of the last edit run on each tumor (derived data: changing it does not
-- change the tumor's version).
ALTER TABLE tumors ADD COLUMN edit_status TEXT;
ALTER TABLE tumors ADD COLUMN edit_failures TEXT;
ALTER TABLE tumors ADD COLUMN edits_checked_at TIMESTAMP;
CREATE INDEX tumors_edit_status ON tumors (edit_status, id);
