DROP INDEX tumors_edit_status;
ALTER TABLE tumors DROP COLUMN edits_checked_at;
ALTER TABLE tumors DROP COLUMN edit_failures;
ALTER TABLE tumors DROP COLUMN edit_status;
