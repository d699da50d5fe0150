-- Death records that matched a patient only possibly (or conflict with what is stored): kept
-- for a reviewer to accept or reject, once per record (the fingerprint makes a re-sent record
-- find its entry instead of queueing it again).
CREATE TABLE death_reviews (
    id TEXT NOT NULL PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    record TEXT NOT NULL,
    patient_ids TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_patient_id TEXT,
    decision_reason TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX death_reviews_fingerprint ON death_reviews (fingerprint);
CREATE INDEX death_reviews_status ON death_reviews (status, id);
