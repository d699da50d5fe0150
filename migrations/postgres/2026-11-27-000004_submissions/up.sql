-- Submission batches (NAACCR XML exports to a recipient), the tumor versions each one
-- carried (so a later "changed since" batch sends exactly what changed), and imports.
CREATE TABLE submissions (
    id TEXT NOT NULL PRIMARY KEY,
    recipient TEXT NOT NULL,
    record_type TEXT NOT NULL,
    naaccr_version TEXT NOT NULL,
    selection TEXT NOT NULL,
    status TEXT NOT NULL,
    patients BIGINT NOT NULL,
    tumors BIGINT NOT NULL,
    file_bytes BIGINT NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX submissions_recipient ON submissions (recipient, status);

CREATE TABLE submission_items (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    tumor_id TEXT NOT NULL,
    tumor_version BIGINT NOT NULL,
    PRIMARY KEY (submission_id, tumor_id)
);
CREATE INDEX submission_items_tumor ON submission_items (tumor_id, tumor_version);

CREATE TABLE imports (
    id TEXT NOT NULL PRIMARY KEY,
    file_name TEXT,
    status TEXT NOT NULL,
    report TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
