-- The records an audit row names besides its own entity_id (the patients of a list page, the
-- patient of a tumor read), one row each, so a search by entity id finds list reads too. They
-- are derived from the row's details, which the hash chain covers; `audit verify` checks they
-- still match. Rows older than this migration are indexed once by the service (the rule lives
-- in Rust, not in SQL twice); `subjects_indexed` records that it happened.
CREATE TABLE audit_subjects (
    entity_id TEXT NOT NULL,
    audit_id TEXT NOT NULL,
    PRIMARY KEY (entity_id, audit_id)
) WITHOUT ROWID;
CREATE INDEX audit_subjects_audit ON audit_subjects (audit_id);
-- A search by entity id alone (no entity) had no index to use.
CREATE INDEX audit_log_entity_id ON audit_log (entity_id, id);
ALTER TABLE audit_chain ADD COLUMN subjects_indexed BOOLEAN NOT NULL DEFAULT FALSE;
