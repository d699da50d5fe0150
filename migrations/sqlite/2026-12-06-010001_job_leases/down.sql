DROP TABLE submission_files;
DROP INDEX submissions_active_leases;
ALTER TABLE submissions DROP COLUMN attempts;
ALTER TABLE submissions DROP COLUMN lease_until;
ALTER TABLE submissions DROP COLUMN lease_owner;
