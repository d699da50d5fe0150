ALTER TABLE audit_chain DROP COLUMN subjects_indexed;
DROP INDEX audit_log_entity_id;
DROP TABLE audit_subjects;
