DROP TABLE tumor_sources;
DROP INDEX imports_status;
DROP INDEX imports_created;
ALTER TABLE imports DROP COLUMN facilities;
