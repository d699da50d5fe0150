-- Audit rows of reads waiting for the chain's head (see src/audit/pending.rs): each is the
-- row as JSON, keyed by its id (time-ordered UUIDv7), moved into audit_log by the next commit
-- that gets the head.
CREATE TABLE audit_pending (
    id TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);
