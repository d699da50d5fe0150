-- Submission builds as leased jobs (issue 20): the instance building a batch holds a lease it
-- renews; when it dies the lease runs out and another instance claims the batch and builds it
-- again. `attempts` bounds how often a batch that kills its builder is retried. Batches queued
-- or running before this migration have no lease, so the first instance to look claims them.
ALTER TABLE submissions ADD COLUMN lease_owner TEXT;
ALTER TABLE submissions ADD COLUMN lease_until TIMESTAMP;
ALTER TABLE submissions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX submissions_active_leases
    ON submissions (lease_until) WHERE status IN ('queued', 'running');

-- Finished files kept in the database, in chunks, so every instance serves them.
CREATE TABLE submission_files (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    chunk INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (submission_id, chunk)
);
